#include "storage/factory.h"

#include <gtest/gtest.h>

#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

TEST(CreateBackend, InmemWorksAndTakesNoOptions) {
  auto backend = CreateBackend("inmem", {});
  ASSERT_TRUE(backend.ok()) << backend.status().ToString();
  ASSERT_TRUE((*backend)->Put("k", "v").ok());
  EXPECT_EQ(*(*backend)->Get("k").value(), "v");

  auto bad = CreateBackend("inmem", {{"path", "/tmp/x"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"path\""), std::string::npos);
}

TEST(CreateBackend, FileNeedsPathAndRejectsUnknownOptions) {
  EXPECT_EQ(CreateBackend("file", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateBackend("file", {{"path", ""}}).status().code(), StatusCode::kInvalidArgument);

  TempDirForTest tmp;
  const std::string& dir = tmp.path();
  auto bad = CreateBackend("file", {{"path", dir}, {"node_id", "n1"}});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("\"node_id\""), std::string::npos);

  {
    auto backend = CreateBackend("file", {{"path", dir}});
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    ASSERT_TRUE((*backend)->Put("a/b", "value").ok());
  }
  // The data is on disk: a second backend on the same path reads it back.
  auto reopened = CreateBackend("file", {{"path", dir}});
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ(*(*reopened)->Get("a/b").value(), "value");
}

TEST(CreateBackend, UnknownTypeIsRejectedWithTheSupportedList) {
  auto backend = CreateBackend("consul", {});
  EXPECT_EQ(backend.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(backend.status().message(),
            "storage type \"consul\" is not supported; use raft, file, postgresql, etcd or inmem");
}

}  // namespace
}  // namespace tresor::storage
