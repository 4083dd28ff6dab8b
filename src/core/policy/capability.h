// Capabilities: what an ACL rule grants on a path, as a bit set, and the
// names Vault uses for them in policies and in sys/capabilities answers.
//
// Who calls it: the policy parser (names -> bits), the Acl (bits ->
// allowed?), and the sys/capabilities handlers (bits -> names).
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/request.h"

namespace tresor::core::policy {

// One bit per capability. A rule's capabilities are a CapabilitySet.
enum Capability : std::uint32_t {
  kDeny = 1u << 0,
  kCreate = 1u << 1,
  kRead = 1u << 2,
  kUpdate = 1u << 3,
  kDelete = 1u << 4,
  kList = 1u << 5,
  kSudo = 1u << 6,
  kPatch = 1u << 7,
};

using CapabilitySet = std::uint32_t;

// The capability named `name` exactly as Vault spells it ("read", "sudo",
// ...), or std::nullopt for any other string (matching is case-sensitive,
// like Vault's).
std::optional<Capability> CapabilityFromName(std::string_view name);

// The capability an operation needs (kRead for kRead, kCreate for kCreate,
// ...).
Capability CapabilityFor(Operation op);

// The names in `set`, sorted, the way sys/capabilities reports them:
// ["deny"] when the set is empty or holds kDeny (deny overrides everything
// else in the set).
std::vector<std::string> CapabilityNames(CapabilitySet set);

// Merges two rules for the same pattern: deny in either makes the result
// deny only; otherwise the union.
CapabilitySet MergeCapabilities(CapabilitySet a, CapabilitySet b);

}  // namespace tresor::core::policy
