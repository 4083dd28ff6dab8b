// TokenStore: batch tokens, bound_cidrs and role persistence, ForEachToken
// and the role storage. The rest of the store is in token_store_test.cc.

#include <gtest/gtest.h>

#include <memory>

#include "engines/auth/token/token_batch.h"
#include "engines/auth/token/token_engine_for_test.h"

namespace tresor::engines::token {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// The engine fixture's store (a root token, FakeClock, fault-injecting
// in-memory storage), used directly.
class TokenStoreBatchTest : public TokenEngineTestBase {
 protected:
  NewToken Batch(std::string parent_hash = "") {
    NewToken spec;
    spec.type = "batch";
    spec.parent_hash = std::move(parent_hash);
    spec.policies = {"default", "web"};
    spec.meta = {{"user", "alice"}};
    spec.ttl = hours(1);
    spec.path = "auth/token/create";
    spec.bound_cidrs = {"10.0.0.0/8"};
    return spec;
  }
  CreatedToken StoreCreate(const NewToken& spec, TokenStore* store = nullptr) {
    auto created = (store ? store : store_.get())->Create(spec);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : CreatedToken{};
  }
  std::optional<TokenEntry> Find(const std::string& token, TokenStore* store = nullptr) {
    auto entry = (store ? store : store_.get())->Lookup(token);
    EXPECT_TRUE(entry.ok()) << entry.status().ToString();
    return entry.ok() ? *entry : std::nullopt;
  }
};

TEST_F(TokenStoreBatchTest, LoadCreatesTheBatchKeyOnceAndKeepsIt) {
  auto key = base_.Get("batch-key");
  ASSERT_TRUE(key.ok() && key->has_value());
  EXPECT_EQ((*key)->size(), 32u);
  ASSERT_TRUE(store_->Load().ok());
  EXPECT_EQ(*base_.Get("batch-key"), *key);
}

TEST_F(TokenStoreBatchTest, BatchTokenIsNeverStoredAndLooksUpWithoutStorageReads) {
  std::vector<std::string> before = AllKeys();
  CreatedToken created = StoreCreate(Batch());
  EXPECT_EQ(AllKeys(), before);
  EXPECT_TRUE(created.token.starts_with("hvb."));
  EXPECT_EQ(created.entry.type, "batch");
  EXPECT_EQ(created.entry.accessor, "");
  EXPECT_FALSE(created.entry.renewable);
  EXPECT_EQ(created.entry.ttl, hours(1));

  storage_.ResetCountsForTest();
  for (int i = 0; i < 3; ++i) {
    auto used = store_->UseToken(created.token);
    ASSERT_TRUE(used.ok() && used->has_value());
    EXPECT_EQ((*used)->policies, (std::vector<std::string>{"default", "web"}));
    EXPECT_EQ((*used)->meta.at("user"), "alice");
    EXPECT_EQ((*used)->bound_cidrs, std::vector<std::string>{"10.0.0.0/8"});
    EXPECT_EQ((*used)->type, "batch");
    // A stable hash: core keys per-token state by it.
    EXPECT_EQ((*used)->id_hash, created.entry.id_hash);
  }
  EXPECT_EQ(storage_.GetCountForTest(), 0u);
  EXPECT_EQ(storage_.PutCountForTest() + storage_.BatchCountForTest(), 0u);
}

TEST_F(TokenStoreBatchTest, BatchTokenExpiresAtItsTtl) {
  CreatedToken created = StoreCreate(Batch());
  clock_.Advance(hours(1) - seconds(1));
  EXPECT_TRUE(Find(created.token).has_value());
  clock_.Advance(seconds(1));
  EXPECT_FALSE(Find(created.token).has_value());
}

TEST_F(TokenStoreBatchTest, BatchTokenAlwaysExpires) {
  NewToken spec = Batch();
  spec.ttl = seconds(0);  // the store's default TTL (768h here)
  CreatedToken created = StoreCreate(spec);
  EXPECT_EQ(created.entry.ttl, hours(768));
  spec.ttl = hours(10);
  spec.explicit_max_ttl = hours(2);  // caps the TTL, is not kept
  created = StoreCreate(spec);
  EXPECT_EQ(created.entry.ttl, hours(2));
  EXPECT_EQ(created.entry.explicit_max_ttl, seconds(0));
  clock_.Advance(hours(2));
  EXPECT_FALSE(Find(created.token).has_value());
}

TEST_F(TokenStoreBatchTest, TamperedTokenIsUnknown) {
  CreatedToken created = StoreCreate(Batch());
  std::string bad = created.token;
  bad[bad.size() / 2] = bad[bad.size() / 2] == 'x' ? 'y' : 'x';
  EXPECT_FALSE(Find(bad).has_value());
  EXPECT_TRUE(Find(created.token).has_value());
}

TEST_F(TokenStoreBatchTest, TokenOfAnotherClusterIsUnknown) {
  storage::InmemBackend other_storage;
  TokenStore other(other_storage, clock_);
  ASSERT_TRUE(other.Load().ok());
  CreatedToken foreign = StoreCreate(Batch(), &other);
  EXPECT_TRUE(Find(foreign.token, &other).has_value());
  EXPECT_FALSE(Find(foreign.token).has_value());
}

TEST_F(TokenStoreBatchTest, EveryNodeThatLoadsTheKeyAcceptsTheToken) {
  CreatedToken created = StoreCreate(Batch());
  // Another node: a fresh store over the same (replicated) storage.
  TokenStore other(storage_, clock_);
  ASSERT_TRUE(other.Load().ok());
  auto entry = Find(created.token, &other);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->id_hash, created.entry.id_hash);
  // Sealed when unloaded.
  other.Unload();
  EXPECT_EQ(other.Lookup(created.token).status().code(), StatusCode::kSealed);
}

