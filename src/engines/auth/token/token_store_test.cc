#include "engines/auth/token/token_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/fault/fault_injecting_backend.h"
#include "storage/forwarding_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::token {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TokenStore>(storage_, clock_);
    ASSERT_TRUE(store_->Load().ok());
    store_->SetRevokeHook([this](const std::string& hash) { revoked_.push_back(hash); });
  }

  CreatedToken MustCreate(NewToken spec) {
    auto created = store_->Create(spec);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : CreatedToken{};
  }
  NewToken Child(const CreatedToken& parent, seconds ttl = hours(1)) {
    NewToken spec;
    spec.parent_hash = parent.entry.id_hash;
    spec.policies = {"default"};
    spec.ttl = ttl;
    return spec;
  }
  bool Valid(const std::string& token) {
    auto entry = store_->Lookup(token);
    EXPECT_TRUE(entry.ok());
    return entry.ok() && entry->has_value();
  }
  std::vector<std::string> Keys(std::string_view prefix) {
    auto keys = storage::ListRecursive(base_, prefix);
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  storage::InmemBackend base_;
  storage::FaultInjectingBackend storage_{&base_};
  FakeClock clock_;
  std::unique_ptr<TokenStore> store_;
  std::vector<std::string> revoked_;
};

TEST_F(TokenStoreTest, RootTokenHasVaultShapeAndNeverExpires) {
  auto root = store_->CreateRootToken(std::nullopt);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->rfind("hvs.", 0), 0u);
  EXPECT_EQ(root->size(), 28u);
  auto entry = store_->Lookup(*root);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_TRUE((*entry)->IsRoot());
  EXPECT_EQ((*entry)->display_name, "root");
  EXPECT_EQ((*entry)->path, "auth/token/root");
  EXPECT_EQ((*entry)->accessor.size(), 24u);
  clock_.Advance(hours(24 * 365 * 10));
  EXPECT_TRUE(Valid(*root));
}

