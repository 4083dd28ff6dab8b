// storage::DataWithHA: the data of one backend with the HA lock of another,
// for the `ha_storage` stanza (e.g. storage "file" with ha_storage "etcd";
// docs/ha.md). Reads and writes go to the data backend; AsHA() is the
// other's. Nothing fences the data backend's writes then, as in Vault:
// core relies on the lock's Held(), ConfirmHeld() and on_lost alone.
// Threads: as the two backends.
#pragma once

#include <memory>

#include "storage/forwarding_backend.h"

namespace tresor::storage {

class DataWithHA : public ForwardingBackend {
 public:
  DataWithHA(std::unique_ptr<Backend> data, std::unique_ptr<Backend> ha)
      : ForwardingBackend(data.get()), data_(std::move(data)), ha_(std::move(ha)) {}

  HABackend* AsHA() override { return ha_->AsHA(); }
  // The lock first, so that no tenure outlives the data it guards.
  Status Close() override {
    Status ha_closed = ha_->Close();
    Status data_closed = data_->Close();
    return ha_closed.ok() ? data_closed : ha_closed;
  }

 private:
  const std::unique_ptr<Backend> data_;
  const std::unique_ptr<Backend> ha_;  // destroyed first
};

}  // namespace tresor::storage
