#include "core/policy/policy_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "core/policy/default_policy.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core::policy {
namespace {

constexpr char kReadSecret[] = "path \"secret/*\" { capabilities = [\"read\"] }";
constexpr char kListSecret[] = "path \"secret/*\" { capabilities = [\"list\"] }";

class PolicyStoreTest : public ::testing::Test {
 protected:
  std::shared_ptr<const Acl> AclOrDie(const std::vector<std::string>& names) {
    auto acl = store_.AclFor(names);
    EXPECT_TRUE(acl.ok()) << acl.status().ToString();
    return acl.ok() ? *acl : Acl::Compile({});
  }

  storage::InmemBackend inmem_;
  storage::FaultInjectingBackend barrier_{&inmem_};
  PolicyStore store_{barrier_};
};

TEST_F(PolicyStoreTest, WriteReadListDelete) {
  ASSERT_TRUE(store_.SetPolicy("App", kReadSecret).ok());
  auto read = store_.GetPolicy("APP");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->name, "app");
  EXPECT_EQ(read->raw, kReadSecret);
  EXPECT_TRUE(inmem_.Get("sys/policy/app")->has_value());

  ASSERT_TRUE(store_.SetPolicy("zeta", kListSecret).ok());
  EXPECT_EQ(*store_.ListPolicies(), (std::vector<std::string>{"app", "default", "zeta", "root"}));

  ASSERT_TRUE(store_.DeletePolicy("app").ok());
  EXPECT_EQ(store_.GetPolicy("app").status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_.DeletePolicy("app").ok());  // deleting again is fine
  EXPECT_EQ(*store_.ListPolicies(), (std::vector<std::string>{"default", "zeta", "root"}));
}

TEST_F(PolicyStoreTest, BadInputIsRefusedAndNothingIsStored) {
  auto bad = store_.SetPolicy("p", "path \"a\" {\n  capabilities = [\"reed\"]\n}");
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.message(), "failed to parse policy: line 2: unknown capability \"reed\"");
  EXPECT_EQ(store_.SetPolicy("a/b", kReadSecret).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.SetPolicy("", kReadSecret).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.GetPolicy("a/b").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(barrier_.PutCountForTest(), 0u);
}

TEST_F(PolicyStoreTest, RootCannotBeWrittenOrDeletedDefaultCannotBeDeleted) {
  EXPECT_EQ(store_.SetPolicy("root", kReadSecret).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.SetPolicy("ROOT", kReadSecret).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.DeletePolicy("root").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.DeletePolicy("Default").code(), StatusCode::kInvalidArgument);
  auto root = store_.GetPolicy("root");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->raw, "");

  // "default" is the built-in text until rewritten; the rewrite wins.
  EXPECT_EQ(store_.GetPolicy("default")->raw, DefaultPolicyText());
  EXPECT_TRUE(AclOrDie({"default"})->Allows(Operation::kUpdate, "cubbyhole/x", false));
  ASSERT_TRUE(store_.SetPolicy("default", kReadSecret).ok());
  EXPECT_EQ(store_.GetPolicy("default")->raw, kReadSecret);
  EXPECT_FALSE(AclOrDie({"default"})->Allows(Operation::kUpdate, "cubbyhole/x", false));
  EXPECT_TRUE(AclOrDie({"default"})->Allows(Operation::kRead, "secret/x", false));
}

TEST_F(PolicyStoreTest, AclIsCachedAndReadsNoStorageOnceCompiled) {
  ASSERT_TRUE(store_.SetPolicy("a", kReadSecret).ok());
  ASSERT_TRUE(store_.SetPolicy("b", "path \"kv/*\" { capabilities = [\"list\"] }").ok());
  barrier_.ResetCountsForTest();

  auto first = AclOrDie({"b", "a"});
  EXPECT_EQ(barrier_.GetCountForTest(), 2u);
  // Same set, any order, case or duplication: served from the cache.
  auto second = AclOrDie({"A", "b", "a"});
  EXPECT_EQ(second.get(), first.get());
  EXPECT_EQ(barrier_.GetCountForTest(), 2u);
  EXPECT_EQ(store_.CachedAclCountForTest(), 1u);

  AclOrDie({"a"});
  EXPECT_EQ(barrier_.GetCountForTest(), 3u);
  EXPECT_EQ(store_.CachedAclCountForTest(), 2u);

  // Root needs no storage at all.
  EXPECT_TRUE(AclOrDie({"a", "root"})->IsRoot());
  EXPECT_EQ(barrier_.GetCountForTest(), 3u);
}