TEST_F(TokenStoreBatchTest, ANodeThatCouldNotWriteTheKeyReadsItLater) {
  storage::InmemBackend fresh_base;
  storage::FaultInjectingBackend fresh(&fresh_base);
  ASSERT_TRUE(fresh.Put("salt", std::string(32, 's')).ok());
  // A standby of a cluster that never had a key: writes fail.
  fresh.SetFailWrites(true);
  TokenStore standby(fresh, clock_);
  ASSERT_TRUE(standby.Load().ok());
  EXPECT_FALSE(fresh_base.Get("batch-key")->has_value());
  fresh.SetFailWrites(false);
  // The active makes the key and a token.
  TokenStore active(fresh, clock_);
  ASSERT_TRUE(active.Load().ok());
  CreatedToken created = StoreCreate(Batch(), &active);
  EXPECT_TRUE(Find(created.token, &standby).has_value());
}

TEST_F(TokenStoreBatchTest, ReloadedStoreStillAcceptsTokensMadeBefore) {
  CreatedToken created = StoreCreate(Batch());
  store_->Unload();
  ASSERT_TRUE(store_->Load().ok());
  EXPECT_TRUE(Find(created.token).has_value());
}

TEST_F(TokenStoreBatchTest, RevokingTheParentInvalidatesBatchChildren) {
  NewToken parent_spec;
  parent_spec.policies = {"default", "web"};
  parent_spec.ttl = hours(8);
  CreatedToken parent = StoreCreate(parent_spec);
  CreatedToken child = StoreCreate(Batch(parent.entry.id_hash));
  CreatedToken orphan = StoreCreate(Batch());
  EXPECT_TRUE(Find(child.token).has_value());
  EXPECT_EQ(Find(child.token)->parent, parent.entry.id_hash);
  ASSERT_TRUE(store_->Revoke(parent.entry.id_hash).ok());
  EXPECT_FALSE(Find(child.token).has_value());
  EXPECT_TRUE(Find(orphan.token).has_value());
}

