// `tresor status`: the seal status and HA state. Its exit code is the
// scripting interface: 0 unsealed, 2 sealed, 1 error (Vault's convention).
#include "cli/commands/builtin.h"
#include "cli/commands/common.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

class StatusCommand final : public Command {
 public:
  std::string Help() const override {
    return "Usage: tresor status [options]\n\n"
           "  Prints the current state of the server: whether it is initialized and\n"
           "  sealed, the unseal progress, and whether HA mode is enabled. It works\n"
           "  whether or not the server is sealed and needs no token.\n\n"
           "  The exit code reflects the seal status:\n\n"
           "      - 0 - unsealed\n"
           "      - 1 - error\n"
           "      - 2 - sealed";
  }

  void DefineFlags(FlagSet& flags) override { AddServerCommandFlags(flags, &common_); }

  int Execute(const FlagSet& flags, CommandIo& io) override {
    // Usage errors exit 1 here: 2 means "sealed" to scripts.
    if (!CheckArgCount(flags, io, 0, 0)) return kExitError;
    StatusOr<std::string> format = ResolveFormat(flags, common_.format);
    if (!format.ok()) {
      io.err << format.status().message() << "\n";
      return kExitError;
    }
    auto client = NewClientFromFlags(flags, common_.client);
    if (!client.ok()) {
      PrintError(io, "checking seal status", client.status());
      return kExitError;
    }
    StatusOr<Json> seal_status = (*client)->Call("GET", "/v1/sys/seal-status");
    if (!seal_status.ok()) {
      PrintError(io, "checking seal status", seal_status.status());
      return kExitError;
    }
    Json leader = FetchLeader(**client);
    if (*format == "json") {
      io.out << FormatJson(SealStatusJson(*seal_status, leader));
    } else {
      io.out << FormatSealStatusTable(*seal_status, leader);
    }
    bool sealed = seal_status->is_object() && seal_status->value("sealed", true);
    return sealed ? kExitUsage : kExitOk;
  }

 private:
  ServerCommandFlags common_;
};

}  // namespace

std::unique_ptr<Command> NewStatusCommand() { return std::make_unique<StatusCommand>(); }

}  // namespace tresor::cli
