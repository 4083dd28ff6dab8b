#include "cli/cli.h"

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/commands/builtin.h"
#include "cli/registry.h"

namespace tresor::cli {

int Run(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  CommandRegistry registry;
  RegisterBuiltinCommands(registry);
  CommandIo io{std::cout, std::cerr, STDIN_FILENO};
  int code = registry.Dispatch(args, io);
  std::cout.flush();
  return code;
}

}  // namespace tresor::cli
