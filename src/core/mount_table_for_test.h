// Shared fixture for the MountTable tests (mount_table_test.cc,
// mount_table_storage_test.cc): a MountTable over a plain in-memory backend
// standing in for the barrier (the table only needs a Backend), with the
// real engine catalog, and helpers to build entries and count stored keys.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/engine_factory.h"
#include "core/mount_table.h"
#include "engines/auth/token/token_store.h"
#include "storage/inmem/inmem_backend.h"
#include "storage/prefix_view.h"

namespace tresor::core {

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

inline MountEntry Typed(std::string path, std::string type) {
  MountEntry entry;
  entry.path = std::move(path);
  entry.type = std::move(type);
  return entry;
}

inline MountEntry Kv(std::string path, std::string version = "") {
  MountEntry entry = Typed(std::move(path), "kv");
  if (!version.empty()) entry.options["version"] = version;
  return entry;
}

inline std::vector<std::string> Paths(const std::vector<std::shared_ptr<const Mount>>& mounts) {
  std::vector<std::string> out;
  for (const auto& mount : mounts) out.push_back(mount->entry.path);
  return out;
}

inline std::size_t KeysUnder(storage::Backend& backend, const std::string& prefix) {
  auto keys = storage::ListRecursive(backend, prefix);
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  return keys.ok() ? keys->size() : 0;
}

// Writes three keys (one nested) into the mount's own storage.
inline void WriteData(const Mount& mount) {
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

}  // namespace tresor::core
