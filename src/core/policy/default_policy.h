// The text of the built-in "default" policy, which every non-root token
// normally carries: enough for a token to look after itself (look up, renew
// and revoke itself, ask what it may do, use its own cubbyhole, renew and
// look up leases, use response wrapping and sys/tools/hash). It grants the
// same things as Vault's default policy, minus the identity, OIDC and
// control-group paths, which Tresor does not have.
//
// Who calls it: PolicyStore, which serves this text as "default" until an
// operator writes their own version.
// Thread safety: a constant.
#pragma once

#include <string_view>

namespace tresor::core::policy {

std::string_view DefaultPolicyText();

}  // namespace tresor::core::policy
