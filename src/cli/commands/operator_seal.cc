// `tresor operator seal`: seals the server (needs a root token, or a token
// with sudo on sys/seal). Prints Vault's "Success! Vault is sealed." line.
#include "cli/commands/builtin.h"
#include "cli/commands/common.h"

namespace tresor::cli {
namespace {

class OperatorSealCommand final : public Command {
 public:
  std::string Help() const override {
    return "Usage: tresor operator seal [options]\n\n"
           "  Seals the Tresor server. Sealing discards the root key from memory: the\n"
           "  server serves nothing until it is unsealed again with the threshold of\n"
           "  unseal keys. Requires a token with sudo capability on sys/seal.\n\n"
           "      $ tresor operator seal";
  }

  void DefineFlags(FlagSet& flags) override { AddClientFlags(flags, &client_flags_); }

  int Execute(const FlagSet& flags, CommandIo& io) override {
    if (!CheckArgCount(flags, io, 0, 0)) return kExitUsage;
    auto client = NewClientFromFlags(flags, client_flags_);
    if (!client.ok()) {
      PrintError(io, "sealing", client.status());
      return kExitError;
    }
    StatusOr<Json> response = (*client)->Call("PUT", "/v1/sys/seal");
    if (!response.ok()) {
      PrintError(io, "sealing", response.status());
      return kExitError;
    }
    io.out << "Success! Vault is sealed.\n";
    return kExitOk;
  }

 private:
  ClientFlags client_flags_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorSealCommand() {
  return std::make_unique<OperatorSealCommand>();
}

}  // namespace tresor::cli
