#include "core/policy/capability.h"

#include <algorithm>
#include <array>
#include <utility>

namespace tresor::core::policy {
namespace {

constexpr std::array<std::pair<std::string_view, Capability>, 8> kNames = {{
    {"create", kCreate},
    {"delete", kDelete},
    {"deny", kDeny},
    {"list", kList},
    {"patch", kPatch},
    {"read", kRead},
    {"sudo", kSudo},
    {"update", kUpdate},
}};

}  // namespace

std::optional<Capability> CapabilityFromName(std::string_view name) {
  for (const auto& [n, cap] : kNames) {
    if (n == name) return cap;
  }
  return std::nullopt;
}

Capability CapabilityFor(Operation op) {
  switch (op) {
    case Operation::kRead:
      return kRead;
    case Operation::kList:
      return kList;
    case Operation::kCreate:
      return kCreate;
    case Operation::kUpdate:
      return kUpdate;
    case Operation::kPatch:
      return kPatch;
    case Operation::kDelete:
      return kDelete;
  }
  // Unreachable for a valid Operation; deny is the safe answer.
  return kDeny;
}

std::vector<std::string> CapabilityNames(CapabilitySet set) {
  if (set == 0 || (set & kDeny) != 0) return {"deny"};
  std::vector<std::string> names;
  for (const auto& [n, cap] : kNames) {  // kNames is sorted by name.
    if ((set & cap) != 0) names.emplace_back(n);
  }
  return names;
}

CapabilitySet MergeCapabilities(CapabilitySet a, CapabilitySet b) {
  if (((a | b) & kDeny) != 0) return kDeny;
  return a | b;
}

}  // namespace tresor::core::policy
