// storage::Snapshotter: the optional capability of a backend to give an
// atomic, streaming point-in-time copy of all it holds, and to replace all
// it holds in one step. Snapshot archives (snapshot/) are made from a View
// and installed through a Restore; core's sys/storage/raft/snapshot
// endpoints are its callers. A backend offers it through
// Backend::AsSnapshotter().
//
// Records are the physical keys and values, exactly as stored (barrier
// ciphertext above the barrier's own keys): a copy never decrypts anything.
//
// Threads: OpenView and BeginRestore may be called from any thread; a View
// or a Restore belongs to the caller's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::storage {

using RecordVisitor = std::function<Status(std::string_view key, std::string_view value)>;

class Snapshotter {
 public:
  virtual ~Snapshotter() = default;

  // One point in time of the backend, held until destroyed.
  class View {
   public:
    virtual ~View() = default;
    // Where the copy stands in the backend's history (raft: the applied
    // index and the term of the node when the view opened); 0 when the
    // backend has no such history.
    virtual std::uint64_t index() const = 0;
    virtual std::uint64_t term() const = 0;
    // Every record, keys in increasing byte order; the same records at each
    // call. A visitor error stops the walk and is returned.
    virtual Status ForEach(const RecordVisitor& visit) const = 0;
  };
  virtual StatusOr<std::unique_ptr<View>> OpenView() = 0;

  // A whole-state replacement in progress. Records are added in any number
  // of calls and become visible all at once at Commit, or never. Destroying
  // a Restore that was not committed abandons it (nothing changes).
  class Restore {
   public:
    virtual ~Restore() = default;
    // InvalidArgument for a key the backend cannot hold; TooLarge for a
    // record over the backend's entry size. After an error, only Abort.
    virtual Status Add(std::string_view key, std::string_view value) = 0;
    // Applies one replication log entry (storage/replication_log.h) to the
    // records added so far: its puts and deletes, in order, as if they had
    // been written after them. InvalidArgument for an entry that is not
    // puts and deletes of valid keys (nothing of it applied).
    virtual Status Replay(std::string_view entry) = 0;
    // Replaces every key outside kept_prefixes with the added records
    // (added records under kept_prefixes are dropped), atomically for
    // readers and crashes.
    virtual Status Commit(const std::vector<std::string>& kept_prefixes) = 0;
    virtual Status Abort() = 0;
  };
  // FailedPrecondition when this node cannot write (a raft standby).
  virtual StatusOr<std::unique_ptr<Restore>> BeginRestore() = 0;

  // Counts whole-state replacements seen by this node (a committed restore,
  // a raft snapshot installed): when it changes, every cache of the old
  // state is stale.
  virtual std::uint64_t ReplacedCount() const = 0;
};

}  // namespace tresor::storage
