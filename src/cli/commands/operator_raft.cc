// `tresor operator raft join | list-peers | remove-peer | autopilot state`:
// the client side of integrated storage's membership endpoints
// (docs/raft.md). Names, messages and output follow Vault's commands of the
// same names; exit codes follow ApiCommand (2 for usage errors and for
// errors the server returned, as Vault's raft commands exit 2 there).
//
// `operator raft recover` and the snapshot commands live elsewhere.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/operator_raft_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

class OperatorRaftJoinCommand final : public ApiCommand {
 public:
  OperatorRaftJoinCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft join [options] <leader-api-addr>\n\n"
           "  Joins this (new, uninitialized) node to the Raft cluster whose active node\n"
           "  answers at <leader-api-addr>. The node then reports itself initialized and\n"
           "  sealed: unseal it with the cluster's unseal keys to complete the join.\n"
           "  -address names the node that joins, not the leader.\n\n"
           "      $ tresor operator raft join \"https://10.0.0.1:8200\"";
  }

 protected:
  int Run(ApiContext& context) override {
    const std::string& leader = context.args()[0];
    StatusOr<Json> response =
        context.client.Call("POST", "/v1/sys/storage/raft/join", Json{{"leader_api_addr", leader}});
    if (!response.ok()) {
      return ApiFailure(context.io, "joining the node to the Raft cluster", response.status());
    }
    Json data = ResponseData(*response);
    bool joined = data.is_object() && data.value("joined", false);
    if (context.format == "json") {
      context.io.out << FormatJson(Json{{"joined", joined}});
    } else {
      context.io.out << TableOutput({{"Key", "Value"}, {"Joined", joined ? "true" : "false"}});
    }
    return kExitOk;
  }
};

class OperatorRaftListPeersCommand final : public ApiCommand {
 public:
  OperatorRaftListPeersCommand() : ApiCommand(0, 0, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft list-peers [options]\n\n"
           "  Provides the details of all the peers in the Raft cluster: node name,\n"
           "  cluster address, whether it is the leader, and whether it votes.\n"
           "  Requires a token with sudo capability on sys/storage/raft/configuration.\n\n"
           "      $ tresor operator raft list-peers";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("GET", "/v1/sys/storage/raft/configuration");
    if (!response.ok()) {
      return ApiFailure(context.io, "reading the raft cluster configuration", response.status());
    }
    if (context.format == "json") {
      context.io.out << FormatJson(*response);
      return kExitOk;
    }
    std::string table = FormatRaftPeersTable(*response);
    if (table.empty()) {
      context.io.err << "No raft cluster configuration found\n";
      return kExitUsage;
    }
    context.io.out << table;
    return kExitOk;
  }
};

class OperatorRaftRemovePeerCommand final : public ApiCommand {
 public:
  OperatorRaftRemovePeerCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft remove-peer [options] <server_id>\n\n"
           "  Removes a node from the Raft cluster. The active node cannot remove\n"
           "  itself: step it down first. Requires a token with sudo capability on\n"
           "  sys/storage/raft/remove-peer.\n\n"
           "      $ tresor operator raft remove-peer node1";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("POST", "/v1/sys/storage/raft/remove-peer",
                                                  Json{{"server_id", context.args()[0]}});
    if (!response.ok()) {
      return ApiFailure(context.io, "removing the peer from raft cluster", response.status());
    }
    context.io.out << "Peer removed successfully!\n";
    return kExitOk;
  }
};

class OperatorRaftAutopilotStateCommand final : public ApiCommand {
 public:
  OperatorRaftAutopilotStateCommand() : ApiCommand(0, 0, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft autopilot state [options]\n\n"
           "  Displays the state of the raft cluster under integrated storage as seen by\n"
           "  autopilot: its health, how many voters may fail without losing quorum,\n"
           "  the leader, and each server. -format=table prints Vault's \"pretty\"\n"
           "  layout.\n\n"
           "      $ tresor operator raft autopilot state";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("GET", "/v1/sys/storage/raft/autopilot/state");
    if (!response.ok()) {
      return ApiFailure(context.io, "checking autopilot state", response.status());
    }
    Json state = ResponseData(*response);
    if (!state.is_object()) {
      // Vault's client fails the same way on an empty answer.
      return ApiFailure(context.io, "checking autopilot state",
                        InternalError("data from server response is empty"));
    }
    if (context.format == "json") {
      context.io.out << FormatJson(state);
    } else {
      context.io.out << FormatAutopilotState(state);
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorRaftJoinCommand() {
  return std::make_unique<OperatorRaftJoinCommand>();
}
std::unique_ptr<Command> NewOperatorRaftListPeersCommand() {
  return std::make_unique<OperatorRaftListPeersCommand>();
}
std::unique_ptr<Command> NewOperatorRaftRemovePeerCommand() {
  return std::make_unique<OperatorRaftRemovePeerCommand>();
}
std::unique_ptr<Command> NewOperatorRaftAutopilotStateCommand() {
  return std::make_unique<OperatorRaftAutopilotStateCommand>();
}

}  // namespace tresor::cli
