#include "seal/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <random>
#include <set>

#include "common/random.h"

namespace tresor::seal {
namespace {

// Reference multiply, written differently from gf256::Mul: carry-less
// multiplication into 16 bits, then polynomial long division by 0x11b.
std::uint8_t SlowMul(std::uint8_t a, std::uint8_t b) {
  unsigned wide = 0;
  for (int i = 0; i < 8; ++i) {
    if ((b >> i) & 1) wide ^= static_cast<unsigned>(a) << i;
  }
  for (int bit = 15; bit >= 8; --bit) {
    if ((wide >> bit) & 1) wide ^= 0x11bu << (bit - 8);
  }
  return static_cast<std::uint8_t>(wide);
}

// A test RNG for choosing parameters and subsets; seeded from the CSPRNG and
// printed, so a failure can be replayed by hard-coding the seed.
std::mt19937 MakeRng() {
  std::string seed_bytes = RandomBytes(4);
  std::uint32_t seed = 0;
  for (char c : seed_bytes) seed = (seed << 8) | static_cast<unsigned char>(c);
  std::cout << "shamir_test seed " << seed << "\n";
  return std::mt19937(seed);
}

std::vector<SecureBytes> Pick(const std::vector<SecureBytes>& shares,
                              const std::vector<std::size_t>& indices) {
  std::vector<SecureBytes> out;
  for (std::size_t i : indices) out.push_back(shares[i]);
  return out;
}

std::vector<std::size_t> RandomSubset(std::mt19937& rng, std::size_t n, std::size_t k) {
  std::vector<std::size_t> all(n);
  for (std::size_t i = 0; i < n; ++i) all[i] = i;
  std::shuffle(all.begin(), all.end(), rng);
  all.resize(k);
  return all;
}

TEST(Gf256Test, MulMatchesReferenceForEveryPair) {
  for (unsigned a = 0; a < 256; ++a) {
    for (unsigned b = 0; b < 256; ++b) {
      ASSERT_EQ(gf256::Mul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)),
                SlowMul(static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)))
          << a << " * " << b;
    }
  }
  // The AES specification's worked example (FIPS 197, section 4.2).
  EXPECT_EQ(gf256::Mul(0x57, 0x83), 0xc1);
}

TEST(Gf256Test, FieldAxiomsHold) {
  for (unsigned a = 0; a < 256; ++a) {
    auto x = static_cast<std::uint8_t>(a);
    EXPECT_EQ(gf256::Mul(x, 1), x);
    EXPECT_EQ(gf256::Mul(x, 0), 0);
    EXPECT_EQ(gf256::Add(x, x), 0);
    if (a != 0) {
      ASSERT_EQ(gf256::Mul(x, gf256::Inverse(x)), 1) << a;
      EXPECT_EQ(gf256::Div(x, x), 1);
    }
    for (unsigned b = 0; b < 256; b += 7) {
      auto y = static_cast<std::uint8_t>(b);
      ASSERT_EQ(gf256::Mul(x, y), gf256::Mul(y, x));
      for (unsigned c = 0; c < 256; c += 13) {
        auto z = static_cast<std::uint8_t>(c);
        ASSERT_EQ(gf256::Mul(x, gf256::Add(y, z)), gf256::Add(gf256::Mul(x, y), gf256::Mul(x, z)));
        ASSERT_EQ(gf256::Mul(gf256::Mul(x, y), z), gf256::Mul(x, gf256::Mul(y, z)));
      }
    }
  }
  EXPECT_EQ(gf256::Inverse(0), 0);
}

TEST(ShamirTest, SharesHaveVaultLayout) {
  SecureBytes secret = RandomSecureBytes(32);
  auto shares = Split(secret, 5, 3);
  ASSERT_TRUE(shares.ok()) << shares.status().ToString();
  ASSERT_EQ(shares->size(), 5u);
  std::set<int> xs;
  for (const SecureBytes& share : *shares) {
    ASSERT_EQ(share.size(), 33u);
    EXPECT_NE(share.back(), 0);
    xs.insert(share.back());
  }
  EXPECT_EQ(xs.size(), 5u) << "x coordinates must be distinct";
}

TEST(ShamirTest, EveryThresholdSubsetReconstructsExhaustively) {
  for (int n = 1; n <= 6; ++n) {
    for (int t = 1; t <= n; ++t) {
      SecureBytes secret = RandomSecureBytes(17);
      auto shares = Split(secret, n, t);
      ASSERT_TRUE(shares.ok());
      // Every subset of size >= t, as a bitmask over the n shares.
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        if (__builtin_popcount(mask) < t) continue;
        std::vector<std::size_t> indices;
        for (int i = 0; i < n; ++i) {
          if (mask & (1u << i)) indices.push_back(static_cast<std::size_t>(i));
        }
        auto combined = Combine(Pick(*shares, indices));
        ASSERT_TRUE(combined.ok());
        ASSERT_EQ(*combined, secret) << "n=" << n << " t=" << t << " mask=" << mask;
      }
    }
  }
}

