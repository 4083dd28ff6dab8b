// What the CLI's two test servers share: a request as they recorded it and
// the canned answer a test's handler gives. FakeServerForTest
// (fake_http_client_for_test.h) serves the command tests in process;
// FakeHttpServerForTest (fake_http_server_for_test.h) serves the Beast
// client's own tests on a socket. Both record the same fields, so a test
// reads a request the same way whichever server it ran against.
//
// Test-only. Thread safety: plain values.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace tresor::cli {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query, as on the request line
  std::string token;   // X-Vault-Token, "" when absent
  bool has_token = false;
  std::string content_type;
  std::string body;
  // Every header by its name in lower case ("x-vault-request").
  std::map<std::string, std::string> headers;

  // Records header `name`: in `headers`, and in token / has_token /
  // content_type when it is one of those.
  void AddHeader(std::string_view name, std::string value);
  // The value of header `name` (any case), "" when absent.
  std::string Header(std::string_view name) const;
};

struct CannedResponse {
  CannedResponse(int status_code, std::string json_body, std::string location_header = "")
      : status(status_code), body(std::move(json_body)), location(std::move(location_header)) {}
  int status;
  std::string body;
  std::string location;  // sent as Location when not empty
};

// A test's server: the answer to each request.
using FakeHandler = std::function<CannedResponse(const RecordedRequest&)>;

}  // namespace tresor::cli
