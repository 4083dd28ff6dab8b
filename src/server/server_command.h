// `tresor server`: the composition root. Reads the config, builds storage,
// the core and the HTTP listeners, and runs until SIGTERM/SIGINT.
//
// Who calls it: the registry (server/commands.h), on the main thread before
// any other thread starts (it blocks the server's signals for all threads).
#pragma once

#include <memory>

#include "command/command.h"

namespace tresor::server {

// Exit codes: 0 stopped cleanly, 1 failed to load or start, 2 usage error.
std::unique_ptr<command::Command> NewServerCommand();

}  // namespace tresor::server
