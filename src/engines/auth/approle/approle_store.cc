#include "engines/auth/approle/approle_store.h"

#include <map>

#include "common/encoding.h"
#include "common/hmac.h"
#include "common/random.h"

namespace tresor::engines::approle {
namespace {

constexpr char kApproleSaltKey[] = "salt";
constexpr std::size_t kApproleSaltBytes = 32;
constexpr std::string_view kApproleRolePrefix = "role/";
constexpr std::string_view kApproleRoleIdPrefix = "role_id/";
constexpr std::string_view kApproleSecretIdPrefix = "secret_id/";
constexpr std::string_view kApproleAccessorPrefix = "accessor/";
// Deletions of many secret IDs go to storage this many operations at a time.
constexpr std::size_t kApproleDeleteBatch = 256;

std::string ApproleKey(std::string_view prefix, std::string_view name) {
  return std::string(prefix) + std::string(name);
}

std::string ApproleSecretIdKey(std::string_view role_name, std::string_view hmac) {
  return ApproleKey(kApproleSecretIdPrefix, role_name) + "/" + std::string(hmac);
}

// What an accessor index entry points at.
struct ApproleAccessorTarget {
  std::string role_name;
  std::string secret_id_hmac;
};

StatusOr<ApproleAccessorTarget> ParseApproleAccessor(std::string_view text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  try {
    return ApproleAccessorTarget{json.at("role_name").get<std::string>(),
                                 json.at("secret_id_hmac").get<std::string>()};
  } catch (const nlohmann::json::exception&) {
    return CorruptionError("a stored AppRole accessor entry cannot be parsed");
  }
}

}  // namespace

StatusOr<std::string> AppRoleStore::Hmac(std::string_view value) {
  std::lock_guard<std::mutex> lock(salt_mu_);
  if (salt_.empty()) {
    TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(kApproleSaltKey));
    if (stored.has_value()) {
      if (stored->size() != kApproleSaltBytes) {
        SecureWipe(*stored);
        return CorruptionError("the AppRole salt has the wrong length");
      }
      salt_ = ToSecureBytes(*stored);
      SecureWipe(*stored);
    } else {
      SecureBytes salt = RandomSecureBytes(kApproleSaltBytes);
      TRESOR_RETURN_IF_ERROR(view_.Put(kApproleSaltKey, AsStringView(salt)));
      salt_ = std::move(salt);
    }
  }
  return HexEncode(HmacSha256(salt_, value));
}

StatusOr<std::optional<Role>> AppRoleStore::GetRole(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(ApproleKey(kApproleRolePrefix, name)));
  if (!stored.has_value()) return std::optional<Role>();
  TRESOR_ASSIGN_OR_RETURN(Role role, ParseRole(*stored));
  return std::optional<Role>(std::move(role));
}

StatusOr<std::vector<std::string>> AppRoleStore::ListRoles() {
  return view_.List(kApproleRolePrefix);
}

StatusOr<Role> AppRoleStore::UpdateRole(std::string_view name,
                                        const std::function<Status(std::optional<Role>&)>& change) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(const std::optional<Role> previous, GetRole(name));
  std::optional<Role> role = previous;
  TRESOR_RETURN_IF_ERROR(change(role));
  if (!role.has_value()) return RoleNotFoundError(name);
  role->name = std::string(name);
  if (role->role_id.empty()) role->role_id = RandomUuid();
  TRESOR_RETURN_IF_ERROR(ValidateRole(*role));

  std::vector<storage::Operation> ops;
  if (!previous.has_value() || previous->role_id != role->role_id) {
    TRESOR_ASSIGN_OR_RETURN(std::string id_hash, Hmac(role->role_id));
    TRESOR_ASSIGN_OR_RETURN(auto holder, RoleNameForRoleId(role->role_id));
    if (holder.has_value() && *holder != role->name) {
      // The index may be stale (a crash between writes); only a live role
      // with this role ID holds it.
      TRESOR_ASSIGN_OR_RETURN(auto other, GetRole(*holder));
      if (other.has_value() && other->role_id == role->role_id) {
        return InvalidArgumentError("role_id already in use");
      }
    }
    ops.push_back(storage::Operation::Put(ApproleKey(kApproleRoleIdPrefix, id_hash),
                                          nlohmann::json{{"name", role->name}}.dump()));
    if (previous.has_value()) {
      TRESOR_ASSIGN_OR_RETURN(std::string old_hash, Hmac(previous->role_id));
      ops.push_back(storage::Operation::Delete(ApproleKey(kApproleRoleIdPrefix, old_hash)));
    }
  }
  ops.push_back(
      storage::Operation::Put(ApproleKey(kApproleRolePrefix, name), SerializeRole(*role)));
  TRESOR_RETURN_IF_ERROR(view_.Batch(ops));
  return std::move(*role);
}

