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
  std::map<std::string, std::pair<const PathPattern*, CapabilitySet>> merged;
  for (const Policy& policy : policies) {
    for (const PathRule& rule : policy.rules) {
      auto [it, inserted] =
          merged.try_emplace(rule.pattern.text(), &rule.pattern, rule.capabilities);
      if (!inserted) {
        it->second.second = MergeCapabilities(it->second.second, rule.capabilities);
      }
    }
  }
  std::shared_ptr<Acl> acl(new Acl());
  for (const auto& [text, entry] : merged) {
    const auto& [pattern, caps] = entry;
    if (pattern->kind() == PathPattern::Kind::kExact) {
      acl->exact_.emplace(text, caps);
    } else {
      acl->wildcard_.emplace_back(*pattern, caps);
    }
  }
  return acl;
}

std::optional<CapabilitySet> Acl::LookupExact(std::string_view path) const {
  auto it = exact_.find(std::string(path));
  if (it == exact_.end()) return std::nullopt;
  return it->second;
}

std::optional<CapabilitySet> Acl::LookupWildcard(std::string_view path) const {
  const std::pair<PathPattern, CapabilitySet>* best = nullptr;
  for (const auto& candidate : wildcard_) {
    if (!candidate.first.Matches(path)) continue;
    if (best == nullptr || best->first.LowerPriorityThan(candidate.first)) best = &candidate;
  }
  if (best == nullptr) return std::nullopt;
  return best->second;
}

std::optional<CapabilitySet> Acl::Lookup(std::string_view path) const {
  if (auto caps = LookupExact(path)) return caps;
  return LookupWildcard(path);
}

std::optional<CapabilitySet> Acl::LookupForList(std::string_view path) const {
  std::string with_slash(path);
  if (!with_slash.empty() && with_slash.back() != '/') with_slash.push_back('/');
  std::string_view without_slash = with_slash;
  if (!without_slash.empty()) without_slash.remove_suffix(1);
  if (auto caps = LookupExact(with_slash)) return caps;
  if (auto caps = LookupExact(without_slash)) return caps;
  if (auto caps = LookupWildcard(with_slash)) return caps;
  return LookupWildcard(without_slash);
}

bool Acl::Allows(Operation op, std::string_view path, bool needs_sudo) const {
  if (root_) return true;
  std::optional<CapabilitySet> caps = op == Operation::kList ? LookupForList(path) : Lookup(path);
  if (!caps.has_value() || (*caps & kDeny) != 0) return false;
  if ((*caps & CapabilityFor(op)) == 0) return false;
  return !needs_sudo || (*caps & kSudo) != 0;
}

bool Acl::HasAnyAccessUnder(std::string_view prefix) const {
  if (root_) return true;
  auto grants = [](CapabilitySet caps) { return caps != 0 && (caps & kDeny) == 0; };
  std::string_view bare = prefix;
  if (!bare.empty() && bare.back() == '/') bare.remove_suffix(1);
  for (const auto& [path, caps] : exact_) {
    if (grants(caps) && (path.starts_with(prefix) || path == bare)) return true;
  }
  for (const auto& [pattern, caps] : wildcard_) {
    if (!grants(caps)) continue;
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
  return Lookup(path).value_or(0);
}

std::vector<std::string> Acl::Capabilities(std::string_view path) const {
  if (root_) return {"root"};
  return CapabilityNames(CapabilitiesOn(path));
}

nlohmann::json Acl::Describe() const {
  nlohmann::json exact = nlohmann::json::object(), glob = nlohmann::json::object();
  for (const auto& [path, caps] : exact_) exact[path] = {{"capabilities", CapabilityNames(caps)}};
  for (const auto& [pattern, caps] : wildcard_) {
    std::string key = pattern.text();
    if (pattern.kind() == PathPattern::Kind::kPrefix && !key.empty() && key.back() == '*') {
      key.pop_back();
    }
    glob[key] = {{"capabilities", CapabilityNames(caps)}};
  }
  return {{"exact_paths", std::move(exact)}, {"glob_paths", std::move(glob)}, {"root", root_}};
}

}  // namespace tresor::core::policy
