// Tests of MountTable: built-ins, routing, path rules, remount and tune
// validation, Find and List (mount_table_for_test.h has the fixture).
#include "core/mount_table.h"

#include <gtest/gtest.h>

#include "core/mount_table_for_test.h"

namespace tresor::core {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

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
  // "token_xxxxxxxx", or Vault's "auth_token_xxxxxxxx".
  EXPECT_NE(token->entry.accessor.find("token_"), std::string::npos);

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
  // (A max alone below the system default is being changed to Vault's
  // rule, which allows it; not asserted here.)

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

TEST(SplitMountPathTest, AuthPathsGoToTheAuthTable) {
  EXPECT_EQ(SplitMountPath("auth/userpass"), std::pair(MountKind::kAuth, std::string("userpass")));
  EXPECT_EQ(SplitMountPath("/auth/x/"), std::pair(MountKind::kAuth, std::string("x/")));
  EXPECT_EQ(SplitMountPath("secret"), std::pair(MountKind::kSecrets, std::string("secret")));
  EXPECT_EQ(SplitMountPath("authx/y"), std::pair(MountKind::kSecrets, std::string("authx/y")));
}

}  // namespace
}  // namespace tresor::core
