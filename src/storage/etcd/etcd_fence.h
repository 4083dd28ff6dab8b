// storage::EtcdFence: what EtcdBackend's writes must check so that a node
// that lost the active lock cannot write after another took it. Shared by
// EtcdBackend (reads it before every write) and EtcdHA (sets it).
//
//   kNone     no tenure of this process is alive: writes go unconditioned.
//             A standby writes when it is unsealed, so its writes cannot be
//             refused; core destroys a tenure only after it stopped serving
//             as the active node.
//             (etcd compares one key, or every key of a range, per
//             condition; "the lock prefix is empty" would also refuse the
//             writes of a node that never contends, e.g. one still sealed
//             being initialised, so it is not used.)
//   kHeld     writes are a txn that compares our lock key's create_revision
//             with the tenure's epoch: once the lease is gone, so is the
//             key, and etcd refuses the write, however late the node learns.
//   kDeposed  the tenure was lost or released but its HALock still exists
//             (core is still winding down the active node): writes are
//             refused here. Destroying the lock returns to kNone.
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
    if (view_.state == State::kHeld && view_.key == key) view_.state = State::kDeposed;
  }
  // The tenure named by key is gone for good (its lock was destroyed).
  void Clear(const std::string& key) {
    std::lock_guard lock(mu_);
    if (view_.state != State::kNone && view_.key == key) view_ = View{};
  }

 private:
  mutable std::mutex mu_;
  View view_;
};

}  // namespace tresor::storage
