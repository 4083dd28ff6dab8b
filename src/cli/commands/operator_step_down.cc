// `tresor operator step-down`: asks the active node to give up leadership
// (PUT sys/step-down; needs sudo). Another node becomes active; the one that
// stepped down stays a standby. Prints Vault's "Success! Stepped down: ADDR"
// naming the address the request went to. Exit codes follow ApiCommand (2
// for usage errors and for errors the server returned, as Vault's does).
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"

namespace tresor::cli {
namespace {

class OperatorStepDownCommand final : public ApiCommand {
 public:
  OperatorStepDownCommand() : ApiCommand(0, 0, false) {}

  std::string Help() const override {
    return "Usage: tresor operator step-down [options]\n\n"
           "  Forces the active node to step down from leadership: a standby becomes\n"
           "  active. A request sent to a standby is forwarded to the active node.\n"
           "  Requires a token with sudo capability on sys/step-down.\n\n"
           "      $ tresor operator step-down";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("PUT", "/v1/sys/step-down");
    if (!response.ok()) return ApiFailure(context.io, "stepping down", response.status());
    context.io.out << "Success! Stepped down: " << context.client.url().Format("") << "\n";
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorStepDownCommand() {
  return std::make_unique<OperatorStepDownCommand>();
}

}  // namespace tresor::cli
