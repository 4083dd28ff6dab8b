#include "storage/fault/fault_injecting_filesystem.h"

#include <gtest/gtest.h>

#include "storage/file/posix_filesystem.h"
#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

class FaultInjectingFilesystemTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return JoinPath(tmp_.path(), name); }
  bool Exists(const std::string& name) { return *posix_.FileExists(Path(name)); }
  std::string Read(const std::string& name) {
    auto content = posix_.ReadFile(Path(name));
    return content.ok() ? *content : "<" + content.status().ToString() + ">";
  }

  TempDirForTest tmp_;
  PosixFilesystem posix_;
  FaultInjectingFilesystem fs_{&posix_};
};

TEST_F(FaultInjectingFilesystemTest, OnlyFullySyncedNewFilesSurvive) {
  ASSERT_TRUE(fs_.WriteNewFile(Path("never-synced"), "a").ok());
  ASSERT_TRUE(fs_.WriteNewFile(Path("both"), "c").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("both")).ok());
  ASSERT_TRUE(fs_.SyncDir(tmp_.path()).ok());
  ASSERT_TRUE(fs_.WriteNewFile(Path("after-dir-sync"), "d").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("after-dir-sync")).ok());

  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  // The name of never-synced was made durable by the SyncDir, its content
  // never was: it disappears rather than show stale or empty bytes.
  EXPECT_FALSE(Exists("never-synced"));
  EXPECT_EQ(Read("both"), "c");
  EXPECT_FALSE(Exists("after-dir-sync"));  // Content synced, name never was.
}

TEST_F(FaultInjectingFilesystemTest, UnsyncedOverwriteRevertsToSyncedContent) {
  ASSERT_TRUE(posix_.WriteNewFile(Path("old"), "before the wrapper").ok());
  ASSERT_TRUE(fs_.WriteNewFile(Path("old"), "rewritten").ok());
  EXPECT_EQ(Read("old"), "rewritten");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("old"), "before the wrapper");

  ASSERT_TRUE(fs_.WriteNewFile(Path("old"), "rewritten and synced").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("old")).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("old"), "rewritten and synced");
}

TEST_F(FaultInjectingFilesystemTest, RenamesAndUnlinksNeedADirectorySync) {
  ASSERT_TRUE(posix_.WriteNewFile(Path("target"), "old").ok());
  ASSERT_TRUE(posix_.WriteNewFile(Path("victim"), "still here").ok());
  ASSERT_TRUE(fs_.WriteNewFile(Path("tmp"), "new").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("tmp")).ok());
  ASSERT_TRUE(fs_.Rename(Path("tmp"), Path("target")).ok());
  ASSERT_TRUE(fs_.RemoveFile(Path("victim")).ok());
  EXPECT_EQ(Read("target"), "new");
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("target"), "old");
  EXPECT_EQ(Read("victim"), "still here");
  EXPECT_FALSE(Exists("tmp"));

  ASSERT_TRUE(fs_.WriteNewFile(Path("tmp"), "new").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("tmp")).ok());
  ASSERT_TRUE(fs_.Rename(Path("tmp"), Path("target")).ok());
  ASSERT_TRUE(fs_.RemoveFile(Path("victim")).ok());
  ASSERT_TRUE(fs_.SyncDir(tmp_.path()).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("target"), "new");
  EXPECT_FALSE(Exists("victim"));
  EXPECT_FALSE(Exists("tmp"));
}

TEST_F(FaultInjectingFilesystemTest, NewDirectoriesNeedTheirParentSynced) {
  auto created = fs_.CreateDirs(Path("a/b"));
  ASSERT_TRUE(created.ok());
  ASSERT_EQ(created->size(), 2u);
  ASSERT_TRUE(fs_.WriteNewFile(Path("a/b/f"), "x").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("a/b/f")).ok());
  ASSERT_TRUE(fs_.SyncDir(Path("a/b")).ok());
  ASSERT_TRUE(fs_.SyncDir(Path("a")).ok());
  // tmp_ itself was never synced: "a" and everything in it are lost.
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_FALSE(Exists("a"));

  ASSERT_TRUE(fs_.CreateDirs(Path("a/b")).ok());
  ASSERT_TRUE(fs_.WriteNewFile(Path("a/b/f"), "x").ok());
  ASSERT_TRUE(fs_.SyncFile(Path("a/b/f")).ok());
  ASSERT_TRUE(fs_.SyncDir(Path("a/b")).ok());
  ASSERT_TRUE(fs_.SyncDir(Path("a")).ok());
  ASSERT_TRUE(fs_.SyncDir(tmp_.path()).ok());
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_EQ(Read("a/b/f"), "x");

  // An rmdir that was not synced comes back.
  ASSERT_TRUE(fs_.RemoveFile(Path("a/b/f")).ok());
  ASSERT_TRUE(fs_.SyncDir(Path("a/b")).ok());
  ASSERT_TRUE(*fs_.RemoveDirIfEmpty(Path("a/b")));
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_TRUE(Exists("a/b"));
  EXPECT_FALSE(Exists("a/b/f"));
}

TEST_F(FaultInjectingFilesystemTest, WriteFaultsTearTheFileAndReportTheRightCode) {
  fs_.FailNextWrites(1);
  Status failed = fs_.WriteNewFile(Path("f"), "12345678");
  EXPECT_EQ(failed.code(), StatusCode::kIOError);
  EXPECT_NE(failed.message().find(Path("f")), std::string::npos);
  EXPECT_EQ(Read("f"), "1234");  // Torn.
  EXPECT_TRUE(fs_.WriteNewFile(Path("f"), "12345678").ok());

  fs_.SetDiskFull(true);
  EXPECT_EQ(fs_.WriteNewFile(Path("g"), "xy").code(), StatusCode::kResourceExhausted);
  fs_.SetDiskFull(false);
  fs_.SetFailAllWrites(true);
  EXPECT_EQ(fs_.WriteNewFile(Path("g"), "xy").code(), StatusCode::kIOError);
  EXPECT_EQ(fs_.WriteNewFile(Path("g"), "xy").code(), StatusCode::kIOError);
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.WriteNewFile(Path("g"), "xy").ok());

  fs_.SetFailSyncFile(true);
  EXPECT_EQ(fs_.SyncFile(Path("g")).code(), StatusCode::kIOError);
  fs_.SetFailSyncDir(true);
  EXPECT_EQ(fs_.SyncDir(tmp_.path()).code(), StatusCode::kIOError);
  // A failed sync made nothing durable.
  fs_.ClearFaults();
  ASSERT_TRUE(fs_.DropUnsyncedData().ok());
  EXPECT_FALSE(Exists("g"));
}

TEST_F(FaultInjectingFilesystemTest, CrashAfterMutationsFailsEverythingAfterThePoint) {
  std::size_t before = fs_.MutationCountForTest();
  fs_.CrashAfterMutations(2);
  EXPECT_TRUE(fs_.WriteNewFile(Path("a"), "1").ok());
  EXPECT_TRUE(fs_.SyncFile(Path("a")).ok());
  EXPECT_FALSE(fs_.SyncDir(tmp_.path()).ok());
  EXPECT_FALSE(fs_.WriteNewFile(Path("b"), "2").ok());
  EXPECT_FALSE(Exists("b"));
  EXPECT_TRUE(fs_.ReadFile(Path("a")).ok());  // Reads still work.
  EXPECT_EQ(fs_.MutationCountForTest() - before, 4u);
  fs_.ClearFaults();
  EXPECT_TRUE(fs_.SyncDir(tmp_.path()).ok());
}

}  // namespace
}  // namespace tresor::storage
