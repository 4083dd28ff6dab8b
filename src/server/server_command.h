// `tresor server`: the composition root. Reads the config, builds storage,
// the core and the HTTP listeners, and runs until SIGTERM/SIGINT.
#pragma once

namespace tresor::server {

// args are the words after "server". Returns the process exit code.
int RunServerCommand(int argc, char** argv);

}  // namespace tresor::server
