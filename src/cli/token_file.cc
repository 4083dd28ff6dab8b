#include "cli/token_file.h"

#include <stdlib.h>

#include "cli/atomic_file.h"

namespace tresor::cli {

StatusOr<std::string> TokenFilePath() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return FailedPreconditionError(
        "HOME is not set, so there is no token file to store the token in; use -no-store "
        "and pass the token in TRESOR_TOKEN");
  }
  return std::string(home) + "/.tresor-token";
}

Status WriteTokenFile(std::string_view token) {
  TRESOR_ASSIGN_OR_RETURN(std::string path, TokenFilePath());
  return WriteFileAtomically(path, token, 0600);
}

}  // namespace tresor::cli
