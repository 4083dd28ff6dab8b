// storage::EtcdFence: what EtcdBackend's writes must check so that a node
// that lost the active lock cannot write after another took it. Shared by
// EtcdBackend (reads it before every write) and EtcdHA (sets it).
//
//   kNone     this process has held no tenure: writes go unconditioned.
//             (etcd compares one key, or every key of a range, per
//             condition; "the lock prefix is empty" would also refuse the
//             writes of a node that never contends, e.g. one still sealed
//             being initialised, so it is not used.)
//   kHeld     writes are a txn that compares our lock key's create_revision
//             with the tenure's epoch: once the lease is gone, so is the
//             key, and etcd refuses the write, however late the node learns.
//   kDeposed  the tenure ended (lost, released or given up): writes are
//             refused here, until this node holds a new tenure.
//
// Threads: safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>

namespace tresor::storage {

class EtcdFence {
 public:
  enum class State { kNone, kHeld, kDeposed };
  struct View {
    State state = State::kNone;
    std::string key;            // kHeld: our lock key (full etcd key)
    std::int64_t revision = 0;  // kHeld: its create_revision
  };

  View Get() const {
    std::lock_guard lock(mu_);
    return view_;
  }
  void Hold(std::string key, std::int64_t revision) {
    std::lock_guard lock(mu_);
    view_ = View{State::kHeld, std::move(key), revision};
  }
  // Ends the tenure named by key (a later tenure's fence stays).
  void Depose(const std::string& key) {
    std::lock_guard lock(mu_);
    if (view_.state == State::kHeld && view_.key == key) view_ = View{State::kDeposed, {}, 0};
  }

 private:
  mutable std::mutex mu_;
  View view_;
};

}  // namespace tresor::storage
