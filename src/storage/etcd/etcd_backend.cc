#include "storage/etcd/etcd_backend.h"

namespace tresor::storage {

StatusOr<std::unique_ptr<Backend>> OpenEtcdBackend(
    const std::map<std::string, std::string>& /*options*/) {
  return UnsupportedOperationError("storage \"etcd\" is not available in this build yet");
}

}  // namespace tresor::storage
