#include "cli/commands/builtin.h"

namespace tresor::cli {

void RegisterBuiltinCommands(CommandRegistry& registry) {
  registry.RegisterGroup("operator", "Perform operator-specific tasks");
  registry.Register("operator init", "Initializes a server", NewOperatorInitCommand);
  registry.Register("operator unseal", "Unseals the server", NewOperatorUnsealCommand);
  registry.Register("operator seal", "Seals the server", NewOperatorSealCommand);
  registry.Register("operator key-status", "Provides information about the active encryption key",
                    NewOperatorKeyStatusCommand);
  registry.Register("operator rotate", "Rotates the underlying encryption key",
                    NewOperatorRotateCommand);
  // `tresor server` is dispatched by main() before the CLI; listed for help.
  registry.RegisterGroup("server", "Start a Tresor server");
  registry.Register("status", "Print seal and HA status", NewStatusCommand);
  registry.Register("version", "Prints the Tresor version", NewVersionCommand);
}

}  // namespace tresor::cli
