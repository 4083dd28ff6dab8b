// `tresor version` (also `tresor -v` / `-version`): prints "Tresor v<version>".
#include "common/version.h"

#include "cli/commands/builtin.h"

namespace tresor::cli {
namespace {

class VersionCommand final : public Command {
 public:
  std::string Help() const override {
    return "Usage: tresor version\n\n"
           "  Prints the version of this Tresor binary. The version of a running\n"
           "  server is shown by \"tresor status\".";
  }
  void DefineFlags(FlagSet&) override {}
  int Execute(const FlagSet&, CommandIo& io) override {
    io.out << "Tresor v" << kVersion << "\n";
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewVersionCommand() { return std::make_unique<VersionCommand>(); }

}  // namespace tresor::cli
