// storage "postgresql": not written yet (issue 18). Until it is, opening it
// is refused with a message that says so.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace tresor::storage {

StatusOr<std::unique_ptr<Backend>> OpenPostgreSQLBackend(
    const std::map<std::string, std::string>& options);

}  // namespace tresor::storage
