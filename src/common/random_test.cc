#include "common/random.h"

#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

namespace tresor {
namespace {

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

TEST(RandomBase62Test, HasTheLengthAskedForInTheAlphabet) {
  for (std::size_t n : {0, 1, 24, 63, 64, 65, 200}) {
    const std::string s = RandomBase62(n);
    EXPECT_EQ(s.size(), n);
    EXPECT_EQ(s.find_first_not_of(kBase62), std::string::npos) << s;
  }
}

TEST(RandomBase62Test, DrawsDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(RandomBase62(24));
  EXPECT_EQ(seen.size(), 100u);
}

// Every character about equally often: a bias (say, from drawing modulo 62
// without rejection, or reusing pool bytes) would skew the low characters
// by far more than this bound allows. 620,000 draws: each count is 10,000
// on average with a standard deviation near 100, and the bound is 6 of them.
TEST(RandomBase62Test, CharactersAreUniform) {
  std::array<int, 62> counts{};
  for (int i = 0; i < 10000; ++i) {
    for (char c : RandomBase62(62)) ++counts[kBase62.find(c)];
  }
  for (std::size_t i = 0; i < counts.size(); ++i) {
    EXPECT_NEAR(counts[i], 10000, 600) << "character " << kBase62[i];
  }
}

TEST(RandomUuidTest, IsVersion4InCanonicalForm) {
  const std::string uuid = RandomUuid();
  ASSERT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[8], '-');
  EXPECT_EQ(uuid[13], '-');
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;
  EXPECT_NE(uuid, RandomUuid());
}

}  // namespace
}  // namespace tresor
