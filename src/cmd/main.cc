// The tresor binary: one registry holds every command, the client CLI's
// (cli/, which talks to a server over HTTP) and the server's own (server/:
// `server`, and the offline operator commands that work on a stopped
// server's storage or on an archive file), and dispatches argv.
#include "cli/commands/builtin.h"
#include "command/registry.h"
#include "server/commands.h"

int main(int argc, char** argv) {
  tresor::command::CommandRegistry registry;
  tresor::cli::RegisterBuiltinCommands(registry);
  tresor::server::RegisterServerCommands(registry);
  return tresor::command::RunMain(registry, argc, argv);
}