TEST_F(TokenStoreBatchTest, AnExpiredParentInvalidatesBatchChildren) {
  NewToken parent_spec;
  parent_spec.policies = {"web"};
  parent_spec.ttl = hours(1);
  CreatedToken parent = StoreCreate(parent_spec);
  NewToken spec = Batch(parent.entry.id_hash);
  spec.ttl = hours(5);
  CreatedToken child = StoreCreate(spec);
  clock_.Advance(hours(1));
  EXPECT_FALSE(Find(child.token).has_value());
}

TEST_F(TokenStoreBatchTest, WhatABatchTokenCannotHaveIsRefused) {
  std::vector<std::string> before = AllKeys();
  struct Case {
    std::function<void(NewToken&)> change;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {[](NewToken& s) { s.id = "custom"; }, "custom ID"},
           {[](NewToken& s) { s.policies = {"root"}; }, "cannot be root tokens"},
           {[](NewToken& s) { s.num_uses = 2; }, "\"num_uses\""},
           {[](NewToken& s) { s.period = hours(1); }, "\"period\""},
           {[](NewToken& s) { s.parent_hash = "0123abcd"; }, "no parent found"},
       }) {
    NewToken spec = Batch();
    c.change(spec);
    auto created = store_->Create(spec);
    ASSERT_FALSE(created.ok()) << c.message;
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(created.status().message().find(c.message), std::string::npos)
        << created.status().message();
  }
  NewToken weird = Batch();
  weird.type = "gold";
  EXPECT_EQ(store_->Create(weird).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AllKeys(), before);
}

TEST_F(TokenStoreBatchTest, BatchParentCannotBeStoredTokensParent) {
  CreatedToken batch = StoreCreate(Batch());
  NewToken child;
  child.parent_hash = batch.entry.id_hash;
  child.ttl = hours(1);
  auto created = store_->Create(child);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("no parent found"), std::string::npos);
}

TEST_F(TokenStoreBatchTest, CustomIdWithTheBatchPrefixIsRefused) {
  NewToken spec;
  spec.id = "hvb.looks-like-a-batch-token";
  auto created = store_->Create(spec);
  ASSERT_FALSE(created.ok());
  EXPECT_NE(created.status().message().find("hvb."), std::string::npos);
}

TEST_F(TokenStoreBatchTest, ServiceEntryPersistsBoundCidrsAndRole) {
  NewToken spec;
  spec.policies = {"web"};
  spec.ttl = hours(1);
  spec.bound_cidrs = {"127.0.0.1/32", "2001:db8::/32"};
  spec.role = "ci";
  CreatedToken created = StoreCreate(spec);
  // In the stored JSON ...
  auto stored = base_.Get("id/" + created.entry.id_hash);
  ASSERT_TRUE(stored.ok() && stored->has_value());
  auto parsed = ParseTokenEntry(**stored, created.entry.id_hash);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->bound_cidrs, spec.bound_cidrs);
  EXPECT_EQ(parsed->role, "ci");
  // ... and read back by a store with a cold cache.
  TokenStore other(storage_, clock_);
  ASSERT_TRUE(other.Load().ok());
  auto entry = Find(created.token, &other);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->bound_cidrs, spec.bound_cidrs);
  EXPECT_EQ(entry->role, "ci");
}

TEST_F(TokenStoreBatchTest, EntriesWithoutBoundCidrsReadAsUnbound) {
  // Entries written before bound_cidrs and role existed.
  auto parsed = ParseTokenEntry(
      R"({"accessor":"a","policies":["web"],"display_name":"token","creation_time":5})", "h");
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->bound_cidrs.empty());
  EXPECT_EQ(parsed->role, "");
}

