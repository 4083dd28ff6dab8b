// Every way an archive can be damaged or be something else is refused by
// ReadArchive with the code and a message that names the problem: flipped
// bytes in each region, truncation anywhere, extra/missing/reordered/
// non-regular members, oversized members, another version, a size that
// does not match, trailing data.
#include <gtest/gtest.h>

#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

const Records kRecords = {{"core/keyring", "ciphertext-1"},
                          {"logical/abc/secret", std::string(3000, 'q')},
                          {"sys/token/id/t1", "ciphertext-3"}};

// Where the members of an uncompressed ustar archive lie.
struct TarLayout {
  std::size_t header[4];  // offset of each member's 512-byte header
  std::size_t data[4];    // offset of each member's data
  std::size_t size[4];
};

TarLayout LayoutOf(const std::string& tar) {
  TarLayout layout{};
  std::size_t offset = 0;
  for (int i = 0; i < 4; ++i) {
    layout.header[i] = offset;
    layout.data[i] = offset + 512;
    layout.size[i] = std::stoul(tar.substr(offset + 124, 12), nullptr, 8);
    offset += 512 + (layout.size[i] + 511) / 512 * 512;
  }
  return layout;
}

void ExpectRefused(const ReadResultForTest& read, StatusCode code, std::string_view message_part,
                   const std::string& label) {
  EXPECT_EQ(read.status.code(), code) << label << ": " << read.status.ToString();
  EXPECT_NE(read.status.message().find(message_part), std::string::npos)
      << label << ": " << read.status.ToString();
}

class ArchiveCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override { archive_ = WriteForTest(kRecords, cluster_.seal()); }

  ClusterForTest cluster_;
  std::string archive_;
};

TEST_F(ArchiveCorruptionTest, TheUndamagedArchiveReads) {
  ReadResultForTest read = ReadForTest(archive_, &cluster_.seal());
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.records, kRecords);
}

// Bytes flipped in the compressed file: the gzip header's magic, method and
// flags, bytes spread through the deflate data, and the gzip trailer. The
// gzip header's mtime, XFL and OS bytes carry nothing and are not checked.
// Some deflate bits do not change the output (a back-reference into a run
// of equal bytes may point at any of them): such a flip leaves the archive
// byte-for-byte what was written, and reading it is right. Every other
// flip must be refused.
TEST_F(ArchiveCorruptionTest, FlippedCompressedBytesAreRefused) {
  const std::string original_tar = GunzipForTest(archive_);
  std::vector<std::size_t> offsets = {0, 1, 2, 3};
  for (std::size_t k = 1; k < 50; ++k) offsets.push_back(10 + (archive_.size() - 18) * k / 50);
  for (std::size_t i = archive_.size() - 8; i < archive_.size(); ++i) offsets.push_back(i);
  int refused = 0;
  for (std::size_t offset : offsets) {
    for (const SumsSeal* seal : {&cluster_.seal(), static_cast<const SumsSeal*>(nullptr)}) {
      std::string damaged = archive_;
      damaged[offset] = static_cast<char>(damaged[offset] ^ 0x20);
      ReadResultForTest read = ReadForTest(damaged, seal);
      const std::string label =
          "offset " + std::to_string(offset) + " of " + std::to_string(archive_.size());
      if (read.status.ok()) {
        EXPECT_TRUE(offset >= 10 && offset < archive_.size() - 8) << label;
        EXPECT_EQ(GunzipForTest(damaged), original_tar)
            << label << ": accepted although its content changed";
        continue;
      }
      ++refused;
      if (offset < 4) {
        // No longer recognisably gzip (magic, method) or a broken header.
        EXPECT_TRUE(read.status.code() == StatusCode::kInvalidArgument ||
                    read.status.code() == StatusCode::kCorruption)
            << label << ": " << read.status.ToString();
      } else {
        ExpectRefused(read, StatusCode::kCorruption, "snapshot is damaged", label);
      }
    }
  }
  EXPECT_GT(refused, static_cast<int>(offsets.size()));  // most of the 2 x offsets
}

