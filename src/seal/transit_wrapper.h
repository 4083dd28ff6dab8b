// `seal "transit"`: the root key is wrapped by the transit secrets engine of
// another Tresor (or a Vault), through its HTTP API with a token.
//
// Options (environment fallbacks as Vault's): address (VAULT_ADDR), token
// (VAULT_TOKEN), key_name (VAULT_TRANSIT_SEAL_KEY_NAME), mount_path
// (VAULT_TRANSIT_SEAL_MOUNT_PATH, default "transit/"), disable_renewal, and
// tls_ca_cert, tls_client_cert, tls_client_key, tls_server_name,
// tls_skip_verify. `namespace` is refused (Tresor has no namespaces).
//
// Token renewal: unless disable_renewal, a thread looks the token up and
// renews it (auth/token/renew-self) at half its remaining TTL, so that a
// periodic token never expires while this node runs. A renewal that fails
// is logged and retried; it never stops the node.
//
// Threads: thread-safe; owns the renewal thread, stopped by the destructor.
#pragma once

#include <memory>

#include "seal/key_wrapper.h"
#include "seal/seal_block.h"

namespace tresor::seal {

// InvalidArgument naming the missing or bad option.
StatusOr<std::unique_ptr<KeyWrapper>> NewTransitWrapper(const SealBlock& block);

}  // namespace tresor::seal
