#include "server/recover_command.h"

#include <map>
#include <string>
#include <vector>

#include "server/config.h"
#include "server/server.h"
#include "storage/raft/raft_backend.h"

namespace tresor::server {
namespace {

class RaftRecoverCommand final : public command::Command {
 public:
  std::string Help() const override {
    return R"(Usage: tresor operator raft recover -config=FILE [-peer=NODE_ID=HOST:PORT ...]

  Recovers a raft cluster that lost its quorum (a majority of its voters is
  gone for good). Run it on a STOPPED server, the surviving node with the
  most recent data: it rewrites the cluster configuration so that this node,
  plus each -peer given, are the only voters. Start the server afterwards and
  unseal it; it elects itself and serves. Wipe the other survivors and join
  them again (docs/raft-recovery.md is the runbook).

Exit codes: 0 recovered, 1 failed (nothing changed), 2 usage error.)";
  }

  void DefineFlags(command::FlagSet& flags) override {
    flags.String("config", &config_file_, "", "The server's configuration file (required).");
    flags.StringList("peer", &peer_flags_, false,
                     "Another voter to keep, as NODE_ID=HOST:PORT (its node id and cluster "
                     "address); repeatable. Each one must get a copy of this node's data "
                     "directory.");
  }

  int Execute(const command::FlagSet& flags, command::CommandIo& io) override {
    if (!flags.Args().empty()) {
      return UsageError(flags, io, "unexpected argument \"" + flags.Args()[0] + "\"");
    }
    std::map<std::string, std::string> peers;
    for (const std::string& peer : peer_flags_) {
      std::size_t eq = peer.find('=');
      if (eq == 0 || eq == std::string::npos || eq + 1 == peer.size()) {
        return UsageError(flags, io, "-peer wants NODE_ID=HOST:PORT, got \"" + peer + "\"");
      }
      auto [it, fresh] = peers.emplace(peer.substr(0, eq), peer.substr(eq + 1));
      if (!fresh) return UsageError(flags, io, "-peer " + it->first + " is given twice");
    }
    if (config_file_.empty()) return UsageError(flags, io, "-config=FILE is required");
    return Recover(peers, io);
  }

 private:
  int Recover(const std::map<std::string, std::string>& peers, command::CommandIo& io) const {
    StatusOr<ServerConfig> config = LoadConfigFile(config_file_);
    if (!config.ok()) {
      io.err << "Error loading configuration: " << config.status().message() << "\n";
      return command::kExitError;
    }
    if (!config->storage.has_value() || config->storage->type != "raft") {
      io.err << "Error: " << config_file_
             << " does not use storage \"raft\"; only raft nodes are recovered\n";
      return command::kExitError;
    }
    StatusOr<storage::RaftBackendOptions> options =
        storage::ParseRaftOptions(config->storage->options, ClusterAddressFor(*config));
    if (!options.ok()) {
      io.err << "Error: " << options.status().message() << "\n";
      return command::kExitError;
    }
    StatusOr<std::string> node_id = storage::RaftBackend::Recover(*options, peers);
    if (!node_id.ok()) {
      io.err << "Error recovering: " << node_id.status().message() << "\n";
      if (node_id.status().code() == StatusCode::kIOError) {
        io.err << "Is the server still running? Stop it first.\n";
      }
      return command::kExitError;
    }
    io.out << "Success! The raft configuration of " << options->path << " now has "
           << peers.size() + 1 << " voter(s): this node (" << *node_id << " at "
           << options->cluster_address << ")" << (peers.empty() ? "" : " and the -peer nodes")
           << ".\nStart the server and unseal it; it elects itself leader once a majority of "
              "these voters runs.\n";
    return command::kExitOk;
  }

  std::string config_file_;
  std::vector<std::string> peer_flags_;
};

}  // namespace

std::unique_ptr<command::Command> NewRaftRecoverCommand() {
  return std::make_unique<RaftRecoverCommand>();
}

}  // namespace tresor::server
