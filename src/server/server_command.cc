#include "server/server_command.h"

#include <cstdio>

namespace tresor::server {

int RunServerCommand(int argc, char** argv) {
  std::fprintf(stderr, "tresor server: not yet implemented\n");
  return 1;
}

}  // namespace tresor::server
