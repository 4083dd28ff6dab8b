// The shape of a `tresor` command, and what it is given to run: the client
// commands (cli/commands/) and the server's own (`server`, the offline
// operator commands in server/) alike.
//
// A command declares its flags (DefineFlags binds them to its members), then
// Execute() runs after the flags parsed; the registry (registry.h) does the
// parsing, -h, and usage errors, so every command behaves the same way.
// Commands print through CommandIo, never std::cout directly, so tests can
// capture their output.
//
// Who calls it: CommandRegistry::Dispatch. Implemented in cli/commands/ and
// server/.
// Thread safety: a command object runs once, on one thread.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "command/flags.h"

namespace tresor::command {

// Exit codes, as Vault's CLI uses them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // local or API error
inline constexpr int kExitUsage = 2;  // bad flags or arguments (status: sealed)
inline constexpr int kExitUnknownCommand = 127;

struct CommandIo {
  std::ostream& out;  // results
  std::ostream& err;  // errors, warnings, prompts
  int in_fd;          // where secrets are read from (stdin)
};

class Command {
 public:
  virtual ~Command() = default;

  // The help text shown by -h before the flag list: a "Usage: tresor ..."
  // line, a blank line, and a description indented by two spaces.
  virtual std::string Help() const = 0;

  // Binds this command's flags to its members. Called once, before Parse.
  virtual void DefineFlags(FlagSet& flags) = 0;

  // Runs with the parsed flags (their values are already in the members;
  // `flags` tells which were given and holds the positional Args()).
  // Returns the process exit code.
  virtual int Execute(const FlagSet& flags, CommandIo& io) = 0;

  // What -h prints: Help(), then "Options:" and the flag reference of
  // `flags` (on which DefineFlags ran) when there are flags.
  std::string HelpWithFlags(const FlagSet& flags) const;

 protected:
  // For a usage error found in Execute (a missing argument, flags that do
  // not go together): writes `message`, a blank line and HelpWithFlags to
  // io.err, and returns kExitUsage.
  int UsageError(const FlagSet& flags, CommandIo& io, std::string_view message) const;
};

}  // namespace tresor::command
