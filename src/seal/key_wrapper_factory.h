// Makes the auto-unseal provider a seal block names (seal/key_wrapper.h).
//
// Who calls it: server/ at start, for the enabled seal block and for the
// disabled one a migration moves away from.
// Threads: stateless.
#pragma once

#include <memory>

#include "seal/key_wrapper.h"
#include "seal/seal_block.h"

namespace tresor::seal {

// nullptr for "shamir" (key shares, no provider); the provider for
// "transit", "awskms" and "pkcs11" (metered: seal/metered_key_wrapper.h);
// InvalidArgument for an unknown type or a
// missing option, and what the provider returns when it cannot be set up
// (a PKCS#11 module that does not load).
StatusOr<std::unique_ptr<KeyWrapper>> NewKeyWrapper(const SealBlock& block);

}  // namespace tresor::seal
