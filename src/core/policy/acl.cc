#include "core/policy/acl.h"

#include <map>

namespace tresor::core::policy {

std::shared_ptr<const Acl> Acl::Root() {
  static const std::shared_ptr<const Acl> root = [] {
    std::shared_ptr<Acl> acl(new Acl());
    acl->root_ = true;
    return std::shared_ptr<const Acl>(std::move(acl));
  }();
  return root;
}

std::shared_ptr<const Acl> Acl::Compile(const std::vector<Policy>& policies) {
  // Merge by pattern text first, so that equal patterns become one rule.
  std::map<std::string, std::pair<const PathPattern*, Grant>> merged;
  for (const Policy& policy : policies) {
    for (const PathRule& rule : policy.rules) {
      auto [it, inserted] = merged.try_emplace(
          rule.pattern.text(), &rule.pattern,
          Grant{rule.capabilities, {rule.min_wrapping_ttl, rule.max_wrapping_ttl}});
      if (inserted) continue;
      Grant& grant = it->second.second;
      grant.caps = MergeCapabilities(grant.caps, rule.capabilities);
      // Vault's merge: the smaller minimum and the larger maximum win.
      if (rule.min_wrapping_ttl.count() > 0 &&
          (grant.wrapping.min.count() == 0 || rule.min_wrapping_ttl < grant.wrapping.min)) {
        grant.wrapping.min = rule.min_wrapping_ttl;
      }
      if (rule.max_wrapping_ttl.count() > 0 &&
          (grant.wrapping.max.count() == 0 || rule.max_wrapping_ttl > grant.wrapping.max)) {
        grant.wrapping.max = rule.max_wrapping_ttl;
      }
    }
  }
  std::shared_ptr<Acl> acl(new Acl());
  for (const auto& [text, entry] : merged) {
    const auto& [pattern, grant] = entry;
    if (grant.wrapping.min.count() > 0 || grant.wrapping.max.count() > 0) {
      acl->has_wrapping_bounds_ = true;
    }
    if (pattern->kind() == PathPattern::Kind::kExact) {
      acl->exact_.emplace(text, grant);
    } else {
      acl->wildcard_.emplace_back(*pattern, grant);
    }
  }
  return acl;
}

const Acl::Grant* Acl::LookupExact(std::string_view path) const {
  auto it = exact_.find(std::string(path));
  return it == exact_.end() ? nullptr : &it->second;
}

const Acl::Grant* Acl::LookupWildcard(std::string_view path) const {
  const std::pair<PathPattern, Grant>* best = nullptr;
  for (const auto& candidate : wildcard_) {
    if (!candidate.first.Matches(path)) continue;
    if (best == nullptr || best->first.LowerPriorityThan(candidate.first)) best = &candidate;
  }
  return best == nullptr ? nullptr : &best->second;
}

const Acl::Grant* Acl::Lookup(std::string_view path) const {
  if (const Grant* grant = LookupExact(path)) return grant;
  return LookupWildcard(path);
}

const Acl::Grant* Acl::LookupForList(std::string_view path) const {
  std::string with_slash(path);
  if (!with_slash.empty() && with_slash.back() != '/') with_slash.push_back('/');
  std::string_view without_slash = with_slash;
  if (!without_slash.empty()) without_slash.remove_suffix(1);
  if (const Grant* grant = LookupExact(with_slash)) return grant;
  if (const Grant* grant = LookupExact(without_slash)) return grant;
  if (const Grant* grant = LookupWildcard(with_slash)) return grant;
  return LookupWildcard(without_slash);
}

const Acl::Grant* Acl::LookupFor(Operation op, std::string_view path) const {
  return op == Operation::kList ? LookupForList(path) : Lookup(path);
}

bool Acl::Allows(Operation op, std::string_view path, bool needs_sudo) const {
  if (root_) return true;
  const Grant* grant = LookupFor(op, path);
  if (grant == nullptr || (grant->caps & kDeny) != 0) return false;
  if ((grant->caps & CapabilityFor(op)) == 0) return false;
  return !needs_sudo || (grant->caps & kSudo) != 0;
}

Acl::WrappingBounds Acl::WrappingBoundsOn(Operation op, std::string_view path) const {
  if (root_ || !has_wrapping_bounds_) return {};
  const Grant* grant = LookupFor(op, path);
  return grant == nullptr ? WrappingBounds{} : grant->wrapping;
}

bool Acl::HasAnyAccessUnder(std::string_view prefix) const {
  if (root_) return true;
  auto grants = [](CapabilitySet caps) { return caps != 0 && (caps & kDeny) == 0; };
  std::string_view bare = prefix;
  if (!bare.empty() && bare.back() == '/') bare.remove_suffix(1);
  for (const auto& [path, grant] : exact_) {
    if (grants(grant.caps) && (path.starts_with(prefix) || path == bare)) return true;
  }
  for (const auto& [pattern, grant] : wildcard_) {
    if (!grants(grant.caps)) continue;
    // The literal part before the first wildcard.
    std::string_view head = pattern.text();
    std::size_t plus = head.find('+');
    if (plus != std::string_view::npos) head = head.substr(0, plus);
    if (!head.empty() && head.back() == '*') head.remove_suffix(1);
    if (head.starts_with(prefix) || prefix.starts_with(head)) return true;
  }
  return false;
}

CapabilitySet Acl::CapabilitiesOn(std::string_view path) const {
  if (root_) return kCreate | kRead | kUpdate | kPatch | kDelete | kList | kSudo;
  const Grant* grant = Lookup(path);
  return grant == nullptr ? 0 : grant->caps;
}

std::vector<std::string> Acl::Capabilities(std::string_view path) const {
  if (root_) return {"root"};
  return CapabilityNames(CapabilitiesOn(path));
}

nlohmann::json Acl::Describe() const {
  nlohmann::json exact = nlohmann::json::object(), glob = nlohmann::json::object();
  for (const auto& [path, grant] : exact_) {
    exact[path] = {{"capabilities", CapabilityNames(grant.caps)}};
  }
  for (const auto& [pattern, grant] : wildcard_) {
    std::string key = pattern.text();
    if (pattern.kind() == PathPattern::Kind::kPrefix && !key.empty() && key.back() == '*') {
      key.pop_back();
    }
    glob[key] = {{"capabilities", CapabilityNames(grant.caps)}};
  }
  return {{"exact_paths", std::move(exact)}, {"glob_paths", std::move(glob)}, {"root", root_}};
}

}  // namespace tresor::core::policy
