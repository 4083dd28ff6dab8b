// Logging goes through spdlog's default logger (to stderr). This file only
// parses Vault's level names and applies them; SIGHUP re-applies the level
// from the config file through SetLogLevel.
//
// Never log a secret, a token or a request body. Thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

#include "common/status.h"

namespace tresor {

// Accepts Vault's names: trace, debug, info, warn (or warning), error, off.
StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view name);
Status SetLogLevel(std::string_view name);

}  // namespace tresor
