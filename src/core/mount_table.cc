#include "core/mount_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>

#include "common/random.h"

namespace tresor::core {
namespace {

constexpr char kSecretsTableKey[] = "core/mounts";
constexpr char kAuthTableKey[] = "core/auth";

const char* TableKey(MountKind kind) {
  return kind == MountKind::kSecrets ? kSecretsTableKey : kAuthTableKey;
}

// Where a mount's data lives inside the barrier.
std::string DataPrefix(MountKind kind, const std::string& uuid) {
  return (kind == MountKind::kSecrets ? "logical/" : "auth/") + uuid + "/";
}

std::string RoutePrefix(MountKind kind, const std::string& path) {
  return kind == MountKind::kSecrets ? path : "auth/" + path;
}

// Types that exist once, are created by the table itself, and can be
// neither enabled again, disabled nor moved.
bool IsBuiltinType(std::string_view type) {
  return type == "system" || type == "cubbyhole" || type == "token";
}

// Paths no secrets engine may be enabled at or under: Vault's reserved
// prefixes (core answers sys/, auth methods live under auth/).
constexpr std::string_view kReservedSecretPrefixes[] = {"sys/", "auth/", "cubbyhole/",
                                                        "identity/", "audit/"};

MountEntry BuiltinEntry(std::string path, std::string type, std::string description) {
  MountEntry entry;
  entry.path = std::move(path);
  entry.type = type;
  entry.description = std::move(description);
  entry.uuid = RandomUuid();
  entry.accessor = type + "_" + RandomUuid().substr(0, 8);
  return entry;
}

std::vector<MountEntry> DefaultEntries(MountKind kind) {
  if (kind == MountKind::kAuth) return {BuiltinEntry("token/", "token", "token based credentials")};
  return {BuiltinEntry("cubbyhole/", "cubbyhole", "per-token private secret storage"),
          BuiltinEntry("sys/", "system", "system endpoints used for control, policy and debugging")};
}

bool Overlaps(std::string_view a, std::string_view b) {
  return a.starts_with(b) || b.starts_with(a);
}

}  // namespace

bool Mount::NeedsSudo(std::string_view relative_path) const {
  for (const auto& pattern : sudo_paths) {
    if (!pattern.empty() && pattern.back() == '*') {
      if (relative_path.starts_with(std::string_view(pattern).substr(0, pattern.size() - 1))) {
        return true;
      }
    } else if (relative_path == pattern) {
      return true;
    }
  }
  return false;
}

std::pair<MountKind, std::string> SplitMountPath(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.starts_with("auth/")) return {MountKind::kAuth, std::string(path.substr(5))};
  return {MountKind::kSecrets, std::string(path)};
}

MountTable::MountTable(storage::Backend& barrier, Clock& clock, EngineFactory factory)
    : barrier_(barrier), clock_(clock), factory_(std::move(factory)) {}

StatusOr<std::vector<MountEntry>> MountTable::ReadTable(MountKind kind) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier_.Get(TableKey(kind)));
  if (!stored.has_value()) {
    std::vector<MountEntry> defaults = DefaultEntries(kind);
    Table table;
    for (const auto& entry : defaults) {
      auto mount = std::make_shared<Mount>();
      mount->kind = kind;
      mount->entry = entry;
      table[RoutePrefix(kind, entry.path)] = mount;
    }
    TRESOR_RETURN_IF_ERROR(WriteTable(kind, table));
    return defaults;
  }
  nlohmann::json json = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("entries") || !json["entries"].is_array()) {
    return CorruptionError(std::string("the mount table at ") + TableKey(kind) +
                           " cannot be parsed");
  }
  std::vector<MountEntry> entries;
  for (const auto& row : json["entries"]) {
    TRESOR_ASSIGN_OR_RETURN(MountEntry entry, MountEntryFromJson(row));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Status MountTable::WriteTable(MountKind kind, const Table& table) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& [prefix, mount] : table) {
    if (mount->kind == kind) rows.push_back(MountEntryToJson(mount->entry));
  }
  return barrier_.Put(TableKey(kind), nlohmann::json{{"entries", rows}}.dump());
}

