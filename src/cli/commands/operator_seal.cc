// `tresor operator seal`: seals the server (needs a root token, or a token
// with sudo on sys/seal). Prints Vault's "Success! Vault is sealed." line.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"

namespace tresor::cli {
namespace {

class OperatorSealCommand final : public ApiCommand {
 public:
  OperatorSealCommand() : ApiCommand(Shape{.format = false}) {}

  std::string Help() const override {
    return "Usage: tresor operator seal [options]\n\n"
           "  Seals the Tresor server. Sealing discards the root key from memory: the\n"
           "  server serves nothing until it is unsealed again with the threshold of\n"
           "  unseal keys. Requires a token with sudo capability on sys/seal.\n\n"
           "      $ tresor operator seal";
  }

  std::string ClientErrorDoing() const override { return "sealing"; }

  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("PUT", "/v1/sys/seal");
    if (!response.ok()) {
      PrintError(context.io, "sealing", response.status());
      return kExitError;
    }
    context.io.out << "Success! Vault is sealed.\n";
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorSealCommand() {
  return std::make_unique<OperatorSealCommand>();
}

}  // namespace tresor::cli
