// Where the operator commands that take an unseal key share (unseal,
// rekey, generate-root) get it: their one argument, or stdin when there is
// none or it is "-", hidden at a terminal (cli/terminal.h). An argument
// leaves the share in the shell's history, so the help texts recommend the
// prompt.
//
// Who calls it: operator_unseal.cc, operator_rekey.cc,
// operator_generate_root.cc. Thread safety: as the commands (one thread).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/framework.h"
#include "common/status.h"

namespace tresor::cli {

// The share, never empty. InvalidArgument "no unseal key was given" for an
// empty one; what ReadSecretLine returns when reading fails. The caller
// SecureWipe()s the result once used.
StatusOr<std::string> ReadKeyShare(const std::vector<std::string>& args, CommandIo& io,
                                   std::string_view prompt);

}  // namespace tresor::cli
