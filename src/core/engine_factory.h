// The catalog of built-in engine types: what `type` a mount may have and how
// its engine is built.
//
//   secrets: kv (options.version "1" or "2", default 1), generic (Vault's
//            old name for kv, same options), cubbyhole (built in)
//   auth:    token (built in; shares the core's token store)
// Any other type is refused as Vault does: "plugin not found in the catalog".
//
// Who calls it: core, once, to give the MountTable its EngineFactory.
// Threads: the factory it returns is stateless apart from the token store
// reference, and safe to call concurrently.
#pragma once

#include "core/mount_table.h"
#include "engines/auth/token/token_store.h"

namespace tresor::core {

// tokens outlives the factory and every engine it builds.
EngineFactory BuiltinEngineFactory(engines::token::TokenStore& tokens);

// Whether `type` can be enabled in a table of `kind` (for a 400 before
// anything else is looked at).
bool IsKnownEngineType(MountKind kind, std::string_view type);

}  // namespace tresor::core