StatusOr<std::shared_ptr<const Mount>> MountTable::Build(MountKind kind, const MountEntry& entry) {
  auto mount = std::make_shared<Mount>();
  mount->kind = kind;
  mount->entry = entry;
  mount->route_prefix = RoutePrefix(kind, entry.path);
  mount->view = std::make_shared<storage::PrefixView>(barrier_, DataPrefix(kind, entry.uuid));
  if (entry.type != "system") {
    logical::EngineContext context{*mount->view, clock_, entry.options};
    TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<logical::Engine> engine,
                            factory_(kind, entry, context));
    mount->sudo_paths = engine->SudoPaths();
    mount->engine = std::move(engine);
  }
  return std::shared_ptr<const Mount>(std::move(mount));
}

Status MountTable::SweepOrphanedData(MountKind kind, const Table& table) {
  std::set<std::string> live;
  for (const auto& [prefix, mount] : table) {
    if (mount->kind == kind) live.insert(mount->entry.uuid + "/");
  }
  const std::string root = kind == MountKind::kSecrets ? "logical/" : "auth/";
  TRESOR_ASSIGN_OR_RETURN(auto children, barrier_.List(root));
  for (const auto& child : children) {
    if (live.contains(child)) continue;
    spdlog::info("deleting the data of a disabled mount ({}{})", root, child);
    storage::PrefixView orphan(barrier_, root + child);
    TRESOR_RETURN_IF_ERROR(orphan.DeleteAll());
  }
  return Status::Ok();
}

Status MountTable::Load() {
  std::lock_guard change(change_mu_);
  Table table;
  for (MountKind kind : {MountKind::kSecrets, MountKind::kAuth}) {
    TRESOR_ASSIGN_OR_RETURN(auto entries, ReadTable(kind));
    for (const auto& entry : entries) {
      TRESOR_ASSIGN_OR_RETURN(auto mount, Build(kind, entry));
      table[mount->route_prefix] = std::move(mount);
    }
  }
  for (MountKind kind : {MountKind::kSecrets, MountKind::kAuth}) {
    TRESOR_RETURN_IF_ERROR(SweepOrphanedData(kind, table));
  }
  Publish(std::move(table));
  return Status::Ok();
}

void MountTable::Unload() {
  std::lock_guard change(change_mu_);
  Publish({});
}

MountTable::Table MountTable::Snapshot() const {
  std::shared_lock lock(mu_);
  return table_;
}

void MountTable::Publish(Table table) {
  std::unique_lock lock(mu_);
  table_.swap(table);
  // The old table (and any engine only it held) is released after the lock.
  lock.unlock();
}

std::optional<MountTable::Routed> MountTable::Route(std::string_view path) const {
  std::string candidate(path);
  candidate.push_back('/');
  std::shared_lock lock(mu_);
  // Try every prefix of path that ends at a '/', longest first.
  while (true) {
    if (auto it = table_.find(candidate); it != table_.end()) {
      std::string relative =
          candidate.size() <= path.size() ? std::string(path.substr(candidate.size())) : "";
      return Routed{it->second, std::move(relative)};
    }
    candidate.pop_back();
    std::size_t slash = candidate.rfind('/');
    if (slash == std::string::npos) return std::nullopt;
    candidate.resize(slash + 1);
  }
}

std::vector<std::shared_ptr<const Mount>> MountTable::List(MountKind kind) const {
  std::vector<std::shared_ptr<const Mount>> out;
  std::shared_lock lock(mu_);
  for (const auto& [prefix, mount] : table_) {
    if (mount->kind == kind) out.push_back(mount);
  }
  return out;
}

std::shared_ptr<const Mount> MountTable::Find(MountKind kind, std::string_view path) const {
  std::shared_lock lock(mu_);
  auto it = table_.find(RoutePrefix(kind, std::string(path)));
  if (it == table_.end() || it->second->kind != kind) return nullptr;
  return it->second;
}

Status MountTable::CheckPathFree(MountKind kind, const Table& table, std::string_view path,
                                 std::string_view except) {
  if (kind == MountKind::kSecrets) {
    for (std::string_view reserved : kReservedSecretPrefixes) {
      if (Overlaps(path, reserved)) {
        return InvalidArgumentError("cannot mount at \"" + std::string(path) + "\": \"" +
                                    std::string(reserved) + "\" is reserved");
      }
    }
  }
  for (const auto& [prefix, mount] : table) {
    if (mount->kind != kind || mount->entry.path == except) continue;
    if (Overlaps(path, mount->entry.path)) {
      return InvalidArgumentError("path is already in use at " + mount->route_prefix);
    }
  }
  return Status::Ok();
}

