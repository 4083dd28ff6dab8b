// Tests of what MountTable keeps in storage: persistence across Unload/Load
// and restarts, deletion of a disabled mount's data (also when storage fails
// half-way), the sweep of orphaned data at Load, and failed writes.
#include <gtest/gtest.h>

#include "core/mount_table.h"
#include "core/mount_table_for_test.h"
#include "storage/fault/fault_injecting_backend.h"

namespace tresor::core {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST_F(MountTableTest, ChangesPersistAcrossUnloadLoadAndRestart) {
  auto kv = MustEnable(Kv("kv/", "2"));
  ASSERT_NE(kv, nullptr);
  const std::string uuid = kv->entry.uuid;
  EXPECT_FALSE(uuid.empty());
  EXPECT_EQ(kv->entry.accessor.rfind("kv_", 0), 0u);
  ASSERT_NE(MustEnable(Kv("gone/")), nullptr);
  ASSERT_TRUE(table().Disable(MountKind::kSecrets, "gone/").ok());
  MountTune tune;
  tune.description = "tuned";
  tune.default_lease_ttl = hours(1);
  tune.max_lease_ttl = hours(2);
  ASSERT_TRUE(table().Tune(MountKind::kSecrets, "kv/", tune).ok());
  ASSERT_TRUE(table().Remount(MountKind::kSecrets, "kv/", "moved/").ok());

