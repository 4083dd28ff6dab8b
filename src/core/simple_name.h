// The names operators give things in paths (a DR secondary's id, a
// snapshot schedule's name): 1..128 of [A-Za-z0-9_.-], so a name is never a
// path of its own. `what` names the field in the message.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::core {

inline Status ValidateSimpleName(std::string_view name, std::string_view what) {
  if (name.empty() || name.size() > 128) {
    return InvalidArgumentError(std::string(what) + " must be 1 to 128 characters");
  }
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) {
      return InvalidArgumentError(std::string(what) +
                                  " may hold only letters, digits, '-', '_' and '.'");
    }
  }
  return Status::Ok();
}

}  // namespace tresor::core