TEST_F(TokenStoreTest, StorageHoldsHashesNeverTokens) {
  auto root = store_->CreateRootToken(std::string("my-dev-root"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(*root, "my-dev-root");
  for (const std::string& key : Keys("")) {
    auto value = base_.Get(key);
    ASSERT_TRUE(value.ok() && value->has_value());
    EXPECT_EQ(key.find("my-dev-root"), std::string::npos) << key;
    EXPECT_EQ((*value)->find("my-dev-root"), std::string::npos) << key;
  }
  auto hash = store_->HashToken("my-dev-root");
  ASSERT_TRUE(hash.ok());
  EXPECT_EQ(hash->size(), 64u);
  EXPECT_TRUE(base_.Get("id/" + *hash)->has_value());
}

TEST_F(TokenStoreTest, RootTokenIdMustBeNonEmptyAndUnique) {
  EXPECT_EQ(store_->CreateRootToken(std::string()).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(store_->CreateRootToken(std::string("dup")).ok());
  EXPECT_EQ(store_->CreateRootToken(std::string("dup")).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TokenStoreTest, CacheHitDoesNoStorageRead) {
  auto root = store_->CreateRootToken(std::nullopt);
  ASSERT_TRUE(root.ok());
  storage_.ResetCountsForTest();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(Valid(*root));
  EXPECT_EQ(storage_.GetCountForTest(), 0u);
  EXPECT_EQ(storage_.ListCountForTest(), 0u);
}

TEST_F(TokenStoreTest, UnknownTokenIsReadOnceFromStorage) {
  storage_.ResetCountsForTest();
  EXPECT_FALSE(Valid("hvs.doesnotexist"));
  EXPECT_EQ(storage_.GetCountForTest(), 1u);
  EXPECT_FALSE(Valid(""));
  EXPECT_EQ(storage_.GetCountForTest(), 1u);
}

TEST_F(TokenStoreTest, RestartSeesEverything) {
  auto root = store_->CreateRootToken(std::nullopt);
  ASSERT_TRUE(root.ok());
  auto parent = store_->Lookup(*root);
  CreatedToken child = MustCreate(Child({*root, **parent}));
  TokenStore restarted(storage_, clock_);
  ASSERT_TRUE(restarted.Load().ok());
  storage_.ResetCountsForTest();
  auto entry = restarted.Lookup(child.token);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ(storage_.GetCountForTest(), 1u);  // first lookup reads, then caches
  EXPECT_EQ((*entry)->parent, (*parent)->id_hash);
  auto by_accessor = restarted.LookupByAccessor(child.entry.accessor);
  ASSERT_TRUE(by_accessor.ok() && by_accessor->has_value());
  EXPECT_EQ((*by_accessor)->id_hash, child.entry.id_hash);
  // The tree survives too: revoking the root through the new store takes
  // the child with it.
  ASSERT_TRUE(restarted.Revoke((*parent)->id_hash).ok());
  auto gone = restarted.Lookup(child.token);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(TokenStoreTest, UnloadForgetsSaltAndCache) {
  auto root = store_->CreateRootToken(std::nullopt);
  ASSERT_TRUE(root.ok());
  store_->Unload();
  EXPECT_EQ(store_->Lookup(*root).status().code(), StatusCode::kSealed);
  ASSERT_TRUE(store_->Load().ok());
  EXPECT_TRUE(Valid(*root));
}

TEST_F(TokenStoreTest, TokenExpiresAtItsTtl) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = seconds(60);
  CreatedToken t = MustCreate(spec);
  clock_.Advance(seconds(59));
  EXPECT_TRUE(Valid(t.token));
  clock_.Advance(seconds(1));
  EXPECT_FALSE(Valid(t.token));
}

TEST_F(TokenStoreTest, RenewExtendsFromNowAndRefusesNonRenewable) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = seconds(60);
  CreatedToken t = MustCreate(spec);
  clock_.Advance(seconds(50));
  auto renewed = store_->Renew(t.entry.id_hash, seconds(100));
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(renewed->entry.ttl, seconds(100));
  clock_.Advance(seconds(99));
  EXPECT_TRUE(Valid(t.token));
  clock_.Advance(seconds(1));
  EXPECT_FALSE(Valid(t.token));
  EXPECT_EQ(store_->Renew(t.entry.id_hash, seconds(10)).status().message(), "token not found");

  spec.renewable = false;
  CreatedToken fixed = MustCreate(spec);
  EXPECT_EQ(store_->Renew(fixed.entry.id_hash, seconds(10)).status().message(),
            "lease is not renewable");
}

TEST_F(TokenStoreTest, PeriodicTokenLivesAsLongAsItIsRenewed) {
  NewToken spec;
  spec.policies = {"default"};
  spec.period = hours(1);
  spec.ttl = hours(1);
  CreatedToken t = MustCreate(spec);
  for (int i = 0; i < 2000; ++i) {  // far past the 768h system max
    clock_.Advance(std::chrono::minutes(50));
    auto renewed = store_->Renew(t.entry.id_hash, seconds(5));
    ASSERT_TRUE(renewed.ok()) << i << ": " << renewed.status().ToString();
    ASSERT_EQ(renewed->entry.ttl, hours(1));
  }
  EXPECT_TRUE(Valid(t.token));
  clock_.Advance(hours(1));
  EXPECT_FALSE(Valid(t.token));
}

TEST_F(TokenStoreTest, ExplicitMaxTtlCapsRenewals) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  spec.explicit_max_ttl = hours(2);
  CreatedToken t = MustCreate(spec);
  clock_.Advance(std::chrono::minutes(50));
  auto first = store_->Renew(t.entry.id_hash, hours(1));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->entry.ttl, hours(1));
  EXPECT_TRUE(first->warnings.empty());
  clock_.Advance(std::chrono::minutes(50));
  auto capped = store_->Renew(t.entry.id_hash, hours(1));
  ASSERT_TRUE(capped.ok()) << capped.status().ToString();
  EXPECT_EQ(capped->entry.ttl, std::chrono::minutes(20));
  EXPECT_EQ(capped->warnings.size(), 1u);
  clock_.Advance(std::chrono::minutes(19));
  EXPECT_TRUE(Valid(t.token));
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_FALSE(Valid(t.token));
  EXPECT_EQ(store_->Renew(t.entry.id_hash, hours(1)).status().message(), "token not found");
}

TEST_F(TokenStoreTest, NumUsesExhaustionRevokesAfterTheLastUse) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  spec.num_uses = 2;
  CreatedToken t = MustCreate(spec);
  auto first = store_->UseToken(t.token);
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->num_uses, 1);
  auto last = store_->UseToken(t.token);
  ASSERT_TRUE(last.ok());
  ASSERT_TRUE(last->has_value()) << "the request using the last use must succeed";
  EXPECT_EQ((*last)->num_uses, 0);
  auto after = store_->UseToken(t.token);
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
  EXPECT_FALSE(Valid(t.token));
  EXPECT_EQ(revoked_, std::vector<std::string>{t.entry.id_hash});
  EXPECT_TRUE(Keys("id/").empty());
  EXPECT_TRUE(Keys("accessor/").empty());
}

TEST_F(TokenStoreTest, UnlimitedTokenUseWritesNothing) {
  auto root = store_->CreateRootToken(std::nullopt);
  ASSERT_TRUE(root.ok());
  storage_.ResetCountsForTest();
  auto used = store_->UseToken(*root);
  ASSERT_TRUE(used.ok() && used->has_value());
  EXPECT_EQ(storage_.PutCountForTest() + storage_.BatchCountForTest(), 0u);
  EXPECT_EQ(storage_.GetCountForTest(), 0u);
}