// The tar edited and recompressed, so the gzip layer is intact: the tar
// header checksums, SHA256SUMS and the seal must catch each change.
TEST_F(ArchiveCorruptionTest, FlippedBytesInsideTheTarAreRefused) {
  const std::string tar = GunzipForTest(archive_);
  const TarLayout layout = LayoutOf(tar);
  struct Region {
    std::string label;
    std::size_t offset;
    StatusCode code;
    std::string message_part;
    bool needs_seal = false;
  };
  std::vector<Region> regions;
  for (int i = 0; i < 4; ++i) {
    // The name field and the size field of each header.
    regions.push_back({"tar header " + std::to_string(i) + " name", layout.header[i] + 2,
                       StatusCode::kInvalidArgument, "not a Tresor snapshot"});
    regions.push_back({"tar header " + std::to_string(i) + " size", layout.header[i] + 130,
                       StatusCode::kInvalidArgument, "not a Tresor snapshot"});
  }
  // A digit of the id keeps meta.json valid JSON: only the checksum tells.
  const std::size_t id_digit = tar.find("3-42-", layout.data[0]);
  regions.push_back({"meta.json", id_digit, StatusCode::kCorruption,
                     "checksum of meta.json does not match SHA256SUMS"});
  regions.push_back({"state.bin value", layout.data[1] + layout.size[1] - 3,
                     StatusCode::kCorruption, "checksum of state.bin does not match SHA256SUMS"});
  regions.push_back({"state.bin key", tar.find("logical/abc", layout.data[1]) + 8,
                     StatusCode::kCorruption, "checksum of state.bin does not match SHA256SUMS"});
  regions.push_back({"SHA256SUMS", layout.data[2] + 5, StatusCode::kCorruption, "SHA256SUMS"});
  regions.push_back({"SHA256SUMS.sealed", layout.data[3] + 20, StatusCode::kPermissionDenied,
                     "not taken from this cluster", true});
  for (const Region& region : regions) {
    std::string edited = tar;
    edited[region.offset] = static_cast<char>(edited[region.offset] ^ 0x01);
    ReadResultForTest read = ReadForTest(GzipForTest(edited), &cluster_.seal());
    ExpectRefused(read, region.code, region.message_part, region.label);
    if (!region.needs_seal) {
      ExpectRefused(ReadForTest(GzipForTest(edited), nullptr), region.code, region.message_part,
                    region.label + " (no seal)");
    }
  }
}

TEST_F(ArchiveCorruptionTest, TruncationAnywhereIsRefused) {
  std::vector<std::size_t> lengths = {0,
                                      1,
                                      5,
                                      10,
                                      archive_.size() - 1,
                                      archive_.size() - 4,
                                      archive_.size() - 8,
                                      archive_.size() - 9};
  for (std::size_t k = 1; k < 50; ++k) lengths.push_back(archive_.size() * k / 50);
  for (std::size_t length : lengths) {
    ReadResultForTest read = ReadForTest(archive_.substr(0, length), nullptr);
    const std::string label = "length " + std::to_string(length);
    ASSERT_FALSE(read.status.ok()) << label;
    if (length == 0) {
      ExpectRefused(read, StatusCode::kInvalidArgument, "the file is empty", label);
    } else if (length >= 10) {
      ExpectRefused(read, StatusCode::kCorruption, "snapshot is damaged", label);
    }
  }
}

TEST_F(ArchiveCorruptionTest, DataAfterTheEndIsRefused) {
  // After the gzip stream.
  ExpectRefused(ReadForTest(archive_ + "x", nullptr), StatusCode::kCorruption,
                "snapshot is damaged", "1 byte after gzip");
  ExpectRefused(ReadForTest(archive_ + std::string(100, 'x'), nullptr), StatusCode::kCorruption,
                "snapshot is damaged", "100 bytes after gzip");
  // A second gzip member.
  ExpectRefused(ReadForTest(archive_ + GzipForTest("more"), nullptr), StatusCode::kCorruption,
                "snapshot is damaged", "second gzip member");
  // Inside the gzip, after the end of the tar.
  const std::string tar = GunzipForTest(archive_);
  ExpectRefused(ReadForTest(GzipForTest(tar + "trailing"), nullptr), StatusCode::kInvalidArgument,
                "data follows the end of the tar archive", "after tar");
  // Zero padding after the tar end is what tar writers produce: accepted.
  ReadResultForTest padded = ReadForTest(GzipForTest(tar + std::string(10240, '\0')), nullptr);
  EXPECT_TRUE(padded.status.ok()) << padded.status.ToString();
}

TEST_F(ArchiveCorruptionTest, WhatIsNotAGzippedTarIsRefused) {
  ExpectRefused(ReadForTest(GunzipForTest(archive_), nullptr), StatusCode::kInvalidArgument,
                "not gzip-compressed", "plain tar");
  ExpectRefused(ReadForTest("hello, this is not an archive", nullptr), StatusCode::kInvalidArgument,
                "not gzip-compressed", "text");
  ExpectRefused(ReadForTest(GzipForTest(std::string(5000, 'z')), nullptr),
                StatusCode::kInvalidArgument, "not a Tresor snapshot", "gzip of non-tar");
}

class CraftedArchiveTest : public ArchiveCorruptionTest {
 protected:
  std::vector<MemberForTest> Valid(Meta meta = MetaForTest()) {
    return ValidMembersForTest(kRecords, meta, &cluster_.seal());
  }
  void Expect(const std::vector<MemberForTest>& members, StatusCode code,
              std::string_view message_part, const std::string& label) {
    ExpectRefused(ReadForTest(BuildArchiveForTest(members), &cluster_.seal()), code, message_part,
                  label);
  }
};

TEST_F(CraftedArchiveTest, TheBuilderMakesReadableArchives) {
  ReadResultForTest read = ReadForTest(BuildArchiveForTest(Valid()), &cluster_.seal());
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.records, kRecords);
}

