#include "storage/file/record_format.h"

#include <gtest/gtest.h>

namespace tresor::storage {
namespace {

TEST(ValueFile, RoundTripsAnyBytes) {
  for (std::string value :
       {std::string(), std::string("x"), std::string("a\0b\xff", 4), std::string(100000, 'z')}) {
    auto decoded = DecodeValueFile(EncodeValueFile(value), "k");
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    EXPECT_EQ(*decoded, value);
  }
}

TEST(ValueFile, EveryFlippedBitIsCorruption) {
  std::string file = EncodeValueFile("secret ciphertext");
  for (std::size_t i = 0; i < file.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string damaged = file;
      damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
      auto decoded = DecodeValueFile(damaged, "some/key");
      ASSERT_EQ(decoded.status().code(), StatusCode::kCorruption) << i << ":" << bit;
      // The message names the key, never the value.
      EXPECT_NE(decoded.status().message().find("some/key"), std::string::npos);
      EXPECT_EQ(decoded.status().message().find("secret"), std::string::npos);
    }
  }
}

TEST(ValueFile, EveryTruncationOrExtensionIsCorruption) {
  std::string file = EncodeValueFile("0123456789");
  for (std::size_t n = 0; n < file.size(); ++n) {
    EXPECT_EQ(DecodeValueFile(file.substr(0, n), "k").status().code(), StatusCode::kCorruption)
        << n;
  }
  EXPECT_EQ(DecodeValueFile(file + "x", "k").status().code(), StatusCode::kCorruption);
}

TEST(Journal, RoundTripsOpsInOrder) {
  std::vector<Operation> ops{Operation::Put("a/b", std::string("v\0", 2)), Operation::Delete("c"),
                             Operation::Put("a/b", "")};
  auto decoded = DecodeJournal(EncodeJournal(ops));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 3u);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ((*decoded)[i].type, ops[i].type);
    EXPECT_EQ((*decoded)[i].key, ops[i].key);
    EXPECT_EQ((*decoded)[i].value, ops[i].value);
  }
  auto empty = DecodeJournal(EncodeJournal({}));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(Journal, EveryPrefixOfAJournalIsRejected) {
  std::string journal = EncodeJournal({Operation::Put("k", "value"), Operation::Delete("j")});
  for (std::size_t n = 0; n < journal.size(); ++n) {
    EXPECT_EQ(DecodeJournal(journal.substr(0, n)).status().code(), StatusCode::kCorruption) << n;
  }
  std::string flipped = journal;
  flipped[10] ^= 1;
  EXPECT_EQ(DecodeJournal(flipped).status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tresor::storage
