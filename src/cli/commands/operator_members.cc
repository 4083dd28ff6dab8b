// `tresor operator members`: the nodes of the HA cluster as the active node
// sees them (GET sys/ha-status), in Vault's members table. Exit codes follow
// ApiCommand: 2 for usage errors and for errors the server returned, as
// Vault's command does.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/operator_raft_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

class OperatorMembersCommand final : public ApiCommand {
 public:
  OperatorMembersCommand() : ApiCommand(0, 0, false) {}

  std::string Help() const override {
    return "Usage: tresor operator members [options]\n\n"
           "  Lists the nodes of the HA cluster: host name, API and cluster addresses,\n"
           "  which one is the active node, and their versions.\n\n"
           "      $ tresor operator members";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("GET", "/v1/sys/ha-status");
    if (!response.ok()) {
      return ApiFailure(context.io, "retrieving HA status", response.status());
    }
    Json data = ResponseData(*response);
    Json nodes = data.is_object() ? data.value("nodes", Json::array()) : Json::array();
    if (!nodes.is_array()) nodes = Json::array();
    if (context.format == "json") {
      // Vault prints its HAStatusResponse struct, whose one member is "Nodes".
      context.io.out << FormatJson(Json{{"Nodes", nodes}});
      return kExitOk;
    }
    context.io.out << FormatHaMembersTable(nodes);
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorMembersCommand() {
  return std::make_unique<OperatorMembersCommand>();
}

}  // namespace tresor::cli
