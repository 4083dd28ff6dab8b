// The command framework (command/: flags, Command, the registry, exit codes)
// under the unqualified names every CLI command uses. The framework sits
// below cli/ and server/ so that both register their commands in the one
// registry that `tresor` dispatches.
#pragma once

#include "command/command.h"
#include "command/flags.h"
#include "command/registry.h"

namespace tresor::cli {

using command::Command;
using command::CommandIo;
using command::CommandRegistry;
using command::FlagSet;
using command::kExitError;
using command::kExitOk;
using command::kExitUnknownCommand;
using command::kExitUsage;
using command::ParseBool;
using command::ParseDuration;

}  // namespace tresor::cli
