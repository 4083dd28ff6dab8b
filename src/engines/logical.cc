#include "engines/logical.h"

namespace tresor::logical {

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kRead: return "read";
    case Operation::kList: return "list";
    case Operation::kCreate: return "create";
    case Operation::kUpdate: return "update";
    case Operation::kPatch: return "patch";
    case Operation::kDelete: return "delete";
  }
  return "unknown";
}

}  // namespace tresor::logical
