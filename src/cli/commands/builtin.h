// The built-in commands and the one function that registers them all. A new
// command adds a factory declaration here, its own file in this folder, and
// one line in RegisterBuiltinCommands().
//
// Who calls it: cli.cc (and tests that dispatch through a registry).
// Thread safety: call RegisterBuiltinCommands once, before dispatching.
#pragma once

#include <memory>

#include "cli/command.h"
#include "cli/registry.h"

namespace tresor::cli {

std::unique_ptr<Command> NewOperatorInitCommand();
std::unique_ptr<Command> NewOperatorUnsealCommand();
std::unique_ptr<Command> NewOperatorSealCommand();
std::unique_ptr<Command> NewOperatorKeyStatusCommand();
std::unique_ptr<Command> NewOperatorRotateCommand();
std::unique_ptr<Command> NewStatusCommand();
std::unique_ptr<Command> NewVersionCommand();

void RegisterBuiltinCommands(CommandRegistry& registry);

}  // namespace tresor::cli