TEST_F(TokenStoreBatchTest, ForEachTokenVisitsStoredTokensUnderAPrefix) {
  auto make = [&](const std::string& path) {
    NewToken spec;
    spec.policies = {"web"};
    spec.ttl = hours(1);
    spec.path = path;
    return StoreCreate(spec);
  };
  CreatedToken a = make("auth/token/create/ci");
  CreatedToken b = make("auth/token/create/ci/v2");
  make("auth/userpass/login/alice");
  StoreCreate(Batch());  // never visited: not stored
  std::vector<std::string> seen;
  auto collect = [&](const TokenEntry& e) {
    seen.push_back(e.id_hash);
    return Status::Ok();
  };
  ASSERT_TRUE(store_->ForEachToken("auth/token/create/ci", collect).ok());
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> want = {a.entry.id_hash, b.entry.id_hash};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(seen, want);

  seen.clear();
  ASSERT_TRUE(store_->ForEachToken("", collect).ok());
  EXPECT_EQ(seen.size(), 4u);  // root, a, b and alice's
}

TEST_F(TokenStoreBatchTest, ForEachTokenVisitorMayRevokeAndItsErrorStopsTheWalk) {
  for (int i = 0; i < 5; ++i) {
    NewToken spec;
    spec.ttl = hours(1);
    spec.path = "auth/token/create/gone";
    StoreCreate(spec);
  }
  int visited = 0;
  ASSERT_TRUE(store_
                  ->ForEachToken("auth/token/create/gone",
                                 [&](const TokenEntry& e) {
                                   ++visited;
                                   return store_->Revoke(e.id_hash);
                                 })
                  .ok());
  EXPECT_EQ(visited, 5);
  int after = 0;
  ASSERT_TRUE(store_
                  ->ForEachToken("auth/token/create/gone",
                                 [&](const TokenEntry&) {
                                   ++after;
                                   return Status::Ok();
                                 })
                  .ok());
  EXPECT_EQ(after, 0);

  visited = 0;
  Status stopped = store_->ForEachToken("", [&](const TokenEntry&) {
    ++visited;
    return InternalError("stop here");
  });
  EXPECT_EQ(stopped.message(), "stop here");
  EXPECT_EQ(visited, 1);
  auto nothing = [](const TokenEntry&) { return Status::Ok(); };
  storage_.SetFailReads(true);
  EXPECT_EQ(store_->ForEachToken("", nothing).code(), StatusCode::kIOError);
  storage_.SetFailReads(false);
  store_->Unload();
  EXPECT_EQ(store_->ForEachToken("", nothing).code(), StatusCode::kSealed);
}

TEST_F(TokenStoreBatchTest, RolesAreStoredUnderRolesAndListedSorted) {
  TokenRole b;
  b.name = "b-role";
  b.allowed_policies = {"web"};
  TokenRole a;
  a.name = "a.role";
  ASSERT_TRUE(store_->WriteRole(b).ok());
  ASSERT_TRUE(store_->WriteRole(a).ok());
  EXPECT_TRUE(base_.Get("roles/b-role")->has_value());
  auto names = store_->ListRoles();
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.role", "b-role"}));
  auto read = store_->ReadRole("b-role");
  ASSERT_TRUE(read.ok() && read->has_value());
  EXPECT_EQ((*read)->allowed_policies, std::vector<std::string>{"web"});
  ASSERT_TRUE(store_->DeleteRole("b-role").ok());
  ASSERT_TRUE(store_->DeleteRole("b-role").ok());  // again: fine
  EXPECT_FALSE(store_->ReadRole("b-role")->has_value());
  // A name that is not a role name never reaches storage.
  EXPECT_EQ(store_->ReadRole("../salt").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->DeleteRole("a/b").code(), StatusCode::kInvalidArgument);
  // Corrupt stored role.
  ASSERT_TRUE(base_.Put("roles/broken", "{").ok());
  EXPECT_EQ(store_->ReadRole("broken").status().code(), StatusCode::kCorruption);
  store_->Unload();
  EXPECT_EQ(store_->ListRoles().status().code(), StatusCode::kSealed);
}

}  // namespace
}  // namespace tresor::engines::token