TEST_F(CraftedArchiveTest, WrongMembersAreRefused) {
  auto members = Valid();
  auto extra = members;
  extra.push_back({"extra.txt", "hi"});
  Expect(extra, StatusCode::kInvalidArgument, "unexpected member \"extra.txt\" after",
         "extra last");

  auto inserted = members;
  inserted.insert(inserted.begin() + 1, {"notes.txt", "hi"});
  Expect(inserted, StatusCode::kInvalidArgument, "unexpected member \"notes.txt\"", "inserted");

  auto swapped = members;
  std::swap(swapped[0], swapped[1]);
  Expect(swapped, StatusCode::kInvalidArgument,
         "member state.bin is out of order: meta.json must come first", "swapped");

  auto duplicate = members;
  duplicate.insert(duplicate.begin() + 1, members[0]);
  Expect(duplicate, StatusCode::kInvalidArgument, "member meta.json appears twice", "duplicate");

  auto missing = members;
  missing.pop_back();
  Expect(missing, StatusCode::kInvalidArgument,
         "the archive ends before its member SHA256SUMS.sealed", "missing");

  auto prefixed = members;
  prefixed[0].name = "./meta.json";
  Expect(prefixed, StatusCode::kInvalidArgument, "unexpected member \"./meta.json\"", "./ prefix");
}

TEST_F(CraftedArchiveTest, NonRegularMembersAreRefused) {
  for (MemberKind kind : {MemberKind::kSymlink, MemberKind::kHardlink}) {
    auto members = Valid();
    members[1] = {"state.bin", "/etc/passwd", kind};
    Expect(members, StatusCode::kInvalidArgument, "member state.bin is not a regular file",
           "kind " + std::to_string(static_cast<int>(kind)));
  }
  // tar spells a directory "state.bin/": not a member name at all.
  auto members = Valid();
  members[1] = {"state.bin", "", MemberKind::kDirectory};
  Expect(members, StatusCode::kInvalidArgument, "unexpected member \"state.bin/\"", "directory");
}

TEST_F(CraftedArchiveTest, OversizedMembersAreRefused) {
  auto big_meta = Valid();
  big_meta[0].content = EncodeMeta(MetaForTest());
  big_meta[0].content.insert(1, std::string(kMaxMetaSize, ' '));  // still valid JSON
  Expect(big_meta, StatusCode::kInvalidArgument, "meta.json is 65", "meta.json");

  auto big_sums = Valid();
  big_sums[2].content += std::string(kMaxSumsSize, '\n');
  Expect(big_sums, StatusCode::kInvalidArgument, "SHA256SUMS is 4", "SHA256SUMS");

  auto big_sealed = Valid();
  big_sealed[3].content = std::string(kMaxSealedSumsSize + 1, 's');
  Expect(big_sealed, StatusCode::kInvalidArgument, "SHA256SUMS.sealed is 4097 bytes, more than",
         "sealed");
}

TEST_F(CraftedArchiveTest, UnknownVersionIsRefused) {
  auto members = Valid();
  std::string meta = members[0].content;
  meta.replace(meta.find("\"version\":1"), 11, "\"version\":2");
  members[0].content = meta;
  Expect(members, StatusCode::kInvalidArgument, "snapshot format version 2 is not supported",
         "version 2");
}

TEST_F(CraftedArchiveTest, StateSizeMustMatchMeta) {
  auto members = Valid();
  auto meta = ParseMeta(members[0].content);
  ASSERT_TRUE(meta.ok());
  meta->size += 1;
  members[0].content = EncodeMeta(*meta);
  Expect(members, StatusCode::kInvalidArgument, "but meta.json says", "size mismatch");
}

TEST_F(CraftedArchiveTest, ChecksumMismatchesAreNamed) {
  auto members = Valid();
  members[1].content.back() ^= 1;  // state.bin changed, sums not updated
  Expect(members, StatusCode::kCorruption, "checksum of state.bin does not match SHA256SUMS",
         "state");
  members = Valid();
  Sums sums{Sha256Hex(members[0].content), Sha256Hex(members[1].content)};
  sums.state_sha256[0] = sums.state_sha256[0] == 'a' ? 'b' : 'a';
  members[2].content = FormatSums(sums);
  Expect(members, StatusCode::kCorruption, "checksum of state.bin does not match SHA256SUMS",
         "sums");
}

TEST_F(CraftedArchiveTest, ConsistentlyReplacedContentsFailTheSeal) {
  // New state.bin and matching sums, but the old sealed sums: the seal
  // opens to other sums.
  auto members = Valid();
  auto replaced = ValidMembersForTest({{"core/keyring", "attacker"}}, MetaForTest(), nullptr);
  replaced[3] = members[3];
  Expect(replaced, StatusCode::kPermissionDenied, "does not match the SHA256SUMS sealed",
         "replaced");
  // Without a seal the archive is structurally fine.
  EXPECT_TRUE(ReadForTest(BuildArchiveForTest(replaced), nullptr).status.ok());
}

}  // namespace
}  // namespace tresor::snapshot
