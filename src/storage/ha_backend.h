// storage::HABackend: high availability as a storage capability
// (Backend::AsHA()), after Vault's physical.HABackend. A named lock that at
// most one node holds at a time: it tells its holder the moment the lock is
// lost, and lets any node ask who holds it. core::Ha is the only caller; the
// holder of core's active lock is the active node.
//
// A tenure (one holding, from Acquire's return until it is lost or
// released) is named by (holder_id, epoch), and no pair is ever reused, so
// a record written by an earlier tenure can be told from the current one's.
//
//   raft   leadership is the lock (storage/raft/raft_ha.h): every voter
//          contends, asked or not. holder_id = the leader's raft id in
//          decimal, epoch = its term. Fences writes: Apply fails off the
//          leader.
//
// Threads: every method is safe from any thread. on_lost runs on a backend
// thread (raft: the raft thread), so it must only note the loss and wake a
// waiter: it must not block or call back into the backend.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::storage {

// Who holds a lock, as the backend last knew.
struct HAHolder {
  std::string holder_id;   // == HALock::holder_id() of the holding tenure
  std::uint64_t epoch = 0;
};

// One tenure. Destroying it gives up what the backend holds on this node's
// behalf (a lock row or key); raft's leadership simply stays until raft
// moves it.
class HALock {
 public:
  virtual ~HALock() = default;
  virtual const std::string& holder_id() const = 0;
  virtual std::uint64_t epoch() const = 0;
  // Lock-free. True from Acquire's return until the tenure is lost or
  // released. Late by at most HABackend::lost_detection(): good enough to
  // route a request; a read served as the holder needs ConfirmHeld.
  virtual bool Held() const = 0;
  // Before a read is served as the holder: Ok only if no other tenure can
  // have begun (raft: the leader's read lease, renewed by a barrier when it
  // ran out, and still this term). Unavailable once the tenure is over.
  virtual Status ConfirmHeld() = 0;
  // True: once this tenure is lost, writes through the Backend it came from
  // fail, so none lands after a later tenure's Acquire returned.
  virtual bool fences_writes() const = 0;
  // Step-down: gives the lock up and helps another node take it (raft:
  // hands leadership to the most up-to-date voter and waits until it has
  // moved; InvalidArgument when there is no other voter). Held() is false
  // afterwards when it succeeded; on_lost is not called.
  virtual Status Release() = 0;
};

class HABackend {
 public:
  virtual ~HABackend() = default;
  // Blocks until this node holds `name`, or `stop` is requested
  // (Unavailable), or an error that retrying cannot cure. On return, reads
  // through the data Backend see every write any earlier tenure had
  // acknowledged (raft: a barrier first). on_lost runs once, when the
  // tenure ends other than by Release; Held() is already false by then.
  // node_id names this node to the backend; it is stored in plain text.
  virtual StatusOr<std::unique_ptr<HALock>> Acquire(std::string_view name,
                                                    std::string_view node_id,
                                                    std::function<void()> on_lost,
                                                    std::stop_token stop) = 0;
  // Who holds `name` in the backend's latest view; nullopt when nobody
  // does, or it is not known yet. Cheap enough for every forwarded request.
  virtual StatusOr<std::optional<HAHolder>> Holder(std::string_view name) = 0;
  // How late a holder may learn that it lost the lock (for waits and logs,
  // not for safety).
  virtual std::chrono::milliseconds lost_detection() const = 0;
};

}  // namespace tresor::storage
