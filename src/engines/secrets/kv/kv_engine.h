// The entry point of the KV secrets engine: picks KV version 1 or 2 from
// the mount's options, as Vault's "kv" mount type does.
//
// Who calls it: core's mount table, when a mount of type "kv" is created
// or loaded at unseal (`tresor server -dev` mounts version 2 at secret/).
// Thread-safe: the factory is stateless; the engines it returns are safe
// for concurrent requests.
#pragma once

#include <memory>

#include "common/status.h"
#include "engines/logical.h"

namespace tresor::engines::kv {

// options["version"]: "1" (the default when absent or empty) or "2".
// Any other value is InvalidArgument. The engine keeps references to
// context.storage and context.clock, which must outlive it.
StatusOr<std::unique_ptr<logical::Engine>> NewKvEngine(const logical::EngineContext& context);

}  // namespace tresor::engines::kv
