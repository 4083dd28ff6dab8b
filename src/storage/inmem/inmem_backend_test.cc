#include "storage/inmem/inmem_backend.h"

#include <gtest/gtest.h>

namespace tresor::storage {
namespace {

TEST(InmemBackend, PutGetDelete) {
  InmemBackend b;
  ASSERT_TRUE(b.Put("a/b", "1").ok());
  auto v = b.Get("a/b");
  ASSERT_TRUE(v.ok());
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "1");
  ASSERT_TRUE(b.Delete("a/b").ok());
  EXPECT_FALSE(b.Get("a/b")->has_value());
  EXPECT_TRUE(b.Delete("a/b").ok());
}

TEST(InmemBackend, ListShowsImmediateChildrenWithPagination) {
  InmemBackend b;
  for (const char* k : {"x/a", "x/b/c", "x/b/d", "x/c", "y"}) ASSERT_TRUE(b.Put(k, "v").ok());
  EXPECT_EQ(*b.List("x/"), (std::vector<std::string>{"a", "b/", "c"}));
  EXPECT_EQ(*b.ListPage("", {}, 0), (std::vector<std::string>{"x/", "y"}));
  EXPECT_EQ(*b.ListPage("x/", "a", 1), (std::vector<std::string>{"b/"}));
  EXPECT_EQ(*b.ListPage("x/", "b/", 0), (std::vector<std::string>{"c"}));
  EXPECT_TRUE(b.List("nothing/")->empty());
}

TEST(InmemBackend, RejectsKeysThatCouldEscape) {
  InmemBackend b;
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a//b", "a/../b", "./a", "a/.", std::string("a\0b", 3)}) {
    EXPECT_EQ(b.Put(bad, "v").code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(b.List("a").status().code(), StatusCode::kInvalidArgument);
}

TEST(InmemBackend, BatchIsAllOrNothingOnInvalidKey) {
  InmemBackend b;
  ASSERT_TRUE(b.Put("k", "old").ok());
  std::vector<Operation> ops{Operation::Put("k", "new"), Operation::Put("../evil", "x")};
  EXPECT_FALSE(b.Batch(ops).ok());
  EXPECT_EQ(**b.Get("k"), "old");
  ASSERT_TRUE(b.Batch({Operation::Put("k", "new"), Operation::Delete("gone")}).ok());
  EXPECT_EQ(**b.Get("k"), "new");
}

TEST(ListRecursive, WalksEveryKey) {
  InmemBackend b;
  for (const char* k : {"p/a", "p/b/c", "p/b/d/e", "q"}) ASSERT_TRUE(b.Put(k, "v").ok());
  EXPECT_EQ(*ListRecursive(b, "p/"), (std::vector<std::string>{"p/a", "p/b/c", "p/b/d/e"}));
}

}  // namespace
}  // namespace tresor::storage
