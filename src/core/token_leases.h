// The token store as a lease source (core/leases.h): every stored service
// token is a lease with the ID "<creation path>/<token hash>", the way Vault
// names token leases ("auth/token/create/<hash>",
// "auth/userpass/login/alice/<hash>"). The hash is the store's HMAC of the
// token, so a lease ID never gives the token away. Batch tokens are not
// leases (nothing is stored for them), as in Vault.
//
// Who calls it: core registers it with Leases. Threads: as the token store.
#pragma once

#include <memory>

#include "core/leases.h"
#include "engines/auth/token/token_store.h"

namespace tresor::core {

std::unique_ptr<LeaseSource> NewTokenLeaseSource(engines::token::TokenStore& tokens);

}  // namespace tresor::core
