#include "server/recover_command.h"

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "server/config.h"
#include "server/server.h"
#include "storage/raft/raft_backend.h"

namespace tresor::server {
namespace {

constexpr char kRecoverUsage[] = R"(Usage: tresor operator raft recover -config=FILE [-peer=NODE_ID=HOST:PORT ...]

  Recovers a raft cluster that lost its quorum (a majority of its voters is
  gone for good). Run it on a STOPPED server, the surviving node with the
  most recent data: it rewrites the cluster configuration so that this node,
  plus each -peer given, are the only voters. Start the server afterwards and
  unseal it; it elects itself and serves. Wipe the other survivors and join
  them again (docs/raft-recovery.md is the runbook).

Options:
  -config=FILE                   The server's configuration file (required)
  -peer=NODE_ID=HOST:PORT        Another voter to keep (its node id and
                                 cluster address); repeatable. Each one must
                                 get a copy of this node's data directory.
)";

struct RecoverFlags {
  std::string config_file;
  std::map<std::string, std::string> peers;
  bool help = false;
};

StatusOr<RecoverFlags> ParseRecoverFlags(int argc, char** argv) {
  RecoverFlags flags;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) == "--") arg.remove_prefix(1);
    if (arg == "-h" || arg == "-help") {
      flags.help = true;
    } else if (arg.substr(0, 8) == "-config=") {
      flags.config_file = arg.substr(8);
    } else if (arg.substr(0, 6) == "-peer=") {
      std::string_view peer = arg.substr(6);
      std::size_t eq = peer.find('=');
      if (eq == 0 || eq == std::string_view::npos || eq + 1 == peer.size()) {
        return InvalidArgumentError("-peer wants NODE_ID=HOST:PORT, got \"" + std::string(peer) +
                                    "\"");
      }
      auto [it, fresh] = flags.peers.emplace(peer.substr(0, eq), peer.substr(eq + 1));
      if (!fresh) return InvalidArgumentError("-peer " + it->first + " is given twice");
    } else {
      return InvalidArgumentError("unexpected argument \"" + std::string(arg) + "\"");
    }
  }
  if (!flags.help && flags.config_file.empty()) {
    return InvalidArgumentError("-config=FILE is required");
  }
  return flags;
}

}  // namespace

int RunRaftRecoverCommand(int argc, char** argv) {
  StatusOr<RecoverFlags> flags = ParseRecoverFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n\n%s", flags.status().message().c_str(), kRecoverUsage);
    return 2;
  }
  if (flags->help) {
    std::printf("%s", kRecoverUsage);
    return 0;
  }
  StatusOr<ServerConfig> config = LoadConfigFile(flags->config_file);
  if (!config.ok()) {
    std::fprintf(stderr, "Error loading configuration: %s\n", config.status().message().c_str());
    return 1;
  }
  if (!config->storage.has_value() || config->storage->type != "raft") {
    std::fprintf(stderr, "Error: %s does not use storage \"raft\"; only raft nodes are recovered\n",
                 flags->config_file.c_str());
    return 1;
  }
  StatusOr<storage::RaftBackendOptions> options =
      storage::ParseRaftOptions(config->storage->options, ClusterAddressFor(*config));
  if (!options.ok()) {
    std::fprintf(stderr, "Error: %s\n", options.status().message().c_str());
    return 1;
  }
  StatusOr<std::string> node_id = storage::RaftBackend::Recover(*options, flags->peers);
  if (!node_id.ok()) {
    std::fprintf(stderr, "Error recovering: %s\n", node_id.status().message().c_str());
    if (node_id.status().code() == StatusCode::kIOError) {
      std::fprintf(stderr, "Is the server still running? Stop it first.\n");
    }
    return 1;
  }
  std::printf(
      "Success! The raft configuration of %s now has %zu voter(s): this node (%s at %s)%s.\n"
      "Start the server and unseal it; it elects itself leader once a majority of these voters "
      "runs.\n",
      options->path.c_str(), flags->peers.size() + 1, node_id->c_str(),
      options->cluster_address.c_str(), flags->peers.empty() ? "" : " and the -peer nodes");
  return 0;
}

}  // namespace tresor::server
