// The tresor binary. `tresor server ...` runs the server (server/); every
// `tresor operator raft recover` works offline on a stopped server's storage
// (server/); every other command is the client CLI (cli/), which talks to a server over HTTP.
#include <string_view>

#include "cli/cli.h"
#include "server/recover_command.h"
#include "server/server_command.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "server") {
    return tresor::server::RunServerCommand(argc - 2, argv + 2);
  }
  // Offline, on the server's own storage: not a client command.
  if (argc >= 4 && std::string_view(argv[1]) == "operator" && std::string_view(argv[2]) == "raft" &&
      std::string_view(argv[3]) == "recover") {
    return tresor::server::RunRaftRecoverCommand(argc - 4, argv + 4);
  }
  return tresor::cli::Run(argc, argv);
}
