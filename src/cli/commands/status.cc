// `tresor status`: the seal status and HA state. Its exit code is the
// scripting interface: 0 unsealed, 2 sealed, 1 error (Vault's convention).
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

class StatusCommand final : public ApiCommand {
 public:
  // Usage errors exit 1 here: 2 means "sealed" to scripts.
  StatusCommand() : ApiCommand(Shape{.usage_exit = kExitError}) {}

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

  std::string ClientErrorDoing() const override { return "checking seal status"; }

  int Run(ApiContext& context) override {
    CommandIo& io = context.io;
    StatusOr<Json> seal_status = context.client.Call("GET", "/v1/sys/seal-status");
    if (!seal_status.ok()) {
      PrintError(io, "checking seal status", seal_status.status());
      return kExitError;
    }
    Json leader = FetchLeader(context.client);
    if (context.format == "json") {
      io.out << FormatJson(SealStatusJson(*seal_status, leader));
    } else {
      io.out << FormatSealStatusTable(*seal_status, leader);
    }
    bool sealed = seal_status->is_object() && seal_status->value("sealed", true);
    return sealed ? kExitUsage : kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewStatusCommand() { return std::make_unique<StatusCommand>(); }

}  // namespace tresor::cli
