#include "http/status_mapping.h"

#include <gtest/gtest.h>

namespace tresor::http {
namespace {

TEST(StatusMappingTest, EveryCodeHasVaultsHttpStatus) {
  const std::pair<StatusCode, int> table[] = {
      {StatusCode::kInvalidArgument, 400},
      {StatusCode::kFailedPrecondition, 400},
      {StatusCode::kPermissionDenied, 403},
      {StatusCode::kNotFound, 404},
      {StatusCode::kUnsupportedOperation, 405},
      {StatusCode::kTooLarge, 413},
      {StatusCode::kSealed, 503},
      {StatusCode::kUnavailable, 503},
      {StatusCode::kIOError, 500},
      {StatusCode::kCorruption, 500},
      {StatusCode::kResourceExhausted, 500},
      {StatusCode::kInternal, 500},
      {StatusCode::kOk, 200},
  };
  for (const auto& [code, http_status] : table) {
    EXPECT_EQ(HttpStatusForCode(code), http_status) << StatusCodeName(code);
  }
}

}  // namespace
}  // namespace tresor::http
