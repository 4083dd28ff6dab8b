#include "storage/file/key_encoding.h"

#include <gtest/gtest.h>

namespace tresor::storage {
namespace {

TEST(KeyEncoding, KeepsSafeBytesAndEscapesEverythingElse) {
  EXPECT_EQ(EncodeSegment("abc-XYZ-019"), "abc-XYZ-019");
  EXPECT_EQ(EncodeSegment("a_b.c d%"), "a%5Fb%2Ec%20d%25");
  EXPECT_EQ(EncodeSegment(".."), "%2E%2E");
  EXPECT_EQ(EncodeSegment("\xc3\xa9"), "%C3%A9");
  EXPECT_EQ(EncodeSegment(std::string("a\0b", 3)), "a%00b");
}

TEST(KeyEncoding, DecodeInvertsEncodeForEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
  EXPECT_EQ(DecodeSegment(EncodeSegment(all)), all);
  for (int c = 0; c < 256; ++c) {
    std::string one(1, static_cast<char>(c));
    EXPECT_EQ(DecodeSegment(EncodeSegment(one)), one) << c;
  }
}

TEST(KeyEncoding, DecodeRefusesNonCanonicalNames) {
  EXPECT_FALSE(DecodeSegment("").has_value());
  EXPECT_FALSE(DecodeSegment(".tmp-abc").has_value());
  EXPECT_FALSE(DecodeSegment("_a").has_value());
  EXPECT_FALSE(DecodeSegment("%41").has_value());  // 'A' must not be escaped.
  EXPECT_FALSE(DecodeSegment("%2e").has_value());  // Lower-case hex.
  EXPECT_FALSE(DecodeSegment("%2").has_value());   // Truncated escape.
  EXPECT_FALSE(DecodeSegment("a%").has_value());
  EXPECT_FALSE(DecodeSegment("%ZZ").has_value());
  EXPECT_FALSE(DecodeSegment("LOCK.old").has_value());
  EXPECT_EQ(DecodeSegment("LOCK"), "LOCK");
}

TEST(KeyEncoding, LocatesValueFilesBesideSameNamedDirectories) {
  auto top = LocateKey("a");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(top->dir, "");
  EXPECT_EQ(top->file_name, "_a");
  auto nested = LocateKey("a/b_c/d e");
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->dir, "a/b%5Fc");
  EXPECT_EQ(nested->file_name, "_d%20e");
  // "_x" as a directory cannot collide with the value file of key "x".
  EXPECT_EQ(LocateKey("_x/y")->dir, "%5Fx");
  EXPECT_EQ(LocateKey("x")->file_name, "_x");
  EXPECT_EQ(*LocatePrefix(""), "");
  EXPECT_EQ(*LocatePrefix("a/b./"), "a/b%2E");
}

TEST(KeyEncoding, RefusesSegmentsAndKeysOverTheLimits) {
  std::string longest(kMaxEncodedSegmentBytes, 'a');
  EXPECT_TRUE(LocateKey(longest).ok());
  EXPECT_EQ(LocateKey(longest + "a").status().code(), StatusCode::kInvalidArgument);
  // Escaping triples a byte: 85 spaces encode to 255 bytes.
  EXPECT_EQ(LocateKey(std::string(85, ' ')).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(LocateKey(std::string(84, ' ')).ok());

  std::string deep;
  while (deep.size() <= kMaxEncodedKeyBytes) deep += std::string(100, 'd') + "/";
  deep += "leaf";
  EXPECT_EQ(LocateKey(deep).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LocatePrefix(deep + "/").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::storage
