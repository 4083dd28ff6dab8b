#include "storage/etcd/etcd_backend.h"

#include <gtest/gtest.h>

#include "storage/etcd/etcd_server_for_test.h"

namespace tresor::storage {
namespace {

TEST(EtcdBackend, PutGetDelete) {
  auto b = OpenEtcdForTest("/t-basic/");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Put("a/b", "1").ok());
  auto v = b->Get("a/b");
  ASSERT_TRUE(v.ok()) << v.status().message();
  ASSERT_TRUE(v->has_value());
  EXPECT_EQ(**v, "1");
  std::string binary("\0\xff\x01zz", 5);
  ASSERT_TRUE(b->Put("bin", binary).ok());
  EXPECT_EQ(**b->Get("bin"), binary);
  ASSERT_TRUE(b->Put("empty", "").ok());
  ASSERT_TRUE(b->Get("empty")->has_value());
  EXPECT_EQ(**b->Get("empty"), "");
  ASSERT_TRUE(b->Delete("a/b").ok());
  EXPECT_FALSE(b->Get("a/b")->has_value());
  EXPECT_TRUE(b->Delete("a/b").ok());
  EXPECT_FALSE(b->Get("never")->has_value());
}

TEST(EtcdBackend, ListShowsImmediateChildrenWithPagination) {
  auto b = OpenEtcdForTest("/t-list/");
  ASSERT_NE(b, nullptr);
  for (const char* k : {"x/a", "x/b/c", "x/b/d", "x/b-c", "x/c", "y", "x/b/e/f"}) {
    ASSERT_TRUE(b->Put(k, "v").ok());
  }
  EXPECT_EQ(*b->List("x/"), (std::vector<std::string>{"a", "b-c", "b/", "c"}));
  EXPECT_EQ(*b->ListPage("", {}, 0), (std::vector<std::string>{"x/", "y"}));
  EXPECT_EQ(*b->ListPage("x/", "a", 2), (std::vector<std::string>{"b-c", "b/"}));
  EXPECT_EQ(*b->ListPage("x/", "b/", 0), (std::vector<std::string>{"c"}));
  EXPECT_EQ(*b->ListPage("x/", "b-c", 1), (std::vector<std::string>{"b/"}));
  EXPECT_EQ(*b->List("x/b/"), (std::vector<std::string>{"c", "d", "e/"}));
  EXPECT_TRUE(b->List("nothing/")->empty());
  EXPECT_EQ(*ListRecursive(*b, "x/"),
            (std::vector<std::string>{"x/a", "x/b-c", "x/b/c", "x/b/d", "x/b/e/f", "x/c"}));
}

TEST(EtcdBackend, ListPagesThroughMoreKeysThanOneRange) {
  auto b = OpenEtcdForTest("/t-many/");
  ASSERT_NE(b, nullptr);
  // More than one range page (256 keys) of files, and a folder with more
  // than a page of keys that must be listed once.
  for (int batch = 0; batch < 6; ++batch) {
    std::vector<Operation> ops;
    for (int i = 0; i < 100; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "k%04d", batch * 100 + i);
      ops.push_back(Operation::Put(std::string(batch < 3 ? "f/" : "big/") + name, "v"));
    }
    ASSERT_TRUE(b->Batch(ops).ok());
  }
  auto top = b->List("");
  ASSERT_TRUE(top.ok());
  EXPECT_EQ(*top, (std::vector<std::string>{"big/", "f/"}));
  auto files = b->List("f/");
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 300u);
  EXPECT_EQ(files->front(), "k0000");
  EXPECT_EQ(files->back(), "k0299");
  EXPECT_EQ(*b->ListPage("f/", "k0100", 2), (std::vector<std::string>{"k0101", "k0102"}));
  EXPECT_EQ(*CountKeys(*b, ""), 600u);
}

