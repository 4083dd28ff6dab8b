#include "storage/file/forwarding_filesystem.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tresor::storage {
namespace {

using ::testing::ByMove;
using ::testing::Return;
using ::testing::StrictMock;

class MockFilesystem : public Filesystem {
 public:
  MOCK_METHOD(StatusOr<std::string>, ReadFile, (const std::string& path), (override));
  MOCK_METHOD(Status, WriteNewFile, (const std::string& path, std::string_view data), (override));
  MOCK_METHOD(Status, SyncFile, (const std::string& path), (override));
  MOCK_METHOD(Status, Rename, (const std::string& from, const std::string& to), (override));
  MOCK_METHOD(Status, SyncDir, (const std::string& dir), (override));
  MOCK_METHOD(Status, RemoveFile, (const std::string& path), (override));
  MOCK_METHOD(StatusOr<bool>, RemoveDirIfEmpty, (const std::string& dir), (override));
  MOCK_METHOD(StatusOr<std::vector<DirEntry>>, ListDir, (const std::string& dir), (override));
  MOCK_METHOD(StatusOr<std::vector<std::string>>, CreateDirs, (const std::string& dir), (override));
  MOCK_METHOD(StatusOr<bool>, FileExists, (const std::string& path), (override));
  MOCK_METHOD(StatusOr<std::unique_ptr<FileLock>>, LockFile, (const std::string& path), (override));
  MOCK_METHOD(Status, Unlock, (std::unique_ptr<FileLock> lock), (override));
};

// Overrides nothing: every call must reach the target.
class PlainFilesystemWrapper final : public ForwardingFilesystem {
 public:
  using ForwardingFilesystem::ForwardingFilesystem;
};

class MarkerLock final : public FileLock {};

TEST(ForwardingFilesystem, ForwardsEveryCallWithItsArgumentsAndResult) {
  StrictMock<MockFilesystem> target;
  PlainFilesystemWrapper wrapper(&target);
  EXPECT_EQ(wrapper.target(), &target);

  EXPECT_CALL(target, ReadFile("a")).WillOnce(Return(StatusOr<std::string>("content")));
  EXPECT_EQ(*wrapper.ReadFile("a"), "content");

  EXPECT_CALL(target, WriteNewFile("a", std::string_view("data")))
      .WillOnce(Return(ResourceExhaustedError("full")));
  EXPECT_EQ(wrapper.WriteNewFile("a", "data").code(), StatusCode::kResourceExhausted);

  EXPECT_CALL(target, SyncFile("a")).WillOnce(Return(IOError("fsync")));
  EXPECT_EQ(wrapper.SyncFile("a").code(), StatusCode::kIOError);

  EXPECT_CALL(target, Rename("a", "b")).WillOnce(Return(NotFoundError("rename")));
  EXPECT_EQ(wrapper.Rename("a", "b").code(), StatusCode::kNotFound);

  EXPECT_CALL(target, SyncDir("d")).WillOnce(Return(CorruptionError("dir")));
  EXPECT_EQ(wrapper.SyncDir("d").code(), StatusCode::kCorruption);

  EXPECT_CALL(target, RemoveFile("b")).WillOnce(Return(UnavailableError("unlink")));
  EXPECT_EQ(wrapper.RemoveFile("b").code(), StatusCode::kUnavailable);

  EXPECT_CALL(target, RemoveDirIfEmpty("d")).WillOnce(Return(StatusOr<bool>(true)));
  EXPECT_TRUE(*wrapper.RemoveDirIfEmpty("d"));

  EXPECT_CALL(target, ListDir("d"))
      .WillOnce(Return(StatusOr<std::vector<DirEntry>>(std::vector<DirEntry>{{"sub", true}})));
  auto entries = wrapper.ListDir("d");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].name, "sub");
  EXPECT_TRUE((*entries)[0].is_directory);

  EXPECT_CALL(target, CreateDirs("d/e"))
      .WillOnce(Return(StatusOr<std::vector<std::string>>(std::vector<std::string>{"d", "d/e"})));
  EXPECT_EQ(*wrapper.CreateDirs("d/e"), (std::vector<std::string>{"d", "d/e"}));

  EXPECT_CALL(target, FileExists("x")).WillOnce(Return(StatusOr<bool>(false)));
  EXPECT_FALSE(*wrapper.FileExists("x"));

  auto lock = std::make_unique<MarkerLock>();
  FileLock* const lock_address = lock.get();
  EXPECT_CALL(target, LockFile("LOCK"))
      .WillOnce(Return(ByMove(StatusOr<std::unique_ptr<FileLock>>(std::move(lock)))));
  auto locked = wrapper.LockFile("LOCK");
  ASSERT_TRUE(locked.ok());
  EXPECT_EQ(locked->get(), lock_address);

  EXPECT_CALL(target, Unlock(::testing::_))
      .WillOnce([lock_address](std::unique_ptr<FileLock> given) {
        return given.get() == lock_address ? Status::Ok() : InternalError("another lock");
      });
  EXPECT_TRUE(wrapper.Unlock(std::move(*locked)).ok());
}

}  // namespace
}  // namespace tresor::storage
