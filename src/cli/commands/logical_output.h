// The request-and-print steps `read`/`write`/`list`/`delete` share with the
// `kv` commands, which do the same against rewritten KV v2 paths.
//
// Who calls it: logical.cc and the kv_*.cc commands. One thread.
#pragma once

#include <string>

#include "cli/commands/api_command.h"

namespace tresor::cli {

// Prints "No value found at PATH" and returns 2 (Vault's answer to a 404).
int NoValueFound(CommandIo& io, const std::string& path);

// True when a write's answer carries nothing to print: no body (204), or an
// envelope without data, auth, wrap_info or warnings.
bool IsEmptySecret(const Json& response);

// After a successful write to `path`: "Success! Data written to: PATH" (in
// table format only, as Vault) for an empty answer, else the secret as
// `read` prints it (honouring -field).
int PrintWriteResult(ApiContext& context, const std::string& path, const Json& response,
                     const std::string& field);

// LIST `path`, then the keys: a "Keys" table, or the JSON array of keys.
// Nothing there: "No value found at PATH" and 2.
int ListKeys(ApiContext& context, const std::string& path);

// DELETE `path`, then "Success! Data deleted (if it existed) at: PATH".
int DeleteAt(ApiContext& context, const std::string& path);

}  // namespace tresor::cli
