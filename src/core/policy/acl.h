// Acl: the access-control list a token's policies compile to, answering
// "may this token do op on path?" and "what may it do there?"
// (sys/capabilities).
//
// How a path is decided (Vault's rules):
//   1. A rule whose pattern equals the path exactly decides.
//   2. Otherwise, among the glob ("foo*") and segment-wildcard ("foo/+/bar")
//      rules that match, the one of highest priority decides
//      (PathPattern::LowerPriorityThan gives the order).
//   3. No rule matches: nothing is allowed.
// Only the deciding rule counts: a broader rule that denies does not
// override a more specific one that grants. Rules with the same pattern,
// in one policy or across several, are merged into one rule first: their
// capabilities are unioned, except that deny in any of them makes the
// merged rule deny everything.
//
// LIST: Vault sees a list request's path with its trailing '/'. Allows()
// for Operation::kList therefore tries the path with a trailing '/', then
// without it (exact rules first, then wildcard rules), so that both
// `path "secret/metadata/"` and `path "secret/metadata"` allow listing
// "secret/metadata/", as in Vault since 1.15.
//
// The root ACL (a token holding the "root" policy) allows everything.
//
// Who calls it: PolicyStore compiles Acls (and caches them); core checks
// every request against one; the sys/capabilities handlers report from one.
// Thread safety: immutable once built; share as shared_ptr<const Acl> and
// call const methods from any thread.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/policy/capability.h"
#include <nlohmann/json.hpp>

#include "core/policy/path_pattern.h"
#include "core/policy/policy.h"
#include "core/request.h"

namespace tresor::core::policy {

class Acl {
 public:
  // The ACL that allows everything.
  static std::shared_ptr<const Acl> Root();
  // The ACL of `policies` together. An empty list gives an ACL that allows
  // nothing. Policy names play no part (the caller handles "root").
  static std::shared_ptr<const Acl> Compile(const std::vector<Policy>& policies);

  bool IsRoot() const { return root_; }

  // Whether `op` on `path` (a request path: no leading '/') is allowed, and,
  // when needs_sudo, whether the deciding rule also grants sudo. Always true
  // for the root ACL.
  bool Allows(Operation op, std::string_view path, bool needs_sudo) const;

  // The capabilities of the rule that decides `path` (exactly as given: no
  // LIST trailing-slash handling, like Vault's sys/capabilities), or 0 when
  // no rule matches. Every capability for the root ACL.
  CapabilitySet CapabilitiesOn(std::string_view path) const;

  // The answer sys/capabilities gives for `path`: ["root"] for the root
  // ACL, ["deny"] when nothing is granted or the rule denies, else the
  // sorted capability names.
  std::vector<std::string> Capabilities(std::string_view path) const;

  // Whether any rule may grant something on a path under `prefix` (a mount's
  // route prefix, "secret/"): what sys/internal/ui/mounts asks before it
  // describes a mount, so that it cannot be used to discover mounts the
  // token has no business with. A '+' segment is assumed to match, so the
  // answer may be yes for a rule that matches nothing real; never no for a
  // rule that grants something there. Always true for the root ACL.
  bool HasAnyAccessUnder(std::string_view prefix) const;

  // Every rule, as sys/internal/ui/resultant-acl answers them:
  // {"exact_paths": {path: {"capabilities": [...]}}, "glob_paths": {pattern
  // without its trailing '*': {...}}, "root": bool}. Segment patterns ('+')
  // are listed under glob_paths as written.
  nlohmann::json Describe() const;

  // The wrapping TTL bounds of the rule that decides `op` on `path` (as
  // Allows finds it); {0, 0} when there are none or no rule matches, and
  // always for the root ACL. Merged across policies as Vault merges them:
  // the smallest minimum and the largest maximum given.
  struct WrappingBounds {
    std::chrono::seconds min{0};
    std::chrono::seconds max{0};
  };
  WrappingBounds WrappingBoundsOn(Operation op, std::string_view path) const;

  // How many distinct patterns the ACL holds (after merging).
  std::size_t RuleCountForTest() const { return exact_.size() + wildcard_.size(); }

 private:
  Acl() = default;

  // What a merged rule grants.
  struct Grant {
    CapabilitySet caps = 0;
    WrappingBounds wrapping;
  };
  // The deciding rule's grant, nullptr when none matches.
  const Grant* LookupExact(std::string_view path) const;
  const Grant* LookupWildcard(std::string_view path) const;
  const Grant* Lookup(std::string_view path) const;
  const Grant* LookupForList(std::string_view path) const;
  const Grant* LookupFor(Operation op, std::string_view path) const;

  bool root_ = false;
  // Whether any rule has a wrapping bound: most ACLs have none, and then the
  // per-request WrappingBoundsOn costs no second lookup.
  bool has_wrapping_bounds_ = false;
  std::unordered_map<std::string, Grant> exact_;
  // Glob and segment-wildcard rules. Searched linearly: policies hold tens
  // of rules, not thousands, and the scan touches no storage.
  std::vector<std::pair<PathPattern, Grant>> wildcard_;
};

}  // namespace tresor::core::policy
