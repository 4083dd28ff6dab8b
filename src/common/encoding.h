// Hex and base64 (standard alphabet, padded) encoding. Decoders reject any
// malformed input with InvalidArgument rather than guessing.
// Thread-safe, stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

std::string HexEncode(std::string_view bytes);
StatusOr<std::string> HexDecode(std::string_view hex);
std::string Base64Encode(std::string_view bytes);
StatusOr<std::string> Base64Decode(std::string_view text);

}  // namespace tresor
