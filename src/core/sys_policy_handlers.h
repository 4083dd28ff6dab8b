// The sys/ endpoints for ACL policies and capabilities, shaped as Vault's:
//
//   GET|LIST            sys/policy                 {policies, keys} (also top level)
//   GET                 sys/policy/<name>          {name, rules}    (also top level)
//   PUT|POST            sys/policy/<name>          body {"policy": text} ("rules" also read)
//   DELETE              sys/policy/<name>
//   LIST                sys/policies/acl           {keys}
//   GET                 sys/policies/acl/<name>    {name, policy}
//   PUT|POST            sys/policies/acl/<name>    body {"policy": text}
//   DELETE              sys/policies/acl/<name>
//   POST                sys/capabilities           {token, path|paths}
//   POST                sys/capabilities-self      {path|paths}, for the caller's own token
//
// The capabilities answers hold one key per path asked about, and, when a
// single path was asked about, "capabilities" too; both in data and at the
// top level, as Vault answers. `path` and `paths` take a list of strings or
// one comma-separated string; `paths` wins when both are given.
// sys/capabilities-accessor is not provided (Tresor has no accessor lookup
// to answer it with yet).
//
// Who calls it: core, once, when it builds its SysRouter; see
// RegisterPolicyHandlers.
// Threads: handlers are called concurrently; they keep no state of their own
// (PolicyStore is thread-safe; policies_of_token must be too).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/policy/policy_store.h"
#include "core/sys_router.h"

namespace tresor::core {

struct PolicyHandlerContext {
  // Outlives the router.
  policy::PolicyStore& store;
  // The policies of a token, for sys/capabilities. Returns NotFound or
  // PermissionDenied when the token is unknown (answered as 400 "invalid
  // token", as Vault does); other errors pass through. Must not log the
  // token.
  std::function<StatusOr<std::vector<std::string>>(const std::string& token)> policies_of_token;
  // The same for the token with this accessor, for sys/capabilities-accessor.
  std::function<StatusOr<std::vector<std::string>>(const std::string& accessor)>
      policies_of_accessor;
};

// Adds the routes above to `router`. Flags: none is unauthenticated or
// needs sudo; sys/capabilities-self is any_token (every token may ask about
// itself, which Vault grants through the default policy).
void RegisterPolicyHandlers(SysRouter& router, PolicyHandlerContext context);

}  // namespace tresor::core
