#include "storage/raft/raft_backend.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/random.h"

namespace tresor::storage {
namespace {

StatusOr<unsigned long long> ParseCount(const std::string& name, const std::string& text,
                                        unsigned long long min, unsigned long long max) {
  unsigned long long value = 0;
  std::size_t used = 0;
  try {
    value = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || text[0] == '-' || value < min || value > max) {
    return InvalidArgumentError("storage \"raft\": " + name + " must be a whole number from " +
                                std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

// Vault keeps a generated node id in the data directory so that a restart
// is the same member.
StatusOr<std::string> LoadOrCreateNodeId(const std::string& path) {
  const std::string file = path + "/node-id";
  std::ifstream in(file);
  if (in) {
    std::stringstream text;
    text << in.rdbuf();
    std::string id = text.str();
    while (!id.empty() && (id.back() == '\n' || id.back() == '\r')) id.pop_back();
    if (id.empty()) return CorruptionError(file + " is empty; remove it or set node_id");
    return id;
  }
  std::string uuid = RandomUuid();
  std::ofstream out(file, std::ios::trunc);
  out << uuid << "\n";
  out.close();
  if (!out) return IOError("cannot write " + file);
  return uuid;
}

std::vector<raft::StateOp> ToStateOps(const std::vector<Operation>& ops) {
  std::vector<raft::StateOp> out;
  out.reserve(ops.size());
  for (const Operation& op : ops) {
    out.push_back(op.type == Operation::Type::kPut ? raft::StateOp::Put(op.key, op.value)
                                                   : raft::StateOp::Delete(op.key));
  }
  return out;
}

}  // namespace

StatusOr<RaftBackendOptions> ParseRaftOptions(const std::map<std::string, std::string>& options,
                                              const std::string& cluster_address) {
  RaftBackendOptions out;
  if (!cluster_address.empty()) out.cluster_address = cluster_address;
  for (const auto& [name, value] : options) {
    if (name == "path") {
      out.path = value;
    } else if (name == "node_id") {
      out.node_id = value;
    } else if (name == "performance_multiplier") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 0, 10));
      out.performance_multiplier = n == 0 ? 1 : static_cast<unsigned>(n);
    } else if (name == "max_entry_size") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 1024, std::size_t{64} << 20));
      out.max_entry_size = n;
    } else if (name == "snapshot_threshold") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 2, 100000000));
      out.snapshot_threshold = static_cast<unsigned>(n);
    } else if (name == "trailing_logs") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 0, 100000000));
      out.trailing_logs = static_cast<unsigned>(n);
    } else if (name == "snapshot_threshold_bytes") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 1 << 20, std::size_t{1} << 40));
      out.snapshot_threshold_bytes = n;
    } else if (name == "trailing_logs_bytes") {
      TRESOR_ASSIGN_OR_RETURN(auto n, ParseCount(name, value, 0, std::size_t{1} << 40));
      out.trailing_logs_bytes = n;
    } else {
      return InvalidArgumentError("storage \"raft\": unknown option \"" + name + "\"");
    }
  }
  if (out.path.empty())
    return InvalidArgumentError("storage \"raft\": option \"path\" is required");
  return out;
}

std::uint64_t RaftBackend::RaftIdFor(const std::string& node_id) {
  std::uint64_t id = raft_digest(node_id.data(), 0);
  return id == 0 ? 1 : id;
}

RaftBackend::RaftBackend(std::string node_id, std::string cluster_address,
                         std::unique_ptr<raft::Node> node, unsigned election_ms,
                         std::size_t max_entry_size)
    : node_id_(std::move(node_id)),
      raft_id_(RaftIdFor(node_id_)),
      cluster_address_(std::move(cluster_address)),
      node_(std::move(node)),
      election_ms_(election_ms),
      max_entry_size_(max_entry_size),
      ha_(std::make_unique<RaftHA>(*node_, raft_id_, std::chrono::milliseconds(election_ms))) {}

RaftBackend::~RaftBackend() { Close().IgnoreError(); }

