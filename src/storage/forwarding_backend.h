// ForwardingBackend: a storage::Backend that passes every call, optional
// capabilities and Close included, to another Backend, in the manner of
// leveldb's EnvWrapper. Derive from it and override only the calls a fake or
// a decorator changes; everything else reaches the wrapped backend as is, and
// a virtual added to Backend later is forwarded here once rather than in every
// fake.
//
// Who uses it: test fakes above storage (barrier, engines) and wrappers such
// as storage/fault/fault_injecting_backend.h.
// Threads: adds no state; as thread-safe as the wrapped backend.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/backend.h"

namespace tresor::storage {

class ForwardingBackend : public Backend {
 public:
  // Forwards to target, which must outlive this object. A subclass may pass
  // the address of its own member: only the pointer is kept here.
  explicit ForwardingBackend(Backend* target) : target_(target) {}

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    return target_->Get(key);
  }
  Status Put(std::string_view key, std::string_view value) override {
    return target_->Put(key, value);
  }
  Status Delete(std::string_view key) override { return target_->Delete(key); }
  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override {
    return target_->ListPage(prefix, after, limit);
  }
  Status Batch(const std::vector<Operation>& ops) override { return target_->Batch(ops); }
  Status Close() override { return target_->Close(); }
  HABackend* AsHA() override { return target_->AsHA(); }
  ClusterMembership* AsClusterMembership() override { return target_->AsClusterMembership(); }
  Snapshotter* AsSnapshotter() override { return target_->AsSnapshotter(); }
  ReplicationLog* AsReplicationLog() override { return target_->AsReplicationLog(); }

  // The wrapped backend.
  Backend* target() const { return target_; }

 private:
  Backend* const target_;
};

}  // namespace tresor::storage
