// Tests of MountTable over a plain in-memory backend standing in for the
// barrier (the table only needs a Backend), with the real engine catalog.
#include "core/mount_table.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/engine_factory.h"
#include "engines/auth/token/token_store.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"
#include "storage/prefix_view.h"

namespace tresor::core {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

// Everything one MountTable needs, over a storage the caller owns, so that
// a test can build a second table on the same storage (a restart).
struct TableRig {
  explicit TableRig(storage::Backend& barrier)
      : token_view(barrier, "sys/token/"),
        tokens(token_view, clock),
        table(barrier, clock, BuiltinEngineFactory(tokens)) {}

  FakeClock clock;
  storage::PrefixView token_view;
  engines::token::TokenStore tokens;
  MountTable table;
};

MountEntry Typed(std::string path, std::string type) {
  MountEntry entry;
  entry.path = std::move(path);
  entry.type = std::move(type);
  return entry;
}

MountEntry Kv(std::string path, std::string version = "") {
  MountEntry entry = Typed(std::move(path), "kv");
  if (!version.empty()) entry.options["version"] = version;
  return entry;
}

std::vector<std::string> Paths(const std::vector<std::shared_ptr<const Mount>>& mounts) {
  std::vector<std::string> out;
  for (const auto& mount : mounts) out.push_back(mount->entry.path);
  return out;
}

std::size_t KeysUnder(storage::Backend& backend, const std::string& prefix) {
  auto keys = storage::ListRecursive(backend, prefix);
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return keys.ok() ? keys->size() : 0;
}

// Writes three keys (one nested) into the mount's own storage.
void WriteData(const Mount& mount) {
  ASSERT_TRUE(mount.view->Put("a", "1").ok());
  ASSERT_TRUE(mount.view->Put("b", "2").ok());
  ASSERT_TRUE(mount.view->Put("dir/c", "3").ok());
}

class MountTableTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(rig_->table.Load().ok()); }

  MountTable& table() { return rig_->table; }

  std::shared_ptr<const Mount> MustEnable(MountEntry entry, MountKind kind = MountKind::kSecrets) {
    auto enabled = table().Enable(kind, std::move(entry));
    EXPECT_TRUE(enabled.ok()) << enabled.status().ToString();
    if (!enabled.ok()) return nullptr;
    return table().Find(kind, enabled->path);
  }

  // A new MountTable on the same storage, loaded: what a restart sees.
  std::unique_ptr<TableRig> Restart() {
    auto rig = std::make_unique<TableRig>(barrier_);
    Status loaded = rig->table.Load();
    EXPECT_TRUE(loaded.ok()) << loaded.ToString();
    return rig;
  }

  storage::InmemBackend barrier_;
  std::unique_ptr<TableRig> rig_ = std::make_unique<TableRig>(barrier_);
};

TEST_F(MountTableTest, FirstLoadCreatesTheBuiltinsOnce) {
  EXPECT_EQ(Paths(table().List(MountKind::kSecrets)),
            (std::vector<std::string>{"cubbyhole/", "sys/"}));
  EXPECT_EQ(Paths(table().List(MountKind::kAuth)), (std::vector<std::string>{"token/"}));
  EXPECT_TRUE(barrier_.Get("core/mounts")->has_value());
  EXPECT_TRUE(barrier_.Get("core/auth")->has_value());

  auto sys = table().Find(MountKind::kSecrets, "sys/");
  ASSERT_NE(sys, nullptr);
  EXPECT_EQ(sys->entry.type, "system");
  EXPECT_EQ(sys->engine, nullptr);  // core answers sys/ itself
  auto cubbyhole = table().Find(MountKind::kSecrets, "cubbyhole/");
  ASSERT_NE(cubbyhole, nullptr);
  EXPECT_NE(cubbyhole->engine, nullptr);
  auto token = table().Find(MountKind::kAuth, "token/");
  ASSERT_NE(token, nullptr);
  EXPECT_EQ(token->route_prefix, "auth/token/");
  EXPECT_EQ(token->entry.accessor.rfind("token_", 0), 0u);

  // A later load (same table, and a new one) reads them back, not anew.
  const std::string cubbyhole_uuid = cubbyhole->entry.uuid;
  table().Unload();
  ASSERT_TRUE(table().Load().ok());
  EXPECT_EQ(table().Find(MountKind::kSecrets, "cubbyhole/")->entry.uuid, cubbyhole_uuid);
  auto restarted = Restart();
  EXPECT_EQ(restarted->table.Find(MountKind::kSecrets, "cubbyhole/")->entry.uuid, cubbyhole_uuid);
  EXPECT_EQ(Paths(restarted->table.List(MountKind::kSecrets)),
            (std::vector<std::string>{"cubbyhole/", "sys/"}));
}

