#include "engines/logical.h"

#include "common/cidr.h"

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

bool ClientInCidrs(const Request& request, const std::vector<std::string>& cidrs) {
  if (!AddressInCidrs(request.remote_address, cidrs)) return false;
  return request.forwarded_client_address.empty() ||
         AddressInCidrs(request.forwarded_client_address, cidrs);
}

}  // namespace tresor::logical
