// `tresor operator init`: the output formats, exposed so tests can check them
// against canned server responses. The command itself is
// NewOperatorInitCommand() in builtin.h.
//
// Thread-safe, stateless.
#pragma once

#include <cstdint>
#include <string>

#include "cli/http_client.h"

namespace tresor::cli {

// Vault's table output for a PUT sys/init response: "Unseal Key N: <b64>"
// lines (hex when the server sent no base64), the root token, and the
// explanatory paragraphs wrapped at 78 columns.
std::string FormatInitTable(const Json& response, int64_t shares, int64_t threshold,
                            bool recovery = false);

// Vault's -format=json output: unseal_keys_b64, unseal_keys_hex,
// unseal_shares, unseal_threshold, recovery_keys_b64, recovery_keys_hex,
// recovery_keys_shares, recovery_keys_threshold, root_token — in that order.
Json InitJson(const Json& response, int64_t shares, int64_t threshold, bool recovery = false);

}  // namespace tresor::cli
