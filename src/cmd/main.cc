// The tresor binary. `tresor server ...` runs the server (server/); every
// other command is the client CLI (cli/), which talks to a server over HTTP.
#include <string_view>

#include "cli/cli.h"
#include "server/server_command.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "server") {
    return tresor::server::RunServerCommand(argc - 2, argv + 2);
  }
  return tresor::cli::Run(argc, argv);
}