namespace {

struct OpenedNode {
  std::string node_id;
  std::unique_ptr<raft::Node> node;
};

// Opens the raft node of options.path without starting it.
StatusOr<OpenedNode> OpenNode(const RaftBackendOptions& options) {
  raft::NodeOptions node;
  node.dir = options.path;
  node.cluster_address = options.cluster_address;
  node.election_timeout_ms = 500 * options.performance_multiplier;
  node.heartbeat_timeout_ms = 100 * options.performance_multiplier;
  node.snapshot_threshold = options.snapshot_threshold;
  node.trailing_logs = options.trailing_logs;
  node.snapshot_threshold_bytes = options.snapshot_threshold_bytes;
  node.trailing_logs_bytes = options.trailing_logs_bytes;
  node.max_entry_size = options.max_entry_size;
  // The node directory must exist before the id file is written in it.
  std::error_code ec;
  std::filesystem::create_directories(options.path, ec);
  if (ec) return IOError("cannot create " + options.path + ": " + ec.message());
  OpenedNode opened;
  opened.node_id = options.node_id;
  if (opened.node_id.empty()) {
    TRESOR_ASSIGN_OR_RETURN(opened.node_id, LoadOrCreateNodeId(options.path));
  }
  node.id = RaftBackend::RaftIdFor(opened.node_id);
  TRESOR_ASSIGN_OR_RETURN(opened.node, raft::Node::Open(std::move(node)));
  return opened;
}

}  // namespace

StatusOr<std::unique_ptr<RaftBackend>> RaftBackend::Open(const RaftBackendOptions& options) {
  TRESOR_ASSIGN_OR_RETURN(OpenedNode opened, OpenNode(options));
  if (!opened.node->IsPristine()) TRESOR_RETURN_IF_ERROR(opened.node->Start());
  return std::unique_ptr<RaftBackend>(
      new RaftBackend(std::move(opened.node_id), options.cluster_address, std::move(opened.node),
                      500 * options.performance_multiplier, options.max_entry_size));
}

StatusOr<std::string> RaftBackend::Recover(const RaftBackendOptions& options,
                                           const std::map<std::string, std::string>& other_voters) {
  std::error_code ec;
  if (!std::filesystem::exists(options.path + "/raft/metadata1", ec) &&
      !std::filesystem::exists(options.path + "/raft/metadata2", ec)) {
    return FailedPreconditionError("raft recover: " + options.path +
                                   " holds no raft state (is this the node's storage path?)");
  }
  TRESOR_ASSIGN_OR_RETURN(OpenedNode opened, OpenNode(options));
  std::vector<raft::ServerInfo> servers{{RaftIdFor(opened.node_id), options.cluster_address, true}};
  for (const auto& [node_id, address] : other_voters) {
    if (node_id == opened.node_id) {
      return InvalidArgumentError("raft recover: " + node_id +
                                  " is this node; list only the other voters");
    }
    servers.push_back({RaftIdFor(node_id), address, true});
  }
  Status recovered = opened.node->Recover(servers);
  opened.node->Close();
  if (!recovered.ok()) return recovered;
  return opened.node_id;
}

StatusOr<std::optional<std::string>> RaftBackend::Get(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return node_->state().Get(key);
}

StatusOr<std::vector<std::string>> RaftBackend::ListPage(std::string_view prefix,
                                                         std::string_view after,
                                                         std::size_t limit) {
  TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
  return node_->state().ListPage(prefix, after, limit);
}

Status RaftBackend::Put(std::string_view key, std::string_view value) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return Write({raft::StateOp::Put(std::string(key), std::string(value))});
}

Status RaftBackend::Delete(std::string_view key) {
  TRESOR_RETURN_IF_ERROR(ValidateKey(key));
  return Write({raft::StateOp::Delete(std::string(key))});
}

Status RaftBackend::Batch(const std::vector<Operation>& ops) {
  for (const Operation& op : ops) TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
  if (ops.empty()) return Status::Ok();
  return Write(ToStateOps(ops));
}

Status RaftBackend::Write(const std::vector<raft::StateOp>& ops) {
  if (node_->IsPristine()) {
    std::lock_guard lock(bootstrap_mutex_);
    if (node_->IsPristine()) TRESOR_RETURN_IF_ERROR(node_->Bootstrap());
  }
  Status applied = node_->Apply(ops);
  if (applied.code() == StatusCode::kFailedPrecondition) {
    // Just after a restart the node is still electing itself; a node that
    // does not lead within a few election timeouts is a standby.
    if (node_->WaitUntilLeader(std::chrono::milliseconds(4 * election_ms_))) {
      applied = node_->Apply(ops);
    }
  }
  if (applied.code() == StatusCode::kFailedPrecondition) {
    // Not a fault of the request (a 400 would say so): leadership moved
    // while it was on its way, and a retry reaches the new active node.
    return UnavailableError("this node is not the raft leader (any more): the write was not "
                            "applied; retry it");
  }
  return applied;
}

Status RaftBackend::Close() {
  node_->Close();
  return Status::Ok();
}

}  // namespace tresor::storage
