// Runs the server's commands (server/commands.h) as `tresor` would, through
// a registry, with their output captured. Test-only.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "command/registry.h"
#include "server/commands.h"

namespace tresor::server {

struct CommandRunForTest {
  int code = -1;
  std::string out;
  std::string err;
};

// `args` are the words after the program name ("operator", "backup", ...).
// The groups the CLI registers are registered too, so that listings show
// them as `tresor` does.
inline CommandRunForTest RunCommandForTest(const std::vector<std::string>& args) {
  command::CommandRegistry registry;
  registry.RegisterGroup("operator", "Perform operator-specific tasks");
  registry.RegisterGroup("operator raft", "Interact with Tresor's integrated storage");
  registry.RegisterGroup("operator raft snapshot",
                         "Restores and saves snapshots from the Raft cluster");
  RegisterServerCommands(registry);
  std::ostringstream out;
  std::ostringstream err;
  command::CommandIo io{out, err, -1};
  CommandRunForTest run;
  run.code = registry.Dispatch(args, io);
  run.out = out.str();
  run.err = err.str();
  return run;
}

}  // namespace tresor::server
