#include "command/command.h"

namespace tresor::command {

std::string Command::HelpWithFlags(const FlagSet& flags) const {
  std::string out = Help() + "\n";
  std::string usage = flags.Usage();
  if (!usage.empty()) out += "\nOptions:\n\n" + usage;
  return out;
}

int Command::UsageError(const FlagSet& flags, CommandIo& io, std::string_view message) const {
  io.err << message << "\n\n" << HelpWithFlags(flags);
  return kExitUsage;
}

}  // namespace tresor::command