TEST(EtcdBackend, BatchIsAtomic) {
  auto b = OpenEtcdForTest("/t-batch/");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Put("k", "old").ok());
  EXPECT_FALSE(b->Batch({Operation::Put("k", "new"), Operation::Put("../evil", "x")}).ok());
  EXPECT_EQ(**b->Get("k"), "old");
  // A value over etcd's request limit fails the whole batch.
  std::string huge(2 << 20, 'x');
  Status big = b->Batch({Operation::Put("k", "new"), Operation::Put("huge", huge)});
  EXPECT_EQ(big.code(), StatusCode::kTooLarge) << big.message();
  EXPECT_EQ(**b->Get("k"), "old");
  EXPECT_FALSE(b->Get("huge")->has_value());
  ASSERT_TRUE(b->Batch({Operation::Put("k", "new"), Operation::Delete("gone"),
                        Operation::Put("twice", "1"), Operation::Delete("twice")})
                  .ok());
  EXPECT_EQ(**b->Get("k"), "new");
  EXPECT_FALSE(b->Get("twice")->has_value());
  std::vector<Operation> too_many;
  for (int i = 0; i < 129; ++i) too_many.push_back(Operation::Put("m/" + std::to_string(i), "v"));
  EXPECT_EQ(b->Batch(too_many).code(), StatusCode::kTooLarge);
  EXPECT_TRUE(b->List("m/")->empty());
}

TEST(EtcdBackend, RejectsBadKeysAndTheLockFolder) {
  auto b = OpenEtcdForTest("/t-keys/");
  ASSERT_NE(b, nullptr);
  for (const std::string& bad : std::vector<std::string>{"", "/a", "a//b", "a/../b"}) {
    EXPECT_EQ(b->Put(bad, "v").code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(b->Put("core/_lock/x", "v").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(b->List("a").status().code(), StatusCode::kInvalidArgument);
}

TEST(EtcdBackend, RefusesBadOptions) {
  auto unknown = OpenEtcdBackend({{"adress", "http://127.0.0.1:2379"}});
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("adress"), std::string::npos);
  auto v2 = OpenEtcdBackend({{"etcd_api", "v2"}});
  EXPECT_EQ(v2.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(v2.status().message().find("v3"), std::string::npos);
  EXPECT_EQ(OpenEtcdBackend({{"address", "127.0.0.1:2379"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenEtcdBackend({{"lock_timeout", "soon"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenEtcdBackend({{"ha_enabled", "maybe"}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenEtcdBackend({{"username", "u"}}).status().code(), StatusCode::kInvalidArgument);
  auto parsed = ParseEtcdOptions({{"address", "http://a:1, https://[::1]:2,http://b"}});
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  ASSERT_EQ(parsed->endpoints.size(), 3u);
  EXPECT_EQ(parsed->endpoints[1].host, "::1");
  EXPECT_TRUE(parsed->endpoints[1].tls);
  EXPECT_EQ(parsed->endpoints[2].port, "2379");
  EXPECT_EQ(parsed->path, "/vault/");
  EXPECT_EQ(parsed->lock_timeout, std::chrono::seconds(15));
}

TEST(EtcdBackend, UnreachableServerIsUnavailable) {
  auto b = OpenEtcdBackend({{"address", "http://127.0.0.1:1"}, {"request_timeout", "2s"}});
  EXPECT_EQ(b.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(b.status().message().find("127.0.0.1:1"), std::string::npos) << b.status().message();
}

TEST(EtcdBackend, TriesTheNextAddress) {
  auto b = OpenEtcdBackend({{"address", "http://127.0.0.1:1," + EtcdServerForTest::Get().url()},
                            {"path", "/t-next/"}});
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE((*b)->Put("k", "v").ok());
}

TEST(EtcdBackend, WrongCredentialsFailAtOpen) {
  // The test server has no auth enabled, so enable nothing: etcd answers
  // /v3/auth/authenticate with "authentication is not enabled".
  auto b = OpenEtcdBackend({{"address", EtcdServerForTest::Get().url()},
                            {"username", "root"},
                            {"password", "wrong"}});
  EXPECT_EQ(b.status().code(), StatusCode::kPermissionDenied) << b.status().message();
  EXPECT_EQ(b.status().message().find("wrong"), std::string::npos);
}

TEST(EtcdBackend, ClosedBackendFails) {
  auto b = OpenEtcdForTest("/t-closed/");
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->Close().ok());
  EXPECT_FALSE(b->Put("k", "v").ok());
  EXPECT_FALSE(b->Get("k").ok());
  EXPECT_TRUE(b->Close().ok());
}

}  // namespace
}  // namespace tresor::storage
