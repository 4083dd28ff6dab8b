#include "core/policy/default_policy.h"

namespace tresor::core::policy {

std::string_view DefaultPolicyText() {
  static constexpr std::string_view kText =
      R"hcl(# The built-in default policy. It may be edited but not deleted.

# A token may read its own properties, renew itself and revoke itself.
path "auth/token/lookup-self" {
  capabilities = ["read"]
}
path "auth/token/renew-self" {
  capabilities = ["update"]
}
path "auth/token/revoke-self" {
  capabilities = ["update"]
}

# A token may ask what it is allowed to do on a path.
path "sys/capabilities-self" {
  capabilities = ["update"]
}

# UIs read the token's whole resulting ACL from here.
path "sys/internal/ui/resultant-acl" {
  capabilities = ["read"]
}

# Renewing and looking up a lease needs its ID, which is not guessable.
path "sys/renew" {
  capabilities = ["update"]
}
path "sys/leases/renew" {
  capabilities = ["update"]
}
path "sys/leases/lookup" {
  capabilities = ["update"]
}

# Every token has its own private cubbyhole.
path "cubbyhole/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}

# Response wrapping: wrap a value, inspect a wrapping token, unwrap it.
path "sys/wrapping/wrap" {
  capabilities = ["update"]
}
path "sys/wrapping/lookup" {
  capabilities = ["update"]
}
path "sys/wrapping/unwrap" {
  capabilities = ["update"]
}

# General-purpose hashing.
path "sys/tools/hash" {
  capabilities = ["update"]
}
path "sys/tools/hash/*" {
  capabilities = ["update"]
}
)hcl";
  return kText;
}

}  // namespace tresor::core::policy