TEST_F(PolicyStoreTest, WriteAndDeleteInvalidateTheCache) {
  ASSERT_TRUE(store_.SetPolicy("a", kReadSecret).ok());
  auto before = AclOrDie({"a"});
  EXPECT_TRUE(before->Allows(Operation::kRead, "secret/x", false));

  ASSERT_TRUE(store_.SetPolicy("a", kListSecret).ok());
  EXPECT_EQ(store_.CachedAclCountForTest(), 0u);
  auto after = AclOrDie({"a"});
  EXPECT_FALSE(after->Allows(Operation::kRead, "secret/x", false));
  EXPECT_TRUE(after->Allows(Operation::kList, "secret/x", false));
  // An Acl already handed out does not change under its holder.
  EXPECT_TRUE(before->Allows(Operation::kRead, "secret/x", false));

  ASSERT_TRUE(store_.DeletePolicy("a").ok());
  EXPECT_EQ(store_.CachedAclCountForTest(), 0u);
  EXPECT_FALSE(AclOrDie({"a"})->Allows(Operation::kList, "secret/x", false));
}

TEST_F(PolicyStoreTest, MissingPoliciesGrantNothingAndOthersStillApply) {
  ASSERT_TRUE(store_.SetPolicy("a", kReadSecret).ok());
  auto acl = AclOrDie({"a", "does-not-exist", "bad/name"});
  EXPECT_TRUE(acl->Allows(Operation::kRead, "secret/x", false));
  EXPECT_EQ(AclOrDie({})->Capabilities("secret/x"), std::vector<std::string>{"deny"});
}

TEST_F(PolicyStoreTest, StorageFailuresAreReportedNotCached) {
  ASSERT_TRUE(store_.SetPolicy("a", kReadSecret).ok());
  barrier_.SetFailReads(true);
  EXPECT_EQ(store_.AclFor({"a"}).status().code(), StatusCode::kIOError);
  EXPECT_EQ(store_.GetPolicy("a").status().code(), StatusCode::kIOError);
  EXPECT_EQ(store_.ListPolicies().status().code(), StatusCode::kIOError);
  EXPECT_EQ(store_.CachedAclCountForTest(), 0u);
  barrier_.ClearFaults();
  auto cached = AclOrDie({"a"});

  barrier_.SetFailWrites(true);
  EXPECT_EQ(store_.SetPolicy("a", kListSecret).code(), StatusCode::kIOError);
  EXPECT_EQ(store_.DeletePolicy("a").code(), StatusCode::kIOError);
  barrier_.ClearFaults();
  EXPECT_EQ(store_.GetPolicy("a")->raw, kReadSecret);
}

TEST_F(PolicyStoreTest, CorruptStoredPolicyIsCorruption) {
  ASSERT_TRUE(inmem_.Put("sys/policy/broken", "not json").ok());
  EXPECT_EQ(store_.GetPolicy("broken").status().code(), StatusCode::kCorruption);
  ASSERT_TRUE(inmem_.Put("sys/policy/unparsable", R"({"name":"x","policy":"path {"})").ok());
  EXPECT_EQ(store_.GetPolicy("unparsable").status().code(), StatusCode::kCorruption);
  EXPECT_EQ(store_.AclFor({"unparsable"}).status().code(), StatusCode::kCorruption);
}

TEST_F(PolicyStoreTest, ConcurrentReadersSeeTheLastWrite) {
  ASSERT_TRUE(store_.SetPolicy("p", kReadSecret).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto acl = store_.AclFor({"p", "default"});
        if (!acl.ok()) failures.fetch_add(1);
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(store_.SetPolicy("p", i % 2 == 0 ? kListSecret : kReadSecret).ok());
  }
  ASSERT_TRUE(store_.SetPolicy("p", kListSecret).ok());
  stop.store(true);
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  // Whatever the readers cached while writes raced them, the final write's
  // invalidation leaves no stale Acl behind.
  auto acl = AclOrDie({"p", "default"});
  EXPECT_TRUE(acl->Allows(Operation::kList, "secret/x", false));
  EXPECT_FALSE(acl->Allows(Operation::kRead, "secret/x", false));
}

}  // namespace
}  // namespace tresor::core::policy