TEST_F(MountTableTest, BuiltinsAreNeverDisabledMovedOrEnabledAgain) {
  const std::string before = **barrier_.Get("core/mounts");
  const std::string auth_before = **barrier_.Get("core/auth");
  for (std::string path : {"cubbyhole/", "sys/"}) {
    Status disabled = table().Disable(MountKind::kSecrets, path);
    EXPECT_EQ(disabled.code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(disabled.message().find("built in"), std::string::npos) << disabled.message();
    Status moved = table().Remount(MountKind::kSecrets, path, "elsewhere/");
    EXPECT_EQ(moved.code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(moved.message().find("built in"), std::string::npos) << moved.message();
  }
  EXPECT_EQ(table().Disable(MountKind::kAuth, "token/").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(table().Remount(MountKind::kAuth, "token/", "token2/").code(),
            StatusCode::kInvalidArgument);

  for (auto [kind, type] :
       {std::pair{MountKind::kSecrets, "cubbyhole"}, std::pair{MountKind::kSecrets, "system"},
        std::pair{MountKind::kAuth, "token"}}) {
    auto enabled = table().Enable(kind, Typed("another/", type));
    EXPECT_EQ(enabled.status().code(), StatusCode::kInvalidArgument) << type;
    EXPECT_NE(enabled.status().message().find("exists once"), std::string::npos)
        << enabled.status().message();
  }
  EXPECT_EQ(**barrier_.Get("core/mounts"), before);
  EXPECT_EQ(**barrier_.Get("core/auth"), auth_before);
  EXPECT_EQ(Paths(table().List(MountKind::kSecrets)),
            (std::vector<std::string>{"cubbyhole/", "sys/"}));
}

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

TEST_F(MountTableTest, RoutesByLongestPrefixOnSegmentBoundaries) {
  ASSERT_NE(MustEnable(Kv("secret/", "2")), nullptr);
  ASSERT_NE(MustEnable(Kv("secretx/")), nullptr);
  ASSERT_NE(MustEnable(Kv("team/app/")), nullptr);

  struct Case {
    std::string path, prefix, relative;
  };
  for (const auto& c : std::vector<Case>{{"secret", "secret/", ""},
                                         {"secret/data/foo", "secret/", "data/foo"},
                                         {"secretx/foo", "secretx/", "foo"},
                                         {"team/app", "team/app/", ""},
                                         {"team/app/x/y", "team/app/", "x/y"},
                                         {"auth/token/create", "auth/token/", "create"},
                                         {"cubbyhole/mine", "cubbyhole/", "mine"},
                                         {"sys/mounts", "sys/", "mounts"}}) {
    auto routed = table().Route(c.path);
    ASSERT_TRUE(routed.has_value()) << c.path;
    EXPECT_EQ(routed->mount->route_prefix, c.prefix) << c.path;
    EXPECT_EQ(routed->relative_path, c.relative) << c.path;
  }
  for (std::string path : {"", "secre", "nope/x", "team", "team/other", "auth/nope", "auth"}) {
    EXPECT_FALSE(table().Route(path).has_value()) << path;
  }
}

TEST_F(MountTableTest, NestedMountsAreRefusedAsOverlapping) {
  ASSERT_NE(MustEnable(Kv("a/")), nullptr);
  auto inner = table().Enable(MountKind::kSecrets, Kv("a/b/"));
  EXPECT_EQ(inner.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(inner.status().message(), "path is already in use at a/");
  ASSERT_NE(MustEnable(Kv("x/y/")), nullptr);
  auto outer = table().Enable(MountKind::kSecrets, Kv("x/"));
  EXPECT_EQ(outer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(outer.status().message(), "path is already in use at x/y/");
  auto same = table().Enable(MountKind::kSecrets, Kv("a/"));
  EXPECT_EQ(same.status().message(), "path is already in use at a/");
  // "ab/" shares characters with "a/" but not a segment: allowed.
  EXPECT_NE(MustEnable(Kv("ab/")), nullptr);
  // Auth paths are checked against the auth table only.
  auto token_child = table().Enable(MountKind::kAuth, Typed("token/x/", "kv"));
  EXPECT_EQ(token_child.status().message(), "path is already in use at auth/token/");
  EXPECT_EQ(Paths(table().List(MountKind::kSecrets)),
            (std::vector<std::string>{"a/", "ab/", "cubbyhole/", "sys/", "x/y/"}));
}

TEST_F(MountTableTest, ReservedPathsAreRefused) {
  for (std::string path : {"sys/", "sys/x/", "auth/", "auth/x/", "cubbyhole/x/", "identity/",
                           "identity/x/", "audit/"}) {
    auto enabled = table().Enable(MountKind::kSecrets, Kv(path));
    EXPECT_EQ(enabled.status().code(), StatusCode::kInvalidArgument) << path;
    EXPECT_NE(enabled.status().message().find("is reserved"), std::string::npos)
        << path << ": " << enabled.status().message();
  }
  ASSERT_NE(MustEnable(Kv("x/")), nullptr);
  EXPECT_EQ(table().Remount(MountKind::kSecrets, "x/", "identity/").code(),
            StatusCode::kInvalidArgument);
  // Names that merely start like a reserved one are fine.
  EXPECT_NE(MustEnable(Kv("system/")), nullptr);
  EXPECT_NE(MustEnable(Kv("authz/")), nullptr);
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

TEST_F(MountTableTest, RemountRefusals) {
  ASSERT_NE(MustEnable(Kv("a/")), nullptr);
  ASSERT_NE(MustEnable(Kv("b/")), nullptr);
  const std::string before = **barrier_.Get("core/mounts");
  Status missing = table().Remount(MountKind::kSecrets, "nope/", "c/");
  EXPECT_EQ(missing.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.message(), "no mount at \"nope/\"");
  EXPECT_EQ(table().Remount(MountKind::kSecrets, "a/", "b/").message(),
            "path is already in use at b/");
  EXPECT_EQ(table().Remount(MountKind::kSecrets, "a/", "b/c/").message(),
            "path is already in use at b/");
  EXPECT_EQ(table().Remount(MountKind::kSecrets, "a/", "sys/a/").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(**barrier_.Get("core/mounts"), before);
  // Moving a mount under itself only overlaps with itself: allowed.
  EXPECT_TRUE(table().Remount(MountKind::kSecrets, "a/", "a/inner/").ok());
  EXPECT_NE(table().Find(MountKind::kSecrets, "a/inner/"), nullptr);
}

TEST_F(MountTableTest, TuneValidatesAndPersists) {
  auto kv = MustEnable(Kv("kv/", "2"));
  ASSERT_NE(kv, nullptr);
  const std::string before = **barrier_.Get("core/mounts");

  MountTune too_long;
  too_long.default_lease_ttl = hours(10);
  too_long.max_lease_ttl = hours(1);
  auto refused = table().Tune(MountKind::kSecrets, "kv/", too_long);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("cannot be greater"), std::string::npos);
  // A max below the system default, with the default left unset, is also
  // refused: the effective default would exceed it.
  MountTune max_only;
  max_only.max_lease_ttl = hours(1);
  EXPECT_EQ(table().Tune(MountKind::kSecrets, "kv/", max_only).status().code(),
            StatusCode::kInvalidArgument);

  MountTune version;
  version.options["version"] = "1";
  auto downgrade = table().Tune(MountKind::kSecrets, "kv/", version);
  EXPECT_EQ(downgrade.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(downgrade.status().message().find("2 to 1"), std::string::npos);
  EXPECT_EQ(**barrier_.Get("core/mounts"), before);
  EXPECT_EQ(table().Find(MountKind::kSecrets, "kv/")->entry.config.max_lease_ttl, seconds(0));

  MountTune good;
  good.default_lease_ttl = hours(1);
  good.max_lease_ttl = hours(3);
  good.description = "d";
  good.options["version"] = "2";  // unchanged: fine
  auto tuned = table().Tune(MountKind::kSecrets, "kv/", good);
  ASSERT_TRUE(tuned.ok()) << tuned.status().ToString();
  EXPECT_EQ(tuned->config.default_lease_ttl, hours(1));
  EXPECT_EQ(Restart()->table.Find(MountKind::kSecrets, "kv/")->entry.config.max_lease_ttl,
            hours(3));

  // "system" (0) goes back to the system's TTLs.
  MountTune reset;
  reset.default_lease_ttl = seconds(0);
  reset.max_lease_ttl = seconds(0);
  auto back = table().Tune(MountKind::kSecrets, "kv/", reset);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->EffectiveDefaultLeaseTtl(), kSystemDefaultLeaseTtl);
  EXPECT_EQ(back->EffectiveMaxLeaseTtl(), kSystemMaxLeaseTtl);
  EXPECT_EQ(back->description, "d");

  // A KV mount enabled without a version is version 1.
  ASSERT_NE(MustEnable(Kv("v1/")), nullptr);
  MountTune upgrade;
  upgrade.options["version"] = "2";
  EXPECT_NE(table().Tune(MountKind::kSecrets, "v1/", upgrade).status().message().find("1 to 2"),
            std::string::npos);

  auto missing = table().Tune(MountKind::kSecrets, "nope/", good);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(table().Tune(MountKind::kAuth, "token/", good).ok());
}

TEST_F(MountTableTest, FindAndListKeepKindsApart) {
  ASSERT_NE(MustEnable(Kv("zeta/")), nullptr);
  ASSERT_NE(MustEnable(Kv("alpha/")), nullptr);
  EXPECT_EQ(Paths(table().List(MountKind::kSecrets)),
            (std::vector<std::string>{"alpha/", "cubbyhole/", "sys/", "zeta/"}));
  EXPECT_EQ(table().Find(MountKind::kAuth, "alpha/"), nullptr);
  EXPECT_EQ(table().Find(MountKind::kSecrets, "token/"), nullptr);
  // The auth token mount is routed at "auth/token/", but it is not a
  // secrets mount of that path.
  EXPECT_EQ(table().Find(MountKind::kSecrets, "auth/token/"), nullptr);
  EXPECT_NE(table().Find(MountKind::kAuth, "token/"), nullptr);
  EXPECT_EQ(table().Find(MountKind::kSecrets, "alpha"), nullptr);  // table form only
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

TEST(SplitMountPathTest, AuthPathsGoToTheAuthTable) {
  EXPECT_EQ(SplitMountPath("auth/userpass"), std::pair(MountKind::kAuth, std::string("userpass")));
  EXPECT_EQ(SplitMountPath("/auth/x/"), std::pair(MountKind::kAuth, std::string("x/")));
  EXPECT_EQ(SplitMountPath("secret"), std::pair(MountKind::kSecrets, std::string("secret")));
  EXPECT_EQ(SplitMountPath("authx/y"), std::pair(MountKind::kSecrets, std::string("authx/y")));
}

}  // namespace
}  // namespace tresor::core
