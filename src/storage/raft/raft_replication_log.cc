// RaftBackend as a storage::ReplicationLog (contracts in raft_backend.h,
// storage/replication_log.h and raft/replication_log.h).
#include "common/random.h"
#include "raft/command.h"
#include "storage/raft/raft_backend.h"

#include "raft/cluster_handshake.h"

namespace tresor::storage {
namespace {

LogPosition ToLog(const raft::WalPosition& position) {
  return {position.index, position.hash};
}

raft::WalPosition ToWal(const LogPosition& position) {
  return {position.index, position.hash};
}

Status CheckPosition(const LogPosition& position) {
  if (position.hash.size() != raft::kWalHashBytes) {
    return InvalidArgumentError("a replication log position's hash is " +
                                std::to_string(raft::kWalHashBytes) + " bytes");
  }
  return Status::Ok();
}

}  // namespace

Status RaftBackend::ConfigureLog(std::uint64_t retain,
                                 const std::vector<std::string>& excluded_prefixes) {
  std::string joined;
  for (const std::string& prefix : excluded_prefixes) {
    if (!joined.empty()) joined.push_back('\0');
    joined += prefix;
  }
  return Write({raft::WalConfigOp(retain, RandomBytes(raft::kWalHashBytes), joined)});
}

StatusOr<std::optional<LogHead>> RaftBackend::Head() {
  TRESOR_ASSIGN_OR_RETURN(std::optional<raft::WalHead> head, node_->state().ReadWalHead());
  if (!head) return std::optional<LogHead>();
  return std::optional<LogHead>(LogHead{ToLog(head->last), ToLog(head->floor), head->retain});
}

StatusOr<bool> RaftBackend::Holds(const LogPosition& position) {
  TRESOR_RETURN_IF_ERROR(CheckPosition(position));
  return node_->state().WalHolds(ToWal(position));
}

Status RaftBackend::Read(
    std::uint64_t after, std::size_t max_bytes,
    const std::function<Status(const LogPosition&, const LogStamp&, std::string_view)>& visit) {
  return node_->state().ReadWal(
      after, max_bytes,
      [&](const raft::WalPosition& position, const raft::WalStamp& stamp, std::string_view entry) {
        return visit(ToLog(position), LogStamp{stamp.raft_index, stamp.unix_ns}, entry);
      });
}

std::string RaftBackend::ChainHash(std::string_view previous_hash, std::string_view entry) const {
  return raft::WalChainHash(previous_hash, entry);
}

bool RaftBackend::WaitPast(std::uint64_t index, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto head = node_->state().ReadWalHead();
    if (head.ok() && head->has_value() && (*head)->last.index > index) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    // Every log entry comes with a commit of the store.
    node_->state().WaitForCommitPast(
        node_->state().AppliedIndex(),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now));
  }
}

StatusOr<std::vector<raft::StateOp>> DecodeLoggedEntry(std::string_view entry) {
  auto decoded = raft::DecodeCommand(entry);
  if (!decoded.ok()) return InvalidArgumentError("a replication log entry is malformed");
  if (decoded->empty()) return InvalidArgumentError("a replication log entry changes nothing");
  for (const raft::StateOp& op : *decoded) {
    // Only state changes, of keys this storage accepts: never a control op
    // or a restore step from another cluster.
    if (op.type != raft::StateOp::Type::kPut && op.type != raft::StateOp::Type::kDelete) {
      return InvalidArgumentError(
          "a replication log entry holds something other than puts and deletes");
    }
    TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
  }
  return std::move(*decoded);
}

Status RaftBackend::AppendAll(const std::vector<LoggedEntry>& entries) {
  std::vector<std::vector<raft::StateOp>> commands;
  commands.reserve(entries.size());
  for (const LoggedEntry& logged : entries) {
    TRESOR_RETURN_IF_ERROR(CheckPosition(logged.position));
    TRESOR_ASSIGN_OR_RETURN(std::vector<raft::StateOp> ops, DecodeLoggedEntry(logged.entry));
    ops.push_back(raft::WalNextOp(ToWal(logged.position)));
    commands.push_back(std::move(ops));
  }
  // Off the leader, Apply's FailedPrecondition would read as a broken
  // chain (a resync): say Unavailable instead.
  if (!node_->IsLeader()) {
    return UnavailableError("this node is not its cluster's raft leader any more");
  }
  // In flight together, in order: the log groups them into few fsyncs.
  std::vector<std::future<Status>> pending;
  pending.reserve(commands.size());
  for (const auto& ops : commands) pending.push_back(node_->ApplyAsync(ops));
  Status first_error = Status::Ok();
  for (auto& applied : pending) {
    Status status = applied.get();
    if (first_error.ok() && !status.ok()) first_error = status;
  }
  return first_error;
}

Status RaftBackend::MoveTo(const LogPosition& position) {
  TRESOR_RETURN_IF_ERROR(CheckPosition(position));
  return Write({raft::WalNextOp(ToWal(position))});
}

std::string ReplicationChannelHello() { return raft::handshake::ReplicationHello(); }

}  // namespace tresor::storage