StatusOr<MountEntry> MountTable::Enable(MountKind kind, MountEntry entry) {
  if (IsBuiltinType(entry.type)) {
    return InvalidArgumentError("cannot enable another \"" + entry.type +
                                "\": it exists once and is always enabled");
  }
  std::lock_guard change(change_mu_);
  Table table = Snapshot();
  TRESOR_RETURN_IF_ERROR(CheckPathFree(kind, table, entry.path, ""));
  entry.uuid = RandomUuid();
  entry.accessor = entry.type + "_" + RandomUuid().substr(0, 8);
  TRESOR_ASSIGN_OR_RETURN(auto mount, Build(kind, entry));
  table[mount->route_prefix] = mount;
  TRESOR_RETURN_IF_ERROR(WriteTable(kind, table));
  Publish(std::move(table));
  spdlog::info("enabled {} at {}", entry.type, mount->route_prefix);
  return entry;
}

Status MountTable::Disable(MountKind kind, std::string_view path) {
  std::lock_guard change(change_mu_);
  Table table = Snapshot();
  auto it = table.find(RoutePrefix(kind, std::string(path)));
  if (it == table.end()) return Status::Ok();
  std::shared_ptr<const Mount> mount = it->second;
  if (IsBuiltinType(mount->entry.type)) {
    return InvalidArgumentError("cannot disable \"" + mount->route_prefix + "\": it is built in");
  }
  table.erase(it);
  TRESOR_RETURN_IF_ERROR(WriteTable(kind, table));
  Publish(std::move(table));
  // The row is gone (committed); now the data. A crash or error here leaves
  // data no row names, which the next Load deletes.
  TRESOR_RETURN_IF_ERROR(mount->view->DeleteAll());
  spdlog::info("disabled {} at {}", mount->entry.type, mount->route_prefix);
  return Status::Ok();
}

StatusOr<MountEntry> MountTable::Tune(MountKind kind, std::string_view path,
                                      const MountTune& tune) {
  std::lock_guard change(change_mu_);
  Table table = Snapshot();
  auto it = table.find(RoutePrefix(kind, std::string(path)));
  if (it == table.end()) {
    return NotFoundError("no mount at \"" + RoutePrefix(kind, std::string(path)) + "\"");
  }
  auto tuned = std::make_shared<Mount>(*it->second);
  MountEntry& entry = tuned->entry;
  if (tune.default_lease_ttl) entry.config.default_lease_ttl = *tune.default_lease_ttl;
  if (tune.max_lease_ttl) entry.config.max_lease_ttl = *tune.max_lease_ttl;
  if (tune.description) entry.description = *tune.description;
  for (const auto& [key, value] : tune.options) {
    if (key == "version" && entry.type == "kv") {
      auto current = entry.options.find("version");
      std::string was = current == entry.options.end() ? "1" : current->second;
      if (value != was) {
        return InvalidArgumentError("changing the version of a KV mount (" + was + " to " + value +
                                    ") is not supported; enable a new mount and copy the data");
      }
    }
    entry.options[key] = value;
  }
  if (entry.EffectiveDefaultLeaseTtl() > entry.EffectiveMaxLeaseTtl()) {
    return InvalidArgumentError("the default lease TTL cannot be greater than the max lease TTL");
  }
  it->second = tuned;
  TRESOR_RETURN_IF_ERROR(WriteTable(kind, table));
  Publish(std::move(table));
  return tuned->entry;
}

Status MountTable::Remount(MountKind kind, std::string_view from, std::string_view to) {
  std::lock_guard change(change_mu_);
  Table table = Snapshot();
  auto it = table.find(RoutePrefix(kind, std::string(from)));
  if (it == table.end()) {
    return InvalidArgumentError("no mount at \"" + RoutePrefix(kind, std::string(from)) + "\"");
  }
  if (IsBuiltinType(it->second->entry.type)) {
    return InvalidArgumentError("cannot move \"" + it->second->route_prefix +
                                "\": it is built in");
  }
  TRESOR_RETURN_IF_ERROR(CheckPathFree(kind, table, to, from));
  auto moved = std::make_shared<Mount>(*it->second);
  moved->entry.path = std::string(to);
  moved->route_prefix = RoutePrefix(kind, moved->entry.path);
  table.erase(it);
  table[moved->route_prefix] = moved;
  TRESOR_RETURN_IF_ERROR(WriteTable(kind, table));
  Publish(std::move(table));
  spdlog::info("moved {}{} to {}", kind == MountKind::kAuth ? "auth/" : "", from,
               moved->route_prefix);
  return Status::Ok();
}

}  // namespace tresor::core
