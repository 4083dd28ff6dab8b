// HMAC-SHA256 (OpenSSL). Used to salt token IDs before they touch storage.
// Thread-safe, stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/secure_memory.h"

namespace tresor {

// The 32-byte HMAC-SHA256 of data under key.
std::string HmacSha256(const SecureBytes& key, std::string_view data);

}  // namespace tresor
