// StateStore's replication log (raft/replication_log.h): what is logged,
// the hash chain, trimming, replicated entries, restores and installs.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "raft/command.h"
#include "raft/state_store.h"
#include "raft/state_store_fixture_for_test.h"

namespace tresor::raft {
namespace {

const std::string kStart(kWalHashBytes, 's');

class StateStoreWalTest : public StateStoreTest {
 protected:
  WalHead Head(StateStore& store) {
    auto head = store.ReadWalHead();
    EXPECT_TRUE(head.ok()) << head.status().ToString();
    EXPECT_TRUE(head.ok() && head->has_value());
    return head.ok() && head->has_value() ? **head : WalHead{};
  }
  // The entries after `after`: (index, decoded ops).
  std::vector<std::pair<std::uint64_t, std::vector<StateOp>>> Entries(StateStore& store,
                                                                     std::uint64_t after) {
    std::vector<std::pair<std::uint64_t, std::vector<StateOp>>> out;
    Status status = store.ReadWal(after, 1 << 20, [&](const WalPosition& p, const WalStamp&, std::string_view ops) {
      auto decoded = DecodeCommand(ops);
      if (!decoded.ok()) return decoded.status();
      out.emplace_back(p.index, *decoded);
      return Status::Ok();
    });
    EXPECT_TRUE(status.ok()) << status.ToString();
    return out;
  }
};

TEST_F(StateStoreWalTest, OffUntilConfiguredAndLogsOnlyStateChangesAfter) {
  Apply(1, {StateOp::Put("a", "1")});
  auto head = store_->ReadWalHead();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
  EXPECT_EQ(store_->ReadWal(0, 100, [](auto&, auto&, auto) { return Status::Ok(); }).code(),
            StatusCode::kFailedPrecondition);

  Apply(2, {WalConfigOp(100, kStart, "local/")});
  EXPECT_EQ(Head(*store_).last, (WalPosition{0, kStart}));
  Apply(3, {StateOp::Put("b", "2"), StateOp::Put("local/x", "kept here")});
  Apply(4, {});                          // no ops: not an entry of the log
  Apply(5, {StateOp::Put("local/y", "y")});  // only excluded keys: neither
  Apply(6, {StateOp::Delete("a")});

  auto entries = Entries(*store_, 0);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].first, 1u);
  ASSERT_EQ(entries[0].second.size(), 1u);  // local/x left out
  EXPECT_EQ(entries[0].second[0].key, "b");
  EXPECT_EQ(entries[1].first, 2u);
  EXPECT_EQ(entries[1].second[0].type, StateOp::Type::kDelete);
  // The control op is never state, and the excluded key still is.
  EXPECT_EQ(Read(std::string(kWalConfigKey)), std::nullopt);
  EXPECT_EQ(Read("local/x"), "kept here");

  // The chain: each hash covers the one before and the entry's ops.
  const WalHead head2 = Head(*store_);
  std::string h1 = WalChainHash(kStart, EncodeCommand({StateOp::Put("b", "2")}));
  EXPECT_EQ(head2.last, (WalPosition{2, WalChainHash(h1, EncodeCommand({StateOp::Delete("a")}))}));
  EXPECT_TRUE(*store_->WalHolds({1, h1}));
  EXPECT_FALSE(*store_->WalHolds({1, std::string(kWalHashBytes, 'x')}));
  EXPECT_TRUE(*store_->WalHolds({0, kStart}));
  EXPECT_FALSE(*store_->WalHolds({3, head2.last.hash}));

  // Survives a restart.
  Reopen();
  EXPECT_EQ(Head(*store_).last, head2.last);
}

