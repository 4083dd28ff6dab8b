// The transit secrets engine: encryption as a service with named keys that
// never leave the server, as Vault's "transit/" (docs/transit.md). It is what
// another Tresor's `seal "transit"` unseals through.
//
//   keys/                    LIST   the key names
//   keys/<name>              POST   create (type aes256-gcm96 only)
//                            GET    the key's versions and settings
//                            DELETE only when deletion_allowed
//   keys/<name>/config       POST   min_decryption_version,
//                                   min_encryption_version, deletion_allowed
//   keys/<name>/rotate       POST   a new latest version
//   encrypt/<name>           POST   plaintext (base64) or batch_input; creates
//                                   the key when missing (Vault's upsert,
//                                   which needs the create capability)
//   decrypt/<name>           POST   ciphertext or batch_input
//
// Options Tresor does not implement (derived and convergent keys, other key
// types, exportable keys, auto rotation, context) are refused with a
// message, never ignored.
//
// Threads: Handle may be called concurrently; writes that change a key
// (create, rotate, config, delete) are serialised by one mutex.
#pragma once

#include <memory>

#include "engines/logical.h"

namespace tresor::engines::transit {

std::unique_ptr<logical::Engine> NewTransitEngine(const logical::EngineContext& context);

}  // namespace tresor::engines::transit
