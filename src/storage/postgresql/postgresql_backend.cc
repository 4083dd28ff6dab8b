#include "storage/postgresql/postgresql_backend.h"

namespace tresor::storage {

StatusOr<std::unique_ptr<Backend>> OpenPostgreSQLBackend(
    const std::map<std::string, std::string>& /*options*/) {
  return UnsupportedOperationError("storage \"postgresql\" is not available in this build yet");
}

}  // namespace tresor::storage
