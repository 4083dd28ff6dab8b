#include "common/token_otp.h"

#include <gtest/gtest.h>

namespace tresor {
namespace {

TEST(TokenOtpTest, EncodedTokenDecodesOnlyWithItsOtp) {
  const std::string token = "hvs.ABCDEFGHIJKLMNOPQRSTUVWX";
  const std::string otp = "0123456789abcdefghijklmnopqr";
  auto encoded = EncodeTokenWithOtp(token, otp);
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(encoded->find('='), std::string::npos);  // unpadded, as Vault's
  EXPECT_EQ(encoded->find("hvs"), std::string::npos);
  auto decoded = DecodeTokenWithOtp(*encoded, otp);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, token);
  // With padding too.
  EXPECT_EQ(*DecodeTokenWithOtp(*encoded + "=", otp), token);
  std::string other_otp = otp;
  other_otp[0] = 'Z';
  EXPECT_NE(*DecodeTokenWithOtp(*encoded, other_otp), token);
}

TEST(TokenOtpTest, MismatchedLengthsAndBadBase64AreRefused) {
  EXPECT_EQ(EncodeTokenWithOtp("hvs.short", "0123456789").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(DecodeTokenWithOtp("!!!notbase64", "0123456789").status().code(),
            StatusCode::kInvalidArgument);
  auto encoded = EncodeTokenWithOtp("abcd", "wxyz");
  ASSERT_TRUE(encoded.ok());
  EXPECT_EQ(DecodeTokenWithOtp(*encoded, "longer-otp").status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor
