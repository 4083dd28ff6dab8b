// MountTable: the secrets engines and auth methods enabled on this cluster,
// and the routing of a request path to the engine that answers it.
//
// Two tables, each kept as one JSON document inside the barrier:
//   core/mounts  secrets engines, routed at their path ("secret/")
//   core/auth    auth methods, routed under "auth/" ("auth/token/")
// An engine's data lives at "logical/<uuid>/" (secrets) or "auth/<uuid>/"
// (auth) inside the barrier, so moving a mount changes only its row.
//
// Built-in mounts, created the first time a cluster unseals and never
// disabled, moved or duplicated: "sys/" (type system, answered by core's
// SysRouter, listed for Vault compatibility), "cubbyhole/" (cubbyhole) and
// "auth/token/" (token).
//
// Crash safety: every change writes the whole table in one Put (the commit
// point) before it takes effect in memory. Disabling a mount commits the
// row's removal first and deletes the data after, so a crash between the two
// never serves half-deleted data; Load deletes storage that no row names.
//
// Who calls it: core (Route on every request; Load at unseal, Unload at
// seal) and the sys/mounts, sys/auth and sys/remount handlers.
// Threads: thread-safe. Route takes a shared lock and hands out shared
// pointers, so a request keeps its engine alive even if the mount is
// disabled meanwhile. Changes are serialised by their own mutex.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "core/mount_entry.h"
#include "engines/logical.h"
#include "storage/prefix_view.h"

namespace tresor::core {

enum class MountKind { kSecrets, kAuth };

// A mount that is live: its row, its storage view and its engine.
struct Mount {
  MountKind kind = MountKind::kSecrets;
  MountEntry entry;
  // Where requests are routed from: entry.path, or "auth/" + entry.path.
  std::string route_prefix;
  std::shared_ptr<storage::PrefixView> view;
  // nullptr for "sys/", which core answers itself.
  std::shared_ptr<logical::Engine> engine;
  // The engine's SudoPaths(), relative to the mount.
  std::vector<std::string> sudo_paths;

  // Whether `relative_path` needs sudo on this mount.
  bool NeedsSudo(std::string_view relative_path) const;
};

// Builds the engine of a mount. InvalidArgument for an unknown type or bad
// options (the message is shown to whoever enabled the mount).
using EngineFactory = std::function<StatusOr<std::unique_ptr<logical::Engine>>(
    MountKind kind, const MountEntry& entry, const logical::EngineContext& context)>;

// What sys/mounts/<path>/tune may change; unset fields stay as they are.
struct MountTune {
  std::optional<std::chrono::seconds> default_lease_ttl;
  std::optional<std::chrono::seconds> max_lease_ttl;
  std::optional<std::string> description;
  // Merged into the mount's options.
  std::map<std::string, std::string> options;
};

class MountTable {
 public:
  // barrier: the barrier's plaintext view; clock is handed to engines. Both
  // outlive the table.
  MountTable(storage::Backend& barrier, Clock& clock, EngineFactory factory);

  // Reads both tables (writing the built-in mounts the first time), builds
  // every engine and deletes storage left by mounts that no longer exist.
  // REQUIRES: barrier unsealed.
  Status Load();
  // Drops every mount; Route finds nothing until the next Load.
  void Unload();

  struct Routed {
    std::shared_ptr<const Mount> mount;
    // The request path relative to the mount ("data/foo").
    std::string relative_path;
  };
  // The mount with the longest route prefix that `path` starts with (path
  // "secret" also reaches "secret/", with relative path "").
  std::optional<Routed> Route(std::string_view path) const;

  // Every mount of `kind`, ordered by path.
  std::vector<std::shared_ptr<const Mount>> List(MountKind kind) const;
  // The mount of `kind` at exactly `path` (table form, "secret/"), or null.
  std::shared_ptr<const Mount> Find(MountKind kind, std::string_view path) const;

  // Enables `entry` (path in table form, type, description, options,
  // config). Fills uuid and accessor and returns the stored row.
  // InvalidArgument: path in use or overlapping another mount ("path is
  // already in use at secret/"), reserved path, singleton type, or the
  // engine refusing the options.
  StatusOr<MountEntry> Enable(MountKind kind, MountEntry entry);
  // Disables the mount at `path` and deletes its data. OK when there is no
  // such mount (as Vault). InvalidArgument for a built-in mount.
  Status Disable(MountKind kind, std::string_view path);
  // Applies `tune`. NotFound when there is no such mount; InvalidArgument
  // when the default TTL would exceed the max TTL, or for a change of a
  // KV mount's version.
  StatusOr<MountEntry> Tune(MountKind kind, std::string_view path, const MountTune& tune);
  // Moves the mount at `from` to `to` (both table form, same kind); its
  // data stays where it is. InvalidArgument as for Enable, or when `from`
  // is missing or built in.
  Status Remount(MountKind kind, std::string_view from, std::string_view to);

 private:
  using Table = std::map<std::string, std::shared_ptr<const Mount>>;  // by route prefix

  StatusOr<std::vector<MountEntry>> ReadTable(MountKind kind);
  // Writes every row of `kind` in `table` (the commit point of a change).
  Status WriteTable(MountKind kind, const Table& table);
  StatusOr<std::shared_ptr<const Mount>> Build(MountKind kind, const MountEntry& entry);
  Status SweepOrphanedData(MountKind kind, const Table& table);
  // InvalidArgument when `path` is reserved or overlaps a mount in `table`
  // (ignoring the mount at `except`).
  static Status CheckPathFree(MountKind kind, const Table& table, std::string_view path,
                              std::string_view except);
  Table Snapshot() const;
  void Publish(Table table);

  storage::Backend& barrier_;
  Clock& clock_;
  const EngineFactory factory_;

  std::mutex change_mu_;  // serialises Load and every change
  mutable std::shared_mutex mu_;
  Table table_;  // GUARDED_BY(mu_)
};

// The table a sys/remount or sys/internal/ui path names: "auth/x" is the
// auth table's "x/", anything else the secrets table's.
std::pair<MountKind, std::string> SplitMountPath(std::string_view path);

}  // namespace tresor::core
