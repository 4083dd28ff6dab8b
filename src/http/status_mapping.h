// The one place where a tresor::StatusCode becomes an HTTP status code.
//
// Called by response_writer.cc for every error answer, including the ones
// the http/ layer itself produces (oversized body, malformed JSON, unknown
// method). No other file maps codes to HTTP statuses.
//
// Thread safety: a pure function.
#pragma once

#include "common/status.h"

namespace tresor::http {

// Returns the HTTP status for a non-OK code, following Vault: 400 for
// InvalidArgument and FailedPrecondition, 403 PermissionDenied, 404
// NotFound, 405 UnsupportedOperation, 413 TooLarge, 503 Sealed and
// Unavailable, 500 for IOError, Corruption, ResourceExhausted and Internal.
// kOk maps to 200 (callers never pass it for an error).
int HttpStatusForCode(StatusCode code);

}  // namespace tresor::http
