// The one-time-pad encoding of a generated root token (Vault's
// generate-root flow): the server answers base64(token XOR otp) without
// padding, and only the holder of the OTP can decode it, so the new root
// token never crosses the wire or lands in a log in the clear.
//
// Used by core/generate_root.cc (encode) and the CLI's
// `operator generate-root -decode` (decode). Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

// REQUIRES: token.size() == otp.size() (InvalidArgument otherwise).
StatusOr<std::string> EncodeTokenWithOtp(std::string_view token, std::string_view otp);
// Accepts the encoding with or without base64 padding. InvalidArgument when
// `encoded` is not base64 or its length is not the OTP's.
StatusOr<std::string> DecodeTokenWithOtp(std::string_view encoded, std::string_view otp);

}  // namespace tresor
