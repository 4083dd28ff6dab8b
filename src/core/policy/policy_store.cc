#include "core/policy/policy_store.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/policy/default_policy.h"

namespace tresor::core::policy {
namespace {

constexpr std::string_view kStoragePrefix = "sys/policy/";
constexpr std::string_view kRootPolicy = "root";
constexpr std::string_view kDefaultPolicy = "default";

std::string StorageKey(const std::string& name) { return std::string(kStoragePrefix) + name; }

}  // namespace

PolicyStore::PolicyStore(storage::Backend& barrier) : barrier_(barrier) {}

Status PolicyStore::SetPolicy(std::string_view name, std::string_view text) {
  TRESOR_ASSIGN_OR_RETURN(std::string normalized, NormalizePolicyName(name));
  if (normalized == kRootPolicy) return InvalidArgumentError("cannot update \"root\" policy");
  // Wrapping tokens hold this policy alone; a policy of that name would
  // give every wrapping token its rights.
  if (normalized == "response-wrapping") {
    return InvalidArgumentError("cannot update \"response-wrapping\" policy: the name is reserved");
  }
  auto parsed = ParsePolicy(normalized, text);
  if (!parsed.ok()) return parsed.status().WithContext("failed to parse policy");
  nlohmann::json record = {{"name", normalized}, {"policy", std::string(text)}};
  TRESOR_RETURN_IF_ERROR(barrier_.Put(StorageKey(normalized), record.dump()));
  InvalidateCache();
  return Status::Ok();
}

StatusOr<Policy> PolicyStore::LoadPolicy(const std::string& name) {
  if (name == kRootPolicy) return Policy{name, "", {}};
  TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> stored, barrier_.Get(StorageKey(name)));
  if (!stored.has_value()) {
    if (name == kDefaultPolicy) {
      auto parsed = ParsePolicy(name, DefaultPolicyText());
      if (!parsed.ok()) return InternalError("built-in default policy does not parse");
      return parsed;
    }
    return NotFoundError("no policy named \"" + name + "\"");
  }
  std::string text;
  try {
    nlohmann::json record = nlohmann::json::parse(*stored);
    text = record.at("policy").get<std::string>();
  } catch (const nlohmann::json::exception&) {
    return CorruptionError("stored policy \"" + name + "\" is not a valid record");
  }
  auto parsed = ParsePolicy(name, text);
  if (!parsed.ok()) return CorruptionError("stored policy \"" + name + "\" does not parse");
  return parsed;
}

StatusOr<Policy> PolicyStore::GetPolicy(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(std::string normalized, NormalizePolicyName(name));
  return LoadPolicy(normalized);
}

Status PolicyStore::DeletePolicy(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(std::string normalized, NormalizePolicyName(name));
  if (normalized == kRootPolicy) return InvalidArgumentError("cannot delete \"root\" policy");
  if (normalized == kDefaultPolicy) {
    return InvalidArgumentError("cannot delete \"default\" policy");
  }
  TRESOR_RETURN_IF_ERROR(barrier_.Delete(StorageKey(normalized)));
  InvalidateCache();
  return Status::Ok();
}

StatusOr<std::vector<std::string>> PolicyStore::ListPolicies() {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, barrier_.List(kStoragePrefix));
  // Names never contain '/', so a "x/" entry is not a policy.
  std::erase_if(names, [](const std::string& n) { return n.ends_with('/'); });
  if (std::find(names.begin(), names.end(), kDefaultPolicy) == names.end()) {
    names.emplace_back(kDefaultPolicy);
  }
  std::sort(names.begin(), names.end());
  names.emplace_back(kRootPolicy);
  return names;
}

StatusOr<std::shared_ptr<const Acl>> PolicyStore::AclFor(
    const std::vector<std::string>& policy_names) {
  std::vector<std::string> key;
  key.reserve(policy_names.size());
  for (const std::string& name : policy_names) {
    auto normalized = NormalizePolicyName(name);
    // A name that cannot be stored names no policy: it grants nothing.
    if (!normalized.ok()) continue;
    if (*normalized == kRootPolicy) return Acl::Root();
    key.push_back(std::move(*normalized));
  }
  std::sort(key.begin(), key.end());
  key.erase(std::unique(key.begin(), key.end()), key.end());

  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = cache_.find(key); it != cache_.end()) return it->second;
    generation = generation_;
  }

  std::vector<Policy> policies;
  for (const std::string& name : key) {
    auto policy = LoadPolicy(name);
    if (policy.ok()) {
      policies.push_back(std::move(*policy));
    } else if (policy.status().code() != StatusCode::kNotFound) {
      return policy.status();
    }
  }
  std::shared_ptr<const Acl> acl = Acl::Compile(policies);

  std::lock_guard<std::mutex> lock(mu_);
  if (generation == generation_) {
    if (cache_.size() >= kMaxCachedAcls) cache_.clear();
    cache_.emplace(std::move(key), acl);
  }
  return acl;
}

void PolicyStore::InvalidateCache() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  ++generation_;
}

std::size_t PolicyStore::CachedAclCountForTest() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

}  // namespace tresor::core::policy