TEST_F(TokenStoreTest, RevokeTakesTheWholeTreeChildrenFirst) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  CreatedToken a = MustCreate(spec);
  CreatedToken b = MustCreate(Child(a));
  CreatedToken c = MustCreate(Child(b));
  CreatedToken sibling = MustCreate(spec);
  ASSERT_TRUE(store_->Revoke(a.entry.id_hash).ok());
  EXPECT_FALSE(Valid(a.token));
  EXPECT_FALSE(Valid(b.token));
  EXPECT_FALSE(Valid(c.token));
  EXPECT_TRUE(Valid(sibling.token));
  EXPECT_EQ(revoked_,
            (std::vector<std::string>{c.entry.id_hash, b.entry.id_hash, a.entry.id_hash}));
  EXPECT_TRUE(Keys("parent/").empty());
  EXPECT_EQ(Keys("accessor/").size(), 1u);
  // Revoking something unknown is fine.
  EXPECT_TRUE(store_->Revoke("0000").ok());
}

TEST_F(TokenStoreTest, RevokeHandlesDeepChainsIteratively) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  CreatedToken top = MustCreate(spec);
  CreatedToken last = top;
  for (int i = 0; i < 2000; ++i) last = MustCreate(Child(last));
  ASSERT_TRUE(store_->Revoke(top.entry.id_hash).ok());
  EXPECT_FALSE(Valid(last.token));
  EXPECT_EQ(revoked_.size(), 2001u);
  EXPECT_TRUE(Keys("id/").empty());
}

TEST_F(TokenStoreTest, RevokeOrphanKeepsChildrenAsOrphans) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  CreatedToken a = MustCreate(spec);
  CreatedToken b = MustCreate(Child(a));
  CreatedToken c = MustCreate(Child(b));
  ASSERT_TRUE(store_->RevokeOrphan(a.entry.id_hash).ok());
  EXPECT_FALSE(Valid(a.token));
  auto orphan = store_->Lookup(b.token);
  ASSERT_TRUE(orphan.ok() && orphan->has_value());
  EXPECT_TRUE((*orphan)->IsOrphan());
  EXPECT_EQ(revoked_, std::vector<std::string>{a.entry.id_hash});
  // The orphan survives a restart as an orphan, and still owns its child.
  TokenStore restarted(storage_, clock_);
  ASSERT_TRUE(restarted.Load().ok());
  auto reread = restarted.Lookup(b.token);
  ASSERT_TRUE(reread.ok() && reread->has_value());
  EXPECT_TRUE((*reread)->IsOrphan());
  ASSERT_TRUE(restarted.Revoke(b.entry.id_hash).ok());
  auto gone = restarted.Lookup(c.token);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_EQ(store_->RevokeOrphan("unknown").code(), StatusCode::kInvalidArgument);
}

TEST_F(TokenStoreTest, AccessorLookupAndList) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  CreatedToken a = MustCreate(spec);
  CreatedToken b = MustCreate(spec);
  auto found = store_->LookupByAccessor(a.entry.accessor);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id_hash, a.entry.id_hash);
  auto missing = store_->LookupByAccessor("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto list = store_->ListAccessors();
  ASSERT_TRUE(list.ok());
  std::vector<std::string> expected{a.entry.accessor, b.entry.accessor};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(*list, expected);
}

TEST_F(TokenStoreTest, ReapExpiredRemovesEntriesIndexesAndChildren) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = seconds(60);
  CreatedToken short_lived = MustCreate(spec);
  CreatedToken child = MustCreate(Child(short_lived, hours(1)));
  spec.ttl = hours(2);
  CreatedToken long_lived = MustCreate(spec);
  auto none = store_->ReapExpired();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0u);
  clock_.Advance(seconds(60));
  auto reaped = store_->ReapExpired();
  ASSERT_TRUE(reaped.ok());
  EXPECT_EQ(*reaped, 2u);
  EXPECT_EQ(Keys("id/").size(), 1u);
  EXPECT_EQ(Keys("accessor/").size(), 1u);
  EXPECT_TRUE(Keys("parent/").empty());
  EXPECT_TRUE(Valid(long_lived.token));
  EXPECT_FALSE(Valid(child.token));
  EXPECT_EQ(revoked_.size(), 2u);
}

