// Message digests by name, through OpenSSL's EVP: what sys/tools/hash
// offers (SHA-2 and SHA-3 families).
//
// Threads: stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

// The raw digest of `data` with the OpenSSL digest `name` ("SHA256",
// "SHA3-512", "SHA512-256", ...). InvalidArgument for an unknown name.
StatusOr<std::string> DigestByName(std::string_view name, std::string_view data);

}  // namespace tresor
