// Test-only helpers for the streaming tests (streaming_test.cc,
// streaming_tls_test.cc): a handler that streams its answer for GET
// sys/storage/raft/snapshot and takes raw bodies for POST/PUT
// sys/storage/raft/snapshot[-force], answering with their size and SHA-256;
// deterministic test data; SHA-256 in hex.
//
// Thread safety: StreamingHandler's settings are written before the server
// starts and only read afterwards; the Handle counter is atomic.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/sha256.h"
#include "core/request.h"

namespace tresor::http::testing {

inline constexpr std::size_t kMiB = 1024 * 1024;

// `size` bytes that differ from piece to piece and byte to byte.
inline std::string TestPiece(int index, std::size_t size) {
  std::string piece(size, '\0');
  std::uint32_t state = 2166136261u ^ static_cast<std::uint32_t>(index);
  for (char& c : piece) {
    state = state * 1664525u + 1013904223u;
    c = static_cast<char>(state >> 24);
  }
  return piece;
}

class StreamingHandler final : public core::RequestHandler {
 public:
  using Write = std::function<Status(std::string_view)>;

  // The producer for GET sys/storage/raft/snapshot.
  std::function<Status(const Write&)> stream;
  // What ForwardTarget answers (std::nullopt: handle here).
  std::optional<std::string> forward_target;
  bool redirect_only = false;
  // Answer a raw-body request with an error without reading its body.
  bool refuse_raw_body = false;

  int handled() const { return handled_.load(); }

  bool WantsRawBody(std::string_view method, std::string_view path) const override {
    return (method == "POST" || method == "PUT") &&
           (path == "sys/storage/raft/snapshot" || path == "sys/storage/raft/snapshot-force");
  }
  bool RedirectOnly(const core::Request& request) const override { return redirect_only; }
  std::optional<std::string> ForwardTarget(const core::Request&) override { return forward_target; }

  StatusOr<core::Response> Handle(const core::Request& request) override {
    ++handled_;
    if (request.raw_body) {
      if (refuse_raw_body) return FailedPreconditionError("refused before reading the body");
      Sha256 first;
      TRESOR_RETURN_IF_ERROR(request.raw_body->ReadAll([&first](std::string_view piece) {
        first.Update(piece);
        return Status::Ok();
      }));
      const std::uint64_t size = request.raw_body->bytes_read();
      // Read once: a second pass finds nothing.
      Sha256 second;
      TRESOR_RETURN_IF_ERROR(request.raw_body->ReadAll([&second](std::string_view piece) {
        second.Update(piece);
        return Status::Ok();
      }));
      return core::Response::Data({{"raw_size", size},
                                   {"raw_sha256", first.FinishHex()},
                                   {"second_read_sha256", second.FinishHex()},
                                   {"data_is_null", request.data.is_null()},
                                   {"operation", core::OperationName(request.operation)}});
    }
    if (request.path == "sys/storage/raft/snapshot" && stream) {
      core::Response response;
      response.body_stream = stream;
      response.content_type = "application/gzip";
      response.headers["X-Test"] = "yes";
      return response;
    }
    return core::Response::Data({{"path", request.path}});
  }

 private:
  std::atomic<int> handled_{0};
};

}  // namespace tresor::http::testing
