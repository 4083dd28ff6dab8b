#include "storage/prefix_view.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "storage/inmem/inmem_backend.h"

namespace tresor::storage {
namespace {

TEST(PrefixView, ConfinesKeysToItsPrefix) {
  InmemBackend base;
  ASSERT_TRUE(base.Put("other/secret", "x").ok());
  PrefixView view(base, "logical/abc/");
  ASSERT_TRUE(view.Put("k", "v").ok());
  EXPECT_EQ(**base.Get("logical/abc/k"), "v");
  EXPECT_EQ(**view.Get("k"), "v");
  for (const char* escape : {"../other/secret", "/other/secret", "a/../../other/secret"}) {
    EXPECT_EQ(view.Get(escape).status().code(), StatusCode::kInvalidArgument) << escape;
    EXPECT_EQ(view.Put(escape, "y").code(), StatusCode::kInvalidArgument) << escape;
  }
  EXPECT_EQ(**base.Get("other/secret"), "x");
  EXPECT_EQ(*view.List(""), (std::vector<std::string>{"k"}));
}

TEST(PrefixView, BatchAndDeleteAll) {
  InmemBackend base;
  ASSERT_TRUE(base.Put("logical/keep", "x").ok());
  PrefixView view(base, "logical/m/");
  ASSERT_TRUE(view.Batch({Operation::Put("a/1", "1"), Operation::Put("b", "2")}).ok());
  EXPECT_EQ(**base.Get("logical/m/a/1"), "1");
  EXPECT_FALSE(view.Batch({Operation::Put("ok", "1"), Operation::Put("../x", "2")}).ok());
  EXPECT_FALSE(view.Get("ok")->has_value());
  ASSERT_TRUE(view.DeleteAll().ok());
  EXPECT_TRUE(ListRecursive(base, "logical/m/")->empty());
  EXPECT_EQ(**base.Get("logical/keep"), "x");
}

TEST(ForEachKey, WalksEveryKeyInByteOrderAPageAtATime) {
  InmemBackend base;
  std::vector<std::string> expected = {"a", "a-b", "a.x", "a/b", "a/c/d", "a0", "b"};
  // More than a page (1000 names) in one folder.
  for (int i = 0; i < 2500; ++i) expected.push_back("big/" + std::to_string(10000 + i));
  for (const std::string& key : expected) ASSERT_TRUE(base.Put(key, "v").ok());
  std::sort(expected.begin(), expected.end());
  std::vector<std::string> seen;
  ASSERT_TRUE(ForEachKey(base, "", [&seen](const std::string& key) {
                seen.push_back(key);
                return Status::Ok();
              }).ok());
  EXPECT_EQ(seen, expected);

  // Deleting what was visited does not disturb the walk.
  std::size_t visited = 0;
  ASSERT_TRUE(ForEachKey(base, "big/", [&](const std::string& key) {
                ++visited;
                return base.Delete(key);
              }).ok());
  EXPECT_EQ(visited, 2500u);
  EXPECT_TRUE(base.List("big/")->empty());

  // The visitor's error stops it.
  std::size_t calls = 0;
  Status stopped = ForEachKey(base, "", [&calls](const std::string&) {
    ++calls;
    return InternalError("enough");
  });
  EXPECT_EQ(stopped.code(), StatusCode::kInternal);
  EXPECT_EQ(calls, 1u);
}

}  // namespace
}  // namespace tresor::storage