Status AppRoleStore::DeleteRole(std::string_view name) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto role, GetRole(name));
  if (!role.has_value()) return Status::Ok();
  TRESOR_RETURN_IF_ERROR(DeleteSecretIdsLocked(name));
  std::vector<storage::Operation> ops;
  TRESOR_ASSIGN_OR_RETURN(auto holder, RoleNameForRoleId(role->role_id));
  if (holder.has_value() && *holder == role->name) {
    TRESOR_ASSIGN_OR_RETURN(std::string id_hash, Hmac(role->role_id));
    ops.push_back(storage::Operation::Delete(ApproleKey(kApproleRoleIdPrefix, id_hash)));
  }
  ops.push_back(storage::Operation::Delete(ApproleKey(kApproleRolePrefix, name)));
  return view_.Batch(ops);
}

StatusOr<std::optional<std::string>> AppRoleStore::RoleNameForRoleId(std::string_view role_id) {
  using Result = std::optional<std::string>;
  if (role_id.empty() || role_id.size() > kMaxHmacInput) return Result();
  TRESOR_ASSIGN_OR_RETURN(std::string hash, Hmac(role_id));
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(ApproleKey(kApproleRoleIdPrefix, hash)));
  if (!stored.has_value()) return Result();
  auto json = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string()) {
    return CorruptionError("a stored AppRole role_id index entry cannot be parsed");
  }
  return Result(json["name"].get<std::string>());
}

StatusOr<std::optional<SecretIdEntry>> AppRoleStore::ReadEntry(std::string_view role_name,
                                                               std::string_view secret_id_hmac) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(ApproleSecretIdKey(role_name, secret_id_hmac)));
  if (!stored.has_value()) return std::optional<SecretIdEntry>();
  TRESOR_ASSIGN_OR_RETURN(SecretIdEntry entry, ParseSecretId(*stored));
  return std::optional<SecretIdEntry>(std::move(entry));
}

StatusOr<std::vector<storage::Operation>> AppRoleStore::DeleteEntryOps(std::string_view role_name,
                                                                       const SecretIdEntry& entry) {
  TRESOR_ASSIGN_OR_RETURN(std::string accessor_hash, Hmac(entry.accessor));
  return std::vector<storage::Operation>{
      storage::Operation::Delete(ApproleSecretIdKey(role_name, entry.secret_id_hmac)),
      storage::Operation::Delete(ApproleKey(kApproleAccessorPrefix, accessor_hash))};
}

