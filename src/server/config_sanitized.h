// The running config as sys/config/state/sanitized answers it (Vault's
// shape): every setting an operator may want to check, and nothing that
// could be a secret. Storage and seal options are kept only when on a list
// of keys known to hold no credential (a path, a node ID); a seal keeps only
// its type and whether it is disabled, as in Vault.
//
// Who calls it: the server, once, into core::CoreOptions::sanitized_config.
#pragma once

#include <nlohmann/json.hpp>

#include "server/config.h"

namespace tresor::server {

nlohmann::json SanitizedConfig(const ServerConfig& config);

}  // namespace tresor::server