TEST(ShamirTest, RandomThresholdSubsetsReconstructUpTo255Shares) {
  std::mt19937 rng = MakeRng();
  for (int iteration = 0; iteration < 40; ++iteration) {
    int n = std::uniform_int_distribution<int>(1, 255)(rng);
    int t = std::uniform_int_distribution<int>(1, n)(rng);
    SecureBytes secret = RandomSecureBytes(std::uniform_int_distribution<int>(1, 64)(rng));
    auto shares = Split(secret, n, t);
    ASSERT_TRUE(shares.ok());
    for (int trial = 0; trial < 5; ++trial) {
      std::size_t k = std::uniform_int_distribution<std::size_t>(t, n)(rng);
      auto combined = Combine(Pick(*shares, RandomSubset(rng, n, k)));
      ASSERT_TRUE(combined.ok());
      ASSERT_EQ(*combined, secret) << "n=" << n << " t=" << t << " k=" << k;
    }
  }
  // The extreme case explicitly: all 255 shares, threshold 255.
  SecureBytes secret = RandomSecureBytes(32);
  auto shares = Split(secret, 255, 255);
  ASSERT_TRUE(shares.ok());
  auto combined = Combine(*shares);
  ASSERT_TRUE(combined.ok());
  EXPECT_EQ(*combined, secret);
}

TEST(ShamirTest, FewerThanThresholdSharesDoNotReconstruct) {
  // With t - 1 shares the interpolated value is uniformly random and
  // independent of the secret, so each byte matches with probability 1/256.
  // A whole secret of 8+ bytes matching by chance (2^-64) is treated as a
  // failure; for all sizes the overall byte match rate must stay near 1/256.
  std::mt19937 rng = MakeRng();
  std::size_t bytes_total = 0;
  std::size_t bytes_matching = 0;
  for (int iteration = 0; iteration < 200; ++iteration) {
    int n = std::uniform_int_distribution<int>(2, 40)(rng);
    int t = std::uniform_int_distribution<int>(2, n)(rng);
    std::size_t size = std::uniform_int_distribution<std::size_t>(1, 64)(rng);
    SecureBytes secret = RandomSecureBytes(size);
    auto shares = Split(secret, n, t);
    ASSERT_TRUE(shares.ok());
    auto combined = Combine(Pick(*shares, RandomSubset(rng, n, t - 1)));
    ASSERT_TRUE(combined.ok());
    ASSERT_EQ(combined->size(), size);
    if (size >= 8) {
      ASSERT_NE(*combined, secret) << "n=" << n << " t=" << t << " size=" << size;
    }
    for (std::size_t i = 0; i < size; ++i) bytes_matching += (*combined)[i] == secret[i];
    bytes_total += size;
  }
  // Expected rate 1/256 (about 0.4%); 5% would mean the shares leak the secret.
  EXPECT_LT(static_cast<double>(bytes_matching) / bytes_total, 0.05);
}

TEST(ShamirTest, SplitValidatesArguments) {
  SecureBytes secret = RandomSecureBytes(16);
  struct Case {
    int parts;
    int threshold;
    bool ok;
  };
  const Case cases[] = {
      {1, 1, true},      {5, 3, true},   {255, 255, true}, {255, 1, true}, {0, 0, false},
      {1, 0, false},     {5, 0, false},  {5, -1, false},   {3, 4, false},  {256, 2, false},
      {256, 256, false}, {-1, 1, false}, {1000, 3, false},
  };
  for (const Case& c : cases) {
    auto shares = Split(secret, c.parts, c.threshold);
    EXPECT_EQ(shares.ok(), c.ok) << "parts=" << c.parts << " threshold=" << c.threshold;
    if (!c.ok) {
      EXPECT_EQ(shares.status().code(), StatusCode::kInvalidArgument);
      EXPECT_NE(shares.status().message().find("1 <= threshold <= shares <= 255"),
                std::string::npos)
          << shares.status().message();
    } else {
      EXPECT_EQ(shares->size(), static_cast<std::size_t>(c.parts));
    }
  }
  auto empty = Split(SecureBytes(), 3, 2);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(ShamirTest, CombineValidatesShares) {
  SecureBytes secret = RandomSecureBytes(16);
  auto shares = Split(secret, 5, 3);
  ASSERT_TRUE(shares.ok());

  auto none = Combine({});
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kInvalidArgument);

  auto duplicate = Combine({(*shares)[0], (*shares)[1], (*shares)[0]});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(duplicate.status().message(), "duplicate share");

  SecureBytes shorter((*shares)[1].begin() + 1, (*shares)[1].end());
  auto mixed = Combine({(*shares)[0], shorter});
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), StatusCode::kInvalidArgument);

  auto tiny = Combine({SecureBytes{7}});
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.status().code(), StatusCode::kInvalidArgument);

  SecureBytes zero_x = (*shares)[2];
  zero_x.back() = 0;
  auto zero = Combine({(*shares)[0], (*shares)[1], zero_x});
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.status().code(), StatusCode::kInvalidArgument);
}

TEST(ShamirTest, ThresholdOneSharesAreTheSecret) {
  SecureBytes secret = RandomSecureBytes(8);
  auto shares = Split(secret, 3, 1);
  ASSERT_TRUE(shares.ok());
  for (const SecureBytes& share : *shares) {
    auto combined = Combine({share});
    ASSERT_TRUE(combined.ok());
    EXPECT_EQ(*combined, secret);
  }
}

}  // namespace
}  // namespace tresor::seal
