// The one parser of the `key=value` arguments that `write`, `kv put`,
// `kv patch`, `kv metadata put -custom-metadata` and `token create -metadata`
// take, with the forms Vault's kvbuilder accepts:
//
//   key=value     a string value
//   key=@file     the contents of `file` (a literal leading '@' is written
//                 "\@")
//   key=-         everything on stdin, as a string
//   -             a JSON object on stdin, merged into the result
//   key=a key=b   a repeated key becomes a list ["a", "b"]
//
// stdin can be consumed once per command. Empty arguments are ignored.
//
// Who calls it: the commands above. Thread safety: reads files and the given
// fd; one call at a time per fd.
#pragma once

#include <string>
#include <vector>

#include "cli/http_client.h"
#include "common/status.h"

namespace tresor::cli {

// Parses `args` into a JSON object. Returns InvalidArgument for an argument
// without '=' ("format must be key=value"), for stdin used twice, or for
// stdin that is not a JSON object where one is expected; IOError for an
// unreadable @file or stdin.
StatusOr<Json> ParseKeyValueArgs(const std::vector<std::string>& args, int stdin_fd);

// Like ParseKeyValueArgs, for flags whose values must be strings (token
// metadata, custom metadata): a repeated key or a JSON value that is not a
// string is refused with InvalidArgument.
StatusOr<Json> ParseStringMapArgs(const std::vector<std::string>& args, int stdin_fd);

// Reads `fd` to its end. Returns IOError on a read error.
StatusOr<std::string> ReadAllFromFd(int fd);

}  // namespace tresor::cli
