#include "core/engine_factory.h"

#include "engines/auth/approle/approle_engine.h"
#include "engines/auth/token/token_engine.h"
#include "engines/auth/userpass/userpass_engine.h"
#include "engines/secrets/cubbyhole/cubbyhole.h"
#include "engines/secrets/kv/kv_engine.h"
#include "engines/secrets/transit/transit_engine.h"

namespace tresor::core {

bool IsKnownEngineType(MountKind kind, std::string_view type) {
  if (kind == MountKind::kAuth) return type == "token" || type == "userpass" || type == "approle";
  return type == "kv" || type == "generic" || type == "cubbyhole" || type == "system" ||
         type == "transit";
}

EngineFactory BuiltinEngineFactory(engines::token::TokenStore& tokens) {
  return [&tokens](MountKind kind, const MountEntry& entry, const logical::EngineContext& context)
             -> StatusOr<std::unique_ptr<logical::Engine>> {
    if (kind == MountKind::kAuth && entry.type == "token") {
      return engines::token::NewTokenEngine(tokens);
    }
    if (kind == MountKind::kAuth && entry.type == "userpass") {
      return engines::userpass::NewUserpassEngine(context);
    }
    if (kind == MountKind::kAuth && entry.type == "approle") {
      return engines::approle::NewAppRoleEngine(context);
    }
    if (kind == MountKind::kSecrets) {
      if (entry.type == "kv" || entry.type == "generic") {
        return engines::kv::NewKvEngine(context);
      }
      if (entry.type == "cubbyhole") return engines::cubbyhole::NewCubbyholeEngine(context);
      if (entry.type == "transit") return engines::transit::NewTransitEngine(context);
    }
    return InvalidArgumentError("plugin not found in the catalog: " + entry.type);
  };
}

}  // namespace tresor::core
