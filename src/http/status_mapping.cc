#include "http/status_mapping.h"

namespace tresor::http {

int HttpStatusForCode(StatusCode code) {
  // No default: -Wswitch (an error under -Werror) catches a new code that
  // has not been given an HTTP status here.
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kFailedPrecondition:
      return 400;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnsupportedOperation:
      return 405;
    case StatusCode::kTooLarge:
      return 413;
    case StatusCode::kSealed:
      return 503;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kIOError:
      return 500;
    case StatusCode::kCorruption:
      return 500;
    case StatusCode::kResourceExhausted:
      return 500;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace tresor::http