StatusOr<SecretIdEntry> AppRoleStore::CreateSecretId(std::string_view role_name,
                                                     std::string_view secret_id,
                                                     SecretIdEntry entry) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto role, GetRole(role_name));
  if (!role.has_value()) return RoleNotFoundError(role_name);
  TRESOR_ASSIGN_OR_RETURN(entry.secret_id_hmac, Hmac(secret_id));
  TRESOR_ASSIGN_OR_RETURN(auto existing, ReadEntry(role_name, entry.secret_id_hmac));
  if (existing.has_value()) return InvalidArgumentError("secret_id is already registered");
  entry.accessor = RandomUuid();
  entry.creation_time = clock_.Now();
  entry.last_updated_time = entry.creation_time;
  entry.expiration_time.reset();
  if (entry.ttl.count() > 0) entry.expiration_time = entry.creation_time + entry.ttl;
  TRESOR_ASSIGN_OR_RETURN(std::string accessor_hash, Hmac(entry.accessor));
  nlohmann::json target = {{"role_name", role_name}, {"secret_id_hmac", entry.secret_id_hmac}};
  TRESOR_RETURN_IF_ERROR(view_.Batch(
      {storage::Operation::Put(ApproleKey(kApproleAccessorPrefix, accessor_hash), target.dump()),
       storage::Operation::Put(ApproleSecretIdKey(role_name, entry.secret_id_hmac),
                               SerializeSecretId(entry))}));
  return entry;
}

StatusOr<std::optional<SecretIdEntry>> AppRoleStore::GetSecretId(std::string_view role_name,
                                                                 std::string_view secret_id) {
  if (secret_id.empty() || secret_id.size() > kMaxHmacInput) {
    return std::optional<SecretIdEntry>();
  }
  TRESOR_ASSIGN_OR_RETURN(std::string hash, Hmac(secret_id));
  TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(role_name, hash));
  if (entry.has_value() && !ConstantTimeEquals(entry->secret_id_hmac, hash)) {
    return CorruptionError("an AppRole secret ID entry is stored under another secret ID's name");
  }
  return entry;
}

StatusOr<std::optional<SecretIdEntry>> AppRoleStore::GetSecretIdByAccessor(
    std::string_view role_name, std::string_view accessor) {
  using Result = std::optional<SecretIdEntry>;
  if (accessor.empty() || accessor.size() > kMaxHmacInput) return Result();
  TRESOR_ASSIGN_OR_RETURN(std::string hash, Hmac(accessor));
  TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(ApproleKey(kApproleAccessorPrefix, hash)));
  if (!stored.has_value()) return Result();
  TRESOR_ASSIGN_OR_RETURN(ApproleAccessorTarget target, ParseApproleAccessor(*stored));
  if (target.role_name != role_name) return Result();
  TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(role_name, target.secret_id_hmac));
  if (!entry.has_value() || entry->accessor != accessor) return Result();
  return entry;
}

Status AppRoleStore::DestroySecretId(std::string_view role_name, const SecretIdEntry& entry) {
  std::lock_guard<std::mutex> lock(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto ops, DeleteEntryOps(role_name, entry));
  return view_.Batch(ops);
}

StatusOr<std::vector<std::string>> AppRoleStore::ListAccessors(std::string_view role_name) {
  TRESOR_ASSIGN_OR_RETURN(auto hashes,
                          view_.List(ApproleKey(kApproleSecretIdPrefix, role_name) + "/"));
  std::vector<std::string> accessors;
  for (const std::string& hash : hashes) {
    TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(role_name, hash));
    if (entry.has_value()) accessors.push_back(entry->accessor);
  }
  std::sort(accessors.begin(), accessors.end());
  return accessors;
}

StatusOr<std::optional<SecretIdEntry>> AppRoleStore::UseSecretId(std::string_view role_name,
                                                                 std::string_view secret_id_hmac) {
  using Result = std::optional<SecretIdEntry>;
  std::lock_guard<std::mutex> lock(write_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto entry, ReadEntry(role_name, secret_id_hmac));
  const Clock::TimePoint now = clock_.Now();
  if (!entry.has_value() || entry->ExpiredAt(now)) return Result();
  if (entry->num_uses == 1) {
    TRESOR_ASSIGN_OR_RETURN(auto ops, DeleteEntryOps(role_name, *entry));
    TRESOR_RETURN_IF_ERROR(view_.Batch(ops));
  } else if (entry->num_uses > 1) {
    SecretIdEntry used = *entry;
    used.num_uses -= 1;
    used.last_updated_time = now;
    TRESOR_RETURN_IF_ERROR(
        view_.Put(ApproleSecretIdKey(role_name, secret_id_hmac), SerializeSecretId(used)));
  }
  return entry;
}