TEST_F(StateStoreWalTest, TrimsToTheRetainedCountKeepingTheFloorsHash) {
  Apply(1, {WalConfigOp(3, kStart, "")});
  for (std::uint64_t i = 2; i <= 8; ++i) Apply(i, {StateOp::Put("k", std::to_string(i))});
  const WalHead head = Head(*store_);
  EXPECT_EQ(head.last.index, 7u);
  EXPECT_EQ(head.floor.index, 4u);
  EXPECT_EQ(Entries(*store_, 4).size(), 3u);
  EXPECT_EQ(store_->ReadWal(3, 100, [](auto&, auto&, auto) { return Status::Ok(); }).code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(*store_->WalHolds(head.floor));
  // A byte budget stops the read after the first entry.
  std::size_t seen = 0;
  ASSERT_TRUE(store_->ReadWal(4, 1, [&](auto&, auto&, auto) { ++seen; return Status::Ok(); }).ok());
  EXPECT_EQ(seen, 1u);
}

TEST_F(StateStoreWalTest, ReplicatedEntriesMustContinueTheChain) {
  // A primary's log...
  Apply(1, {WalConfigOp(100, kStart, "")});
  Apply(2, {StateOp::Put("a", "1")});
  Apply(3, {StateOp::Put("b", "2")});
  auto primary_entries = Entries(*store_, 0);

  // ...followed by a secondary that stands at the primary's start.
  auto other = StateStore::Open(dir_.path() + "/secondary", kMapSize);
  ASSERT_TRUE(other.ok());
  StateStore& secondary = **other;
  ASSERT_TRUE(secondary.Stage(1, {WalConfigOp(100, std::string(kWalHashBytes, 'o'), "")}).ok());
  ASSERT_TRUE(secondary.Stage(2, {WalNextOp({0, kStart})}).ok());
  ASSERT_TRUE(secondary.Commit().ok());
  EXPECT_EQ(Head(secondary).last, (WalPosition{0, kStart}));

  std::uint64_t raft_index = 3;
  Status status = store_->ReadWal(0, 1 << 20, [&](const WalPosition& p, const WalStamp&, std::string_view ops) {
    auto decoded = DecodeCommand(ops);
    std::vector<StateOp> entry = *decoded;
    entry.push_back(WalNextOp(p));
    return secondary.Stage(raft_index++, entry);
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_TRUE(secondary.Commit().ok());
  EXPECT_EQ(Head(secondary).last, Head(*store_).last);
  auto value = secondary.Get("b");
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, "2");

  // An entry at the wrong place (a replay, or a gap) is refused whole.
  std::vector<StateOp> replay = primary_entries[0].second;
  replay.push_back(WalNextOp({1, Head(*store_).last.hash}));
  EXPECT_EQ(secondary.Stage(raft_index++, replay).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(secondary.Commit().ok());
  EXPECT_EQ(Head(secondary).last.index, 2u);
}

TEST_F(StateStoreWalTest, ARestoreBreaksTheHistoryAndAnInstallCarriesTheHead) {
  Apply(1, {WalConfigOp(100, kStart, "")});
  Apply(2, {StateOp::Put("a", "1")});
  const WalHead before = Head(*store_);
  Apply(3, {RestoreBeginOp(9)});
  Apply(4, {RestorePutOp(9, "r", "restored")});
  Apply(5, {RestoreCommitOp(9, {})});
  const WalHead after = Head(*store_);
  EXPECT_EQ(after.last.index, before.last.index + 1);
  EXPECT_EQ(after.floor, after.last);
  EXPECT_FALSE(*store_->WalHolds(before.last));
  EXPECT_EQ(Read("r"), "restored");

  // An install from this store's view: the head travels, no entries do.
  Apply(6, {StateOp::Put("b", "2")});
  auto view = store_->OpenView();
  ASSERT_TRUE(view.ok());
  auto other = StateStore::Open(dir_.path() + "/follower", kMapSize);
  ASSERT_TRUE(other.ok());
  auto installer = (*other)->BeginInstall();
  ASSERT_TRUE(installer.ok());
  ASSERT_TRUE((*view)->ForEachStored([&](std::string_view k, std::string_view v) {
                       return (*installer)->Add(k, v);
                     }).ok());
  ASSERT_TRUE((*installer)->Finish((*view)->applied_index()).ok());
  const WalHead installed = Head(**other);
  EXPECT_EQ(installed.last, Head(*store_).last);
  EXPECT_EQ(installed.floor, installed.last);
  EXPECT_EQ(installed.retain, 100u);
  // The snapshot form of the state (ForEach) never shows the head.
  ASSERT_TRUE((*view)->ForEach([](std::string_view k, std::string_view) {
                       EXPECT_NE(k.front(), '/');
                       return Status::Ok();
                     }).ok());

  // Switched off: the head goes.
  Apply(7, {WalConfigOp(0, kStart, "")});
  auto head = store_->ReadWalHead();
  ASSERT_TRUE(head.ok());
  EXPECT_FALSE(head->has_value());
}

TEST_F(StateStoreWalTest, EntriesCarryTheirRaftIndexAndProposalTime) {
  Apply(1, {WalConfigOp(100, kStart, "")});
  Apply(2, {StateOp::Put("a", "1"), WalTimeOp(1'700'000'000'123'456'789)});
  Apply(3, {StateOp::Delete("a")});  // no time op: stamped when applied
  std::vector<WalStamp> stamps;
  std::vector<std::string> ops;
  ASSERT_TRUE(store_
                  ->ReadWal(0, 1 << 20,
                            [&](const WalPosition&, const WalStamp& stamp, std::string_view encoded) {
                              stamps.push_back(stamp);
                              ops.emplace_back(encoded);
                              return Status::Ok();
                            })
                  .ok());
  ASSERT_EQ(stamps.size(), 2u);
  EXPECT_EQ(stamps[0].raft_index, 2u);
  EXPECT_EQ(stamps[0].unix_ns, 1'700'000'000'123'456'789);
  EXPECT_EQ(stamps[1].raft_index, 3u);
  EXPECT_GT(stamps[1].unix_ns, 1'700'000'000'123'456'789);
  // The time op is the stamp, never an op of the entry or a stored key.
  auto decoded = DecodeCommand(ops[0]);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0].key, "a");
  auto stored = store_->Get(kWalTimeKey);
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->has_value());
}

}  // namespace
}  // namespace tresor::raft
