// A `seal "<type>" { ... }` block of the server config, as server/config.cc
// reads it, and the keys each type takes. docs/seal.md lists them.
//
// Threads: plain values and a constant table.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tresor::seal {

struct SealBlock {
  std::string type;  // "shamir", "transit", "awskms" or "pkcs11"
  std::map<std::string, std::string> options;
  // `disabled = "true"`: the seal a migration moves away from (docs/seal.md,
  // "Seal migration").
  bool disabled = false;
  int line = 0;  // where the block starts in the config file (0 for JSON)
};

// The option keys of `type` (not counting "disabled"); nullptr for a type
// Tresor does not know.
const std::vector<std::string_view>* SealOptionKeys(std::string_view type);

}  // namespace tresor::seal