TEST_F(TokenStoreTest, TidyRemovesDanglingIndexesAndFinishesInterruptedRevokes) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  CreatedToken parent = MustCreate(spec);
  CreatedToken child = MustCreate(Child(parent));
  CreatedToken kept = MustCreate(spec);
  // Simulate crashes: a token entry lost without its indexes, and a parent
  // deleted before its child.
  ASSERT_TRUE(base_.Delete("id/" + kept.entry.id_hash).ok());
  ASSERT_TRUE(base_.Delete("id/" + parent.entry.id_hash).ok());
  TokenStore fresh(storage_, clock_);  // no cache hiding the damage
  ASSERT_TRUE(fresh.Load().ok());
  auto counts = fresh.Tidy();
  ASSERT_TRUE(counts.ok()) << counts.status().ToString();
  EXPECT_EQ(counts->accessors_removed, 2u);
  EXPECT_EQ(counts->orphaned_children_revoked, 1u);
  auto gone = fresh.Lookup(child.token);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  EXPECT_TRUE(Keys("accessor/").empty());
  EXPECT_TRUE(Keys("parent/").empty());
  EXPECT_TRUE(Keys("id/").empty());
}

TEST_F(TokenStoreTest, FailedWriteChangesNothing) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  storage_.SetFailWrites(true);
  EXPECT_FALSE(store_->Create(spec).ok());
  storage_.SetFailWrites(false);
  EXPECT_TRUE(Keys("id/").empty());
  CreatedToken t = MustCreate(spec);
  storage_.SetFailWrites(true);
  EXPECT_FALSE(store_->Revoke(t.entry.id_hash).ok());
  EXPECT_FALSE(store_->Renew(t.entry.id_hash, hours(1)).ok());
  storage_.SetFailWrites(false);
  EXPECT_TRUE(Valid(t.token));
  EXPECT_TRUE(revoked_.empty());
  auto entry = store_->Lookup(t.token);
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_FALSE((*entry)->last_renewal_time.has_value());
}

TEST_F(TokenStoreTest, ConcurrentUsesNeverExceedNumUses) {
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  spec.num_uses = 50;
  CreatedToken t = MustCreate(spec);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        auto used = store_->UseToken(t.token);
        if (used.ok() && used->has_value()) ++granted;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 50);
  EXPECT_FALSE(Valid(t.token));
  EXPECT_EQ(revoked_.size(), 1u);
}


// A backend whose Batch waits until `expected` batches are in flight at
// once (or gives up after `bound`), recording the most it saw: proof that
// callers reached storage concurrently, or that they did not.
class GatheringBackend final : public storage::ForwardingBackend {
 public:
  GatheringBackend(int expected, std::chrono::milliseconds bound)
      : ForwardingBackend(&base_), expected_(expected), bound_(bound) {}

  Status Batch(const std::vector<storage::Operation>& ops) override {
    std::unique_lock lock(mu_);
    ++in_flight_;
    max_in_flight_ = std::max(max_in_flight_, in_flight_);
    changed_.notify_all();
    changed_.wait_for(lock, bound_,
                      [this] { return max_in_flight_ >= expected_; });
    --in_flight_;
    lock.unlock();
    return ForwardingBackend::Batch(ops);
  }
  int max_in_flight() {
    std::lock_guard lock(mu_);
    return max_in_flight_;
  }

 private:
  storage::InmemBackend base_;
  const int expected_;
  const std::chrono::milliseconds bound_;
  std::mutex mu_;
  std::condition_variable changed_;
  int in_flight_ = 0;
  int max_in_flight_ = 0;
};

// Runs two Create(spec) calls on two threads at once; returns how many
// succeeded.
int CreateTwiceAtOnce(TokenStore& store, const NewToken& spec) {
  std::atomic<int> created{0};
  std::thread first([&] { created += store.Create(spec).ok(); });
  std::thread second([&] { created += store.Create(spec).ok(); });
  first.join();
  second.join();
  return created.load();
}

TEST(TokenStoreConcurrencyTest, RandomIdCreatesReachStorageTogether) {
  // The bound only ends a failing run; a passing one never waits for it.
  GatheringBackend storage(2, std::chrono::seconds(30));
  FakeClock clock;
  TokenStore store(storage, clock);
  ASSERT_TRUE(store.Load().ok());
  NewToken spec;
  spec.policies = {"default"};
  spec.ttl = hours(1);
  EXPECT_EQ(CreateTwiceAtOnce(store, spec), 2);
  EXPECT_EQ(storage.max_in_flight(), 2);
}

TEST(TokenStoreConcurrencyTest, ChosenIdCreatesStaySerialised) {
  // Here the first create waits out the bound alone: the second must not
  // reach storage meanwhile.
  GatheringBackend storage(2, std::chrono::milliseconds(200));
  FakeClock clock;
  TokenStore store(storage, clock);
  ASSERT_TRUE(store.Load().ok());
  NewToken spec;
  spec.id = "hvs.same-chosen-id";
  spec.policies = {"default"};
  spec.ttl = hours(1);
  // Exactly one wins the id; the other finds it taken, never both.
  EXPECT_EQ(CreateTwiceAtOnce(store, spec), 1);
  EXPECT_EQ(storage.max_in_flight(), 1);
}

}  // namespace
}  // namespace tresor::engines::token
