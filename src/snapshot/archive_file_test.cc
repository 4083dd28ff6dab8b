#include "snapshot/archive_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

class ArchiveFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/tresor-archive-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    path_ = (dir_ / "backup.snap").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Names in the directory (the temporary file must never remain).
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  std::string ReadFile() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }

  ClusterForTest cluster_;
  std::filesystem::path dir_;
  std::string path_;
};

// Random bytes do not compress: the archive is ~100 KB, read in many calls.
const Records kFileRecords = {{"core/keyring", "k"}, {"logical/x", RandomBytes(100000)}};

TEST_F(ArchiveFileTest, WriteArchiveFileLeavesOnlyTheVerifiedFile) {
  auto meta =
      WriteArchiveFile(path_, MetaForTest(), VectorSourceForTest(kFileRecords), cluster_.seal());
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->index, 42u);
  EXPECT_EQ(meta->size, EncodeStateForTest(kFileRecords).size());
  EXPECT_EQ(Files(), std::vector<std::string>{"backup.snap"});
  EXPECT_EQ(std::filesystem::status(path_).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ReadResultForTest read = ReadForTest(ReadFile(), &cluster_.seal());
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.records, kFileRecords);
}

TEST_F(ArchiveFileTest, SaveVerifiedCopiesAnIntactArchive) {
  std::string archive = WriteForTest(kFileRecords, cluster_.seal());
  auto meta = SaveVerified(path_, StringSourceForTest(archive, 1000));
  ASSERT_TRUE(meta.ok()) << meta.status().ToString();
  EXPECT_EQ(meta->id, MetaForTest().id);
  EXPECT_EQ(ReadFile(), archive);
  EXPECT_EQ(Files(), std::vector<std::string>{"backup.snap"});
}

TEST_F(ArchiveFileTest, FailuresLeaveNoFileAndNoTemporaryFile) {
  std::string archive = WriteForTest(kFileRecords, cluster_.seal());
  // The source fails midway (a dropped HTTP connection).
  auto inner = StringSourceForTest(archive, 1000);
  int calls = 0;
  auto failing = SaveVerified(path_, [&](char* buf, std::size_t cap) -> StatusOr<std::size_t> {
    if (++calls == 5) return IOError("connection reset");
    return inner(buf, cap);
  });
  EXPECT_EQ(failing.status(), IOError("connection reset"));
  EXPECT_TRUE(Files().empty());

  // The source ends early: the bytes written do not verify.
  auto truncated = SaveVerified(path_, StringSourceForTest(archive.substr(0, archive.size() / 2)));
  EXPECT_EQ(truncated.status().code(), StatusCode::kCorruption);
  EXPECT_TRUE(Files().empty());

  // The record source fails during WriteArchiveFile.
  auto write_failed = WriteArchiveFile(
      path_, MetaForTest(), [](const RecordVisitor&) { return UnavailableError("no leader"); },
      cluster_.seal());
  EXPECT_EQ(write_failed.status(), UnavailableError("no leader"));
  EXPECT_TRUE(Files().empty());
}

TEST_F(ArchiveFileTest, AFailedSaveKeepsTheOldFile) {
  { std::ofstream(path_, std::ios::binary) << "previous backup"; }
  auto failed = SaveVerified(path_, StringSourceForTest("not an archive"));
  EXPECT_EQ(failed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ReadFile(), "previous backup");
  EXPECT_EQ(Files(), std::vector<std::string>{"backup.snap"});
}

TEST_F(ArchiveFileTest, MissingDirectoryIsAnIOError) {
  auto meta = SaveVerified((dir_ / "no-such-dir" / "x.snap").string(), StringSourceForTest(""));
  EXPECT_EQ(meta.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace tresor::snapshot
