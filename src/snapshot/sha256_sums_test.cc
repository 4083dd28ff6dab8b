#include "snapshot/sha256_sums.h"

#include <gtest/gtest.h>

namespace tresor::snapshot {
namespace {

TEST(Sha256SumsTest, KnownDigestsWhateverTheChunking) {
  // FIPS 180-2 test vector.
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Sha256 hash;
  hash.Update("a");
  hash.Update("");
  hash.Update("bc");
  EXPECT_EQ(hash.FinishHex(), Sha256Hex("abc"));
}

TEST(Sha256SumsTest, FormatIsSha256sumsAndParsesBack) {
  Sums sums{Sha256Hex("m"), Sha256Hex("s")};
  std::string text = FormatSums(sums);
  EXPECT_EQ(text, sums.meta_sha256 + "  meta.json\n" + sums.state_sha256 + "  state.bin\n");
  auto parsed = ParseSums(text);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->meta_sha256, sums.meta_sha256);
  EXPECT_EQ(parsed->state_sha256, sums.state_sha256);
}

TEST(Sha256SumsTest, AnythingElseIsMalformed) {
  const std::string good = FormatSums({Sha256Hex("m"), Sha256Hex("s")});
  std::string upper = good;
  upper[0] = 'A';
  std::string swapped = good.substr(good.find('\n') + 1) + good.substr(0, good.find('\n') + 1);
  for (const std::string& text :
       {std::string(), good.substr(0, good.size() - 1), good + "\n", upper, swapped,
        good.substr(0, 64) + " *meta.json\n" + good.substr(good.find('\n') + 1)}) {
    auto parsed = ParseSums(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status(), CorruptionError("snapshot is damaged: SHA256SUMS is malformed"));
  }
}

}  // namespace
}  // namespace tresor::snapshot
