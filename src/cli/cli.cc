#include "cli/cli.h"

#include <cstdio>

namespace tresor::cli {

int Run(int argc, char** argv) {
  std::fprintf(stderr, "usage: tresor <command> [args]\n");
  return 1;
}

}  // namespace tresor::cli
