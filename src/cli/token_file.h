// Storing the token `tresor login` obtained, in $HOME/.tresor-token, the file
// environment.cc's ReadTokenFile() reads first (Vault's token helper keeps
// ~/.vault-token the same way).
//
// The file holds a credential, so it is never readable by anyone else, not
// even for an instant: it is written through WriteFileAtomically with mode
// 0600 (a temporary file created 0600, fsynced, renamed over the old one).
// A crash leaves the old token or the new one, never a truncated file.
//
// Who calls it: the `login` command. Thread safety: see atomic_file.h.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::cli {

// The token file's path: $HOME/.tresor-token. Returns FailedPrecondition
// when HOME is unset or empty.
StatusOr<std::string> TokenFilePath();

// Replaces the token file's contents with `token` (no trailing newline, as
// Vault writes it). Returns FailedPrecondition when HOME is unset, IOError
// naming the failing step otherwise.
Status WriteTokenFile(std::string_view token);

}  // namespace tresor::cli
