#include "common/token_otp.h"

#include "common/encoding.h"
#include "common/secure_memory.h"

namespace tresor {
namespace {

std::string Xor(std::string_view a, std::string_view b) {
  std::string out(a.size(), '\0');
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = static_cast<char>(a[i] ^ b[i]);
  return out;
}

}  // namespace

StatusOr<std::string> EncodeTokenWithOtp(std::string_view token, std::string_view otp) {
  if (token.size() != otp.size()) {
    return InvalidArgumentError("the OTP is " + std::to_string(otp.size()) +
                                " characters long, the token " + std::to_string(token.size()));
  }
  std::string mixed = Xor(token, otp);
  std::string encoded = Base64Encode(mixed);
  SecureWipe(mixed);
  while (!encoded.empty() && encoded.back() == '=') encoded.pop_back();
  return encoded;
}

StatusOr<std::string> DecodeTokenWithOtp(std::string_view encoded, std::string_view otp) {
  std::string padded(encoded);
  while (padded.size() % 4 != 0) padded.push_back('=');
  auto mixed = Base64Decode(padded);
  if (!mixed.ok()) return InvalidArgumentError("the encoded token is not base64");
  if (mixed->size() != otp.size()) {
    return InvalidArgumentError("the encoded token is " + std::to_string(mixed->size()) +
                                " bytes long but the OTP " + std::to_string(otp.size()) +
                                ": is this the OTP of the same attempt?");
  }
  std::string token = Xor(*mixed, otp);
  SecureWipe(*mixed);
  return token;
}

}  // namespace tresor
