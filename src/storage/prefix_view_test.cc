#include "storage/prefix_view.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tresor::storage
