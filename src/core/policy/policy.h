// An ACL policy: a named list of path rules, parsed from the HCL (or JSON)
// text an operator writes, which is kept verbatim so that reading the
// policy back returns exactly what was written.
//
//   path "secret/data/app/*" {
//     capabilities = ["create", "read", "update", "delete", "list"]
//   }
//
// Accepted inside a path block: `capabilities` (create read update patch
// delete list sudo deny), the deprecated `policy = "deny|read|write|sudo"`
// (mapped as Vault maps it: read = read+list, write = create+read+update+
// delete+list, sudo = write+sudo, deny = deny), `comment`, and the
// wrapping TTL bounds `min_wrapping_ttl` / `max_wrapping_ttl` (a duration
// string or seconds; core enforces them, docs/wrapping.md). Refused with
// "not supported yet": the parameter constraints Vault enforces
// (allowed_parameters, denied_parameters, required_parameters) and
// Enterprise keys (mfa_methods,
// control_group, subscribe_event_types); accepting them without enforcing
// them would grant more than the operator wrote. Anything else, and any
// unknown capability, is refused. At the top level only `path` blocks and
// `name` (accepted and ignored, as Vault ignores it in favour of the name
// in the API path) are allowed.
//
// Errors name the line for HCL input: `line 3: unknown capability "reed"`.
// JSON input has no line numbers, so its errors name the path instead:
// `path "secret/*": unknown capability "reed"`.
//
// Who calls it: PolicyStore (on write, and when compiling stored policies).
// Thread safety: pure functions; Policy is a value type.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/policy/capability.h"
#include "core/policy/path_pattern.h"

namespace tresor::core::policy {

struct PathRule {
  PathPattern pattern;
  // kDeny alone when the rule denies; else the granted capabilities (may be
  // empty: a rule that matches and grants nothing).
  CapabilitySet capabilities = 0;
  // Line of the rule's path in the HCL text; 0 for JSON.
  int line = 0;
  // A request on the path must ask for wrapping with a TTL within these
  // bounds; 0 = no bound.
  std::chrono::seconds min_wrapping_ttl{0};
  std::chrono::seconds max_wrapping_ttl{0};
};

struct Policy {
  std::string name;
  // The text exactly as submitted.
  std::string raw;
  // In source order; the same pattern may appear twice (merged by Acl).
  std::vector<PathRule> rules;
};

// Parses `text` as the policy `name` (stored as given; see
// NormalizePolicyName). JSON when the first non-blank character is '{',
// else HCL. InvalidArgument with the line (see above) when the text does
// not parse or uses something refused.
StatusOr<Policy> ParsePolicy(std::string_view name, std::string_view text);

// The name a policy is stored under: lower-cased like Vault. InvalidArgument
// when it is empty, contains '/', a control character, or is "." or "..".
StatusOr<std::string> NormalizePolicyName(std::string_view name);

}  // namespace tresor::core::policy