Status AppRoleStore::DeleteSecretIdsLocked(std::string_view role_name) {
  std::vector<storage::Operation> ops;
  const std::string prefix = ApproleKey(kApproleSecretIdPrefix, role_name) + "/";
  TRESOR_RETURN_IF_ERROR(storage::ForEachKey(view_, prefix, [&](const std::string& key) -> Status {
    TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(key));
    if (!stored.has_value()) return Status::Ok();
    auto entry = ParseSecretId(*stored);
    if (entry.ok()) {
      TRESOR_ASSIGN_OR_RETURN(auto entry_ops, DeleteEntryOps(role_name, *entry));
      ops.insert(ops.end(), entry_ops.begin(), entry_ops.end());
    } else {
      ops.push_back(storage::Operation::Delete(key));  // its accessor, if any, is left to tidy
    }
    if (ops.size() < kApproleDeleteBatch) return Status::Ok();
    Status flushed = view_.Batch(ops);
    ops.clear();
    return flushed;
  }));
  return ops.empty() ? Status::Ok() : view_.Batch(ops);
}

StatusOr<ApproleTidyCounts> AppRoleStore::Tidy() {
  ApproleTidyCounts counts;
  std::map<std::string, bool, std::less<>> role_exists;
  TRESOR_RETURN_IF_ERROR(
      storage::ForEachKey(view_, kApproleSecretIdPrefix, [&](const std::string& key) -> Status {
        std::string_view rest = std::string_view(key).substr(kApproleSecretIdPrefix.size());
        std::size_t slash = rest.find('/');
        if (slash == std::string_view::npos) return Status::Ok();
        std::string role_name(rest.substr(0, slash));
        std::lock_guard<std::mutex> lock(write_mu_);
        if (!role_exists.contains(role_name)) {
          TRESOR_ASSIGN_OR_RETURN(auto role, GetRole(role_name));
          role_exists[role_name] = role.has_value();
        }
        auto entry = ReadEntry(role_name, rest.substr(slash + 1));
        if (!entry.ok()) {
          ++counts.orphan_secret_ids;
          return view_.Delete(key);
        }
        if (!entry->has_value()) return Status::Ok();
        TRESOR_ASSIGN_OR_RETURN(std::string accessor_hash, Hmac((*entry)->accessor));
        TRESOR_ASSIGN_OR_RETURN(auto accessor,
                                view_.Get(ApproleKey(kApproleAccessorPrefix, accessor_hash)));
        if ((*entry)->ExpiredAt(clock_.Now())) {
          ++counts.expired_secret_ids;
        } else if (!role_exists[role_name] || !accessor.has_value()) {
          ++counts.orphan_secret_ids;
        } else {
          return Status::Ok();
        }
        TRESOR_ASSIGN_OR_RETURN(auto ops, DeleteEntryOps(role_name, **entry));
        return view_.Batch(ops);
      }));
  TRESOR_RETURN_IF_ERROR(
      storage::ForEachKey(view_, kApproleAccessorPrefix, [&](const std::string& key) -> Status {
        std::lock_guard<std::mutex> lock(write_mu_);
        TRESOR_ASSIGN_OR_RETURN(auto stored, view_.Get(key));
        if (!stored.has_value()) return Status::Ok();
        auto target = ParseApproleAccessor(*stored);
        if (target.ok()) {
          TRESOR_ASSIGN_OR_RETURN(
              auto entry, view_.Get(ApproleSecretIdKey(target->role_name, target->secret_id_hmac)));
          if (entry.has_value()) return Status::Ok();
        }
        ++counts.dangling_accessors;
        return view_.Delete(key);
      }));
  return counts;
}

}  // namespace tresor::engines::approle
