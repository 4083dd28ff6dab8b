// Fuzz target: the HTTP request parser, as a connection runs it on the bytes
// a client sends: Beast's request parser with the connection's header limit
// (http/connection_internal.h), then ParseApiRequest (http/request_parser.h)
// on what it read, then the error response BuildHttpResponse writes for a
// refusal. Invariants: no crash, no sanitizer report, no exception; a
// refusal is NotFound, UnsupportedOperation or InvalidArgument and answers
// 404, 405 or 400 with a body of Vault's shape {"errors": ["..."]}; an
// accepted request has a path without a NUL byte and a body that is null or
// a JSON object, and its path is the one ApiPathOfTarget gives.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/check.h"
#include "http/request_parser.h"
#include "http/response_writer.h"

namespace {

namespace beast_http = boost::beast::http;
using tresor::StatusCode;

// http/connection_internal.h's kMaxHeaderBytes; the body cap is smaller than
// a server's max_request_size only to keep the fuzzer's inputs small.
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::uint64_t kMaxBodyBytes = 1 << 20;

void CheckErrorResponse(const tresor::Status& status) {
  tresor::http::HttpResponse response =
      tresor::http::BuildHttpResponse(tresor::StatusOr<tresor::core::Response>(status), {});
  const int code = static_cast<int>(response.result_int());
  TRESOR_CHECK(code == 400 || code == 404 || code == 405);
  nlohmann::json body = nlohmann::json::parse(response.body(), nullptr, /*allow_exceptions=*/false);
  TRESOR_CHECK(body.is_object() && body.size() == 1 && body.contains("errors"));
  TRESOR_CHECK(body["errors"].is_array());
  for (const auto& error : body["errors"]) TRESOR_CHECK(error.is_string());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  beast_http::request_parser<beast_http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(kMaxBodyBytes);
  parser.eager(true);
  boost::beast::error_code ec;
  std::size_t offset = 0;
  while (!parser.is_done() && offset < size) {
    std::size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    offset += used;
    if (ec == beast_http::error::need_more) {
      ec = {};
      if (used == 0) break;
      continue;
    }
    if (ec) return 0;  // the connection answers 400 and closes
  }
  if (!parser.is_done()) {
    if (!parser.got_some()) return 0;  // the client sent nothing
    parser.put_eof(ec);
    if (ec || !parser.is_done()) return 0;
  }
  const tresor::http::HttpRequest& request = parser.get();

  tresor::StatusOr<tresor::core::Request> parsed =
      tresor::http::ParseApiRequest(request, "192.0.2.7:5555");
  tresor::StatusOr<std::string> path = tresor::http::ApiPathOfTarget(
      tresor::http::ToStdView(request.target()));
  if (!parsed.ok()) {
    const StatusCode code = parsed.status().code();
    TRESOR_CHECK(code == StatusCode::kNotFound || code == StatusCode::kUnsupportedOperation ||
                 code == StatusCode::kInvalidArgument);
    CheckErrorResponse(parsed.status());
    return 0;
  }
  TRESOR_CHECK(parsed->path.find('\0') == std::string::npos);
  TRESOR_CHECK(parsed->data.is_null() || parsed->data.is_object());
  TRESOR_CHECK(path.ok() && *path == parsed->path);
  // The two-step parse a standby runs agrees with the one-step one.
  tresor::StatusOr<tresor::core::Request> head =
      tresor::http::ParseApiRequestHead(request, "192.0.2.7:5555");
  TRESOR_CHECK(head.ok() && head->path == parsed->path && head->data.is_null());
  TRESOR_CHECK(tresor::http::ParseApiRequestBody(request, *head).ok());
  TRESOR_CHECK(head->data == parsed->data);
  return 0;
}
