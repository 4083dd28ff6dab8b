#include "cli/commands/key_share_input.h"

#include "cli/terminal.h"

namespace tresor::cli {

StatusOr<std::string> ReadKeyShare(const std::vector<std::string>& args, CommandIo& io,
                                   std::string_view prompt) {
  std::string key;
  if (!args.empty() && args[0] != "-") {
    key = args[0];
  } else {
    TRESOR_ASSIGN_OR_RETURN(key, ReadSecretLine(io.in_fd, prompt, io.err));
  }
  if (key.empty()) return InvalidArgumentError("no unseal key was given");
  return key;
}

}  // namespace tresor::cli
