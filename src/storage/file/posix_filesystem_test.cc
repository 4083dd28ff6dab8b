#include "storage/file/posix_filesystem.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>

#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

TEST(PosixFilesystem, WriteSyncReadRenameRemove) {
  TempDirForTest tmp;
  PosixFilesystem fs;
  std::string a = JoinPath(tmp.path(), "a");
  std::string b = JoinPath(tmp.path(), "b");
  std::string big(300000, 'q');  // Bigger than one read buffer.
  ASSERT_TRUE(fs.WriteNewFile(a, big).ok());
  ASSERT_TRUE(fs.SyncFile(a).ok());
  EXPECT_EQ(*fs.ReadFile(a), big);
  ASSERT_TRUE(fs.WriteNewFile(a, "short").ok());  // Truncates.
  EXPECT_EQ(*fs.ReadFile(a), "short");
  struct stat st;
  ASSERT_EQ(::stat(a.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  ASSERT_TRUE(fs.Rename(a, b).ok());
  ASSERT_TRUE(fs.SyncDir(tmp.path()).ok());
  EXPECT_FALSE(*fs.FileExists(a));
  EXPECT_EQ(*fs.ReadFile(b), "short");
  ASSERT_TRUE(fs.RemoveFile(b).ok());
  EXPECT_EQ(fs.RemoveFile(b).code(), StatusCode::kNotFound);
}

TEST(PosixFilesystem, ErrorsNameThePathAndTheCause) {
  TempDirForTest tmp;
  PosixFilesystem fs;
  std::string missing = JoinPath(tmp.path(), "missing");
  auto read = fs.ReadFile(missing);
  EXPECT_EQ(read.status().code(), StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find(missing), std::string::npos);
  EXPECT_NE(read.status().message().find("No such file"), std::string::npos);
  EXPECT_EQ(fs.SyncDir(missing).code(), StatusCode::kNotFound);
  EXPECT_EQ(fs.ListDir(missing).status().code(), StatusCode::kNotFound);
  // A file where a directory is needed.
  ASSERT_TRUE(fs.WriteNewFile(missing, "x").ok());
  EXPECT_EQ(fs.CreateDirs(JoinPath(missing, "sub")).status().code(), StatusCode::kIOError);
  EXPECT_EQ(fs.CreateDirs(missing).status().code(), StatusCode::kIOError);
}

TEST(PosixFilesystem, CreateDirsReportsWhatItCreatedOutermostFirst) {
  TempDirForTest tmp;
  PosixFilesystem fs;
  std::string deep = JoinPath(tmp.path(), "x/y/z");
  auto created = fs.CreateDirs(deep);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(*created, (std::vector<std::string>{JoinPath(tmp.path(), "x"),
                                                JoinPath(tmp.path(), "x/y"), deep}));
  EXPECT_TRUE(fs.CreateDirs(deep)->empty());

  ASSERT_TRUE(fs.WriteNewFile(JoinPath(deep, "f"), "1").ok());
  auto entries = fs.ListDir(JoinPath(tmp.path(), "x/y"));
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "z");
  EXPECT_TRUE((*entries)[0].is_directory);

  EXPECT_FALSE(*fs.RemoveDirIfEmpty(deep));  // Holds f.
  ASSERT_TRUE(fs.RemoveFile(JoinPath(deep, "f")).ok());
  EXPECT_TRUE(*fs.RemoveDirIfEmpty(deep));
  EXPECT_FALSE(*fs.RemoveDirIfEmpty(deep));  // Already gone.
}

TEST(PosixFilesystem, LockIsExclusiveEvenWithinOneProcess) {
  TempDirForTest tmp;
  PosixFilesystem fs;
  std::string path = JoinPath(tmp.path(), "LOCK");
  auto first = fs.LockFile(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = fs.LockFile(path);
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(fs.Unlock(std::move(*first)).ok());
  auto third = fs.LockFile(path);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  third->reset();  // Destroying the lock releases it too.
  EXPECT_TRUE(fs.LockFile(path).ok());
}

}  // namespace
}  // namespace tresor::storage
