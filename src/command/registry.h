// The table of `tresor` commands and the dispatcher that picks one from argv.
//
// Commands are registered by their full name, words separated by spaces
// ("status", "operator init"); a name prefix that is not itself a command
// ("operator") is a group, registered with a synopsis so that help can list
// it. Dispatch finds the longest registered name that prefixes the
// arguments, as Vault (mitchellh/cli) does, parses the rest as that
// command's flags and arguments, and runs it.
//
// Who calls it: cmd/main.cc fills one registry with the client commands
// (cli::RegisterBuiltinCommands, cli/commands/builtin.h) and the server's
// (server::RegisterServerCommands, server/commands.h), then RunMain.
// Thread safety: fill the registry first, then Dispatch from one thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "command/command.h"

namespace tresor::command {

class CommandRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Command>()>;

  // Registers a runnable command. `synopsis` is its one line in listings.
  // Registering a name twice is a programming error (aborts).
  void Register(std::string name, std::string synopsis, Factory factory);
  // Registers a group name ("operator raft") for listings only.
  void RegisterGroup(std::string name, std::string synopsis);

  // Runs the command named by the leading words of `args` (the arguments
  // after the program name). Exit codes: the command's own; 0 for
  // `-h`/`-help`/`--help` alone (prints the command list) and for
  // `-v`/`-version`/`--version`; 1 for a group without a subcommand (prints
  // its subcommands, as Vault does); 2 for a usage error in a command's
  // flags; 127 for no or an unknown command (prints the command list to err).
  int Dispatch(const std::vector<std::string>& args, CommandIo& io) const;

  // The listing of the commands directly under `group` ("" for top level):
  // "Usage: tresor <command> [args]\n\nCommands:\n    name    synopsis\n..."
  std::string ListingFor(const std::string& group) const;

 private:
  struct Entry {
    std::string synopsis;
    Factory factory;  // empty for a group
  };
  int RunCommand(const std::string& name, const Entry& entry, const std::vector<std::string>& args,
                 CommandIo& io) const;

  std::map<std::string, Entry> entries_;
};

// main(): dispatches argv (argv[0] is the program name) on std::cout,
// std::cerr and stdin, and returns the process exit code.
int RunMain(const CommandRegistry& registry, int argc, char** argv);

}  // namespace tresor::command