  auto check = [&](MountTable& t) {
    EXPECT_EQ(Paths(t.List(MountKind::kSecrets)),
              (std::vector<std::string>{"cubbyhole/", "moved/", "sys/"}));
    auto moved = t.Find(MountKind::kSecrets, "moved/");
    ASSERT_NE(moved, nullptr);
    EXPECT_EQ(moved->entry.uuid, uuid);
    EXPECT_EQ(moved->entry.description, "tuned");
    EXPECT_EQ(moved->entry.config.max_lease_ttl, hours(2));
    EXPECT_EQ(moved->entry.options.at("version"), "2");
    EXPECT_EQ(t.Find(MountKind::kSecrets, "kv/"), nullptr);
    EXPECT_EQ(t.Find(MountKind::kSecrets, "gone/"), nullptr);
  };
  table().Unload();
  EXPECT_TRUE(table().List(MountKind::kSecrets).empty());
  EXPECT_FALSE(table().Route("moved/data/x").has_value());
  ASSERT_TRUE(table().Load().ok());
  check(table());
  auto restarted = Restart();
  check(restarted->table);
}

TEST_F(MountTableTest, DisableDeletesOnlyThatMountsData) {
  auto doomed = MustEnable(Kv("doomed/"));
  auto kept = MustEnable(Kv("kept/"));
  ASSERT_NE(doomed, nullptr);
  ASSERT_NE(kept, nullptr);
  WriteData(*doomed);
  WriteData(*kept);
  const std::string doomed_prefix = "logical/" + doomed->entry.uuid + "/";
  const std::string kept_prefix = "logical/" + kept->entry.uuid + "/";
  EXPECT_EQ(KeysUnder(barrier_, doomed_prefix), 3u);

  ASSERT_TRUE(table().Disable(MountKind::kSecrets, "doomed/").ok());
  EXPECT_EQ(KeysUnder(barrier_, doomed_prefix), 0u);
  EXPECT_EQ(KeysUnder(barrier_, kept_prefix), 3u);
  EXPECT_EQ(table().Find(MountKind::kSecrets, "doomed/"), nullptr);
  EXPECT_FALSE(table().Route("doomed/a").has_value());
  EXPECT_EQ(Restart()->table.Find(MountKind::kSecrets, "doomed/"), nullptr);
  // A request that got the mount before it was disabled keeps a usable
  // (now empty) view.
  EXPECT_FALSE(doomed->view->Get("a")->has_value());
  // Disabling what is not there is OK, as in Vault.
  EXPECT_TRUE(table().Disable(MountKind::kSecrets, "doomed/").ok());
  EXPECT_TRUE(table().Disable(MountKind::kSecrets, "never/").ok());
}

// Disable with storage failing after each possible number of operations:
// whatever point the failure hits, the state after a restart is either the
// mount with all its data or neither; and the failure that hits after the
// row's removal is committed leaves data that the next Load sweeps.
TEST(MountTableCrashTest, FailedDisableNeverLeavesHalfAMount) {
  bool saw_orphaned_data = false;
  bool saw_success = false;
  for (std::size_t allowed = 0; allowed < 12 && !saw_success; ++allowed) {
    SCOPED_TRACE("operations allowed: " + std::to_string(allowed));
    storage::InmemBackend inmem;
    storage::FaultInjectingBackend faulty(&inmem);
    std::string prefix;
    {
      TableRig rig(faulty);
      ASSERT_TRUE(rig.table.Load().ok());
      auto enabled = rig.table.Enable(MountKind::kSecrets, Kv("kv/"));
      ASSERT_TRUE(enabled.ok());
      auto mount = rig.table.Find(MountKind::kSecrets, "kv/");
      WriteData(*mount);
      prefix = "logical/" + mount->entry.uuid + "/";

      faulty.FailAfterOperations(allowed);
      Status disabled = rig.table.Disable(MountKind::kSecrets, "kv/");
      faulty.ClearFaults();
      saw_success = disabled.ok();
      if (disabled.ok()) {
        EXPECT_EQ(KeysUnder(inmem, prefix), 0u);
      }
    }
    const bool row_kept = (*inmem.Get("core/mounts"))->find("\"kv/\"") != std::string::npos;
    const std::size_t left = KeysUnder(inmem, prefix);
    if (row_kept) {
      EXPECT_EQ(left, 3u) << "a mount whose row survived lost data";
    } else if (left > 0) {
      saw_orphaned_data = true;
    }

    TableRig restarted(faulty);
    ASSERT_TRUE(restarted.table.Load().ok());
    EXPECT_EQ(restarted.table.Find(MountKind::kSecrets, "kv/") != nullptr, row_kept);
    EXPECT_EQ(KeysUnder(inmem, prefix), row_kept ? 3u : 0u);
  }
  EXPECT_TRUE(saw_success);
  EXPECT_TRUE(saw_orphaned_data) << "no failure point fell between the commit and the delete";
}

TEST_F(MountTableTest, LoadSweepsDataNoRowNames) {
  storage::PrefixView orphan(barrier_, "logical/0000-orphan/");
  ASSERT_TRUE(orphan.Put("x", "1").ok());
  storage::PrefixView auth_orphan(barrier_, "auth/0000-orphan/");
  ASSERT_TRUE(auth_orphan.Put("y/z", "1").ok());
  auto kv = MustEnable(Kv("kv/"));
  WriteData(*kv);
  auto cubbyhole = table().Find(MountKind::kSecrets, "cubbyhole/");
  ASSERT_TRUE(cubbyhole->view->Put("hash/k", "v").ok());

  auto restarted = Restart();
  EXPECT_EQ(KeysUnder(barrier_, "logical/0000-orphan/"), 0u);
  EXPECT_EQ(KeysUnder(barrier_, "auth/0000-orphan/"), 0u);
  EXPECT_EQ(KeysUnder(barrier_, "logical/" + kv->entry.uuid + "/"), 3u);
  EXPECT_EQ(KeysUnder(barrier_, "logical/" + cubbyhole->entry.uuid + "/"), 1u);
  // The token store's own storage (sys/token/) is not a mount's: untouched.
  EXPECT_TRUE(barrier_.Put("sys/token/salt", "s").ok());
  ASSERT_TRUE(restarted->table.Load().ok());
  EXPECT_TRUE(barrier_.Get("sys/token/salt")->has_value());
}

TEST_F(MountTableTest, RemountKeepsDataAndFreesTheOldPath) {
  auto kv = MustEnable(Kv("kv/", "2"));
  WriteData(*kv);
  const std::string prefix = "logical/" + kv->entry.uuid + "/";
  ASSERT_TRUE(table().Remount(MountKind::kSecrets, "kv/", "team/kv/").ok());
  EXPECT_EQ(KeysUnder(barrier_, prefix), 3u);
  auto moved = table().Find(MountKind::kSecrets, "team/kv/");
  ASSERT_NE(moved, nullptr);
  EXPECT_EQ(moved->entry.uuid, kv->entry.uuid);
  EXPECT_EQ(moved->entry.accessor, kv->entry.accessor);
  EXPECT_EQ(**moved->view->Get("dir/c"), "3");
  auto routed = table().Route("team/kv/data/a");
  ASSERT_TRUE(routed.has_value());
  EXPECT_EQ(routed->mount->entry.uuid, kv->entry.uuid);
  EXPECT_FALSE(table().Route("kv/data/a").has_value());
  // The old path is free again; the data survives a restart.
  EXPECT_NE(MustEnable(Kv("kv/")), nullptr);
  auto restarted = Restart();
  EXPECT_EQ(KeysUnder(barrier_, prefix), 3u);
  EXPECT_EQ(restarted->table.Find(MountKind::kSecrets, "team/kv/")->entry.uuid, kv->entry.uuid);
}

TEST_F(MountTableTest, FailedEnableChangesNothing) {
  auto unknown = table().Enable(MountKind::kSecrets, Typed("x/", "nosuch"));
  EXPECT_EQ(unknown.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(), "plugin not found in the catalog: nosuch");
  EXPECT_EQ(table().Find(MountKind::kSecrets, "x/"), nullptr);

  storage::FaultInjectingBackend faulty(&barrier_);
  TableRig rig(faulty);
  ASSERT_TRUE(rig.table.Load().ok());
  const std::string before = **barrier_.Get("core/mounts");
  faulty.SetFailWrites(true);
  auto failed = rig.table.Enable(MountKind::kSecrets, Kv("kv/"));
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError);
  EXPECT_EQ(rig.table.Find(MountKind::kSecrets, "kv/"), nullptr);
  EXPECT_FALSE(rig.table.Route("kv/x").has_value());
  faulty.ClearFaults();
  EXPECT_EQ(**barrier_.Get("core/mounts"), before);
}

TEST_F(MountTableTest, CorruptTableFailsLoad) {
  ASSERT_TRUE(barrier_.Put("core/mounts", "not json").ok());
  TableRig rig(barrier_);
  EXPECT_EQ(rig.table.Load().code(), StatusCode::kCorruption);
  EXPECT_TRUE(rig.table.List(MountKind::kSecrets).empty());
}

}  // namespace
}  // namespace tresor::core
