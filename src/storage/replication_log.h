// storage::ReplicationLog: the optional capability of a backend to keep the
// log a DR primary ships to its secondaries, to apply a primary's entries
// as a secondary, and to serve the DR channel (docs/replication.md). Raft
// storage has it (raft/replication_log.h has the log's format and why its
// positions are the same on every cluster); a backend offers it through
// Backend::AsReplicationLog().
//
// A log position is an index and the hash chaining it to all the history
// before it: two clusters at the same position hold the same state.
// Entries are opaque bytes (the state changes of one write, barrier
// ciphertext as stored).
//
// Threads: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/snapshotter.h"

namespace tresor::storage {

struct LogPosition {
  std::uint64_t index = 0;
  std::string hash;  // 32 bytes
  bool operator==(const LogPosition& other) const = default;
};

// Where and when an entry was written: the raft index of this cluster's
// entry and the proposing leader's clock in unix nanoseconds (zeros: not
// known). An entry acknowledged before time T was proposed before T, and
// so was every entry before it (a point-in-time restore stops at the first
// entry proposed after its point).
struct LogStamp {
  std::uint64_t raft_index = 0;
  std::int64_t unix_ns = 0;
};

struct LogHead {
  LogPosition last;   // where the state stands
  LogPosition floor;  // entries (floor, last] are held
  std::uint64_t retain = 0;
};

class ReplicationLog {
 public:
  virtual ~ReplicationLog() = default;

  // Switches the log on (retain > 0: keep that many entries; a log already
  // on keeps its position) or off (0), through the cluster's own
  // replication. Keys under `excluded_prefixes` are never logged: they are
  // each cluster's own. Errors: as a write.
  virtual Status ConfigureLog(std::uint64_t retain,
                              const std::vector<std::string>& excluded_prefixes) = 0;

  // This node's log head; nullopt when the log is off.
  virtual StatusOr<std::optional<LogHead>> Head() = 0;
  // Whether a node standing at `position` can follow this log.
  virtual StatusOr<bool> Holds(const LogPosition& position) = 0;
  // The entries after `after`, in order, about max_bytes of them at most
  // (the first always). NotFound when they are no longer held.
  virtual Status Read(std::uint64_t after, std::size_t max_bytes,
                      const std::function<Status(const LogPosition& position,
                                                 const LogStamp& stamp,
                                                 std::string_view entry)>& visit) = 0;
  // The position of the entry after `previous` holding `entry`: two
  // histories agree on a position only if they agree on all of it.
  virtual std::string ChainHash(std::string_view previous_hash, std::string_view entry) const = 0;
  // Waits until the log moves past `index` or the timeout; true when it did.
  virtual bool WaitPast(std::uint64_t index, std::chrono::milliseconds timeout) = 0;
  // Waits until every write this node has acknowledged is in the log (a
  // write may be answered before its log entry is stored). Errors: the
  // storage can no longer commit.
  virtual Status Settle() = 0;
  // A point-in-time view of the state (every record, as Snapshotter's)
  // and the log position it stands at.
  virtual StatusOr<std::unique_ptr<Snapshotter::View>> OpenPositionedView(
      std::optional<LogPosition>* position) = 0;

  // ---- a secondary ----
  // Applies a primary's entries in order, each of which must continue this
  // log exactly (FailedPrecondition otherwise: that entry and those after
  // it change nothing). InvalidArgument, before anything is applied, for an
  // entry that is not puts and deletes of valid keys. The entries share
  // the log's fsyncs (they are in flight together).
  struct LoggedEntry {
    LogPosition position;
    std::string entry;
  };
  virtual Status AppendAll(const std::vector<LoggedEntry>& entries) = 0;
  // Moves the log to `position` with no entries held (after installing a
  // primary's state at that position).
  virtual Status MoveTo(const LogPosition& position) = 0;

  // Who serves the DR channel on this node (raft::Node::
  // SetReplicationServer); null refuses it.
  virtual void ServeChannel(std::function<void(int fd, std::string peer)> serve) = 0;
};

// The first bytes a DR client sends to another cluster's cluster port to
// ask for the DR channel that ServeChannel serves there (raft's hello with
// the replication magic; storage/raft/raft_replication_log.cc).
std::string ReplicationChannelHello();

}  // namespace tresor::storage
