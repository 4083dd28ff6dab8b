// The command tests' server and client, in process: FakeServerForTest plays
// a Tresor server (a test's handler answers, every request is recorded) and
// FakeHttpClient is the HttpClient the commands get instead of the Beast
// client (CommandTest installs FakeHttpClient::Create with
// SetHttpClientFactoryForTest). No sockets, threads or network library.
//
// The fake puts on its "wire" what the Beast client would: the request line,
// headers and body come from http_wire.h, which the Beast client uses too,
// and an address where no fake server is registered answers with the Beast
// client's "connection refused" error. What it does not do: redirects are
// returned, not followed; TLS settings are not read; Download gives the body
// to the sink in one piece. Those, and timeouts, are the Beast client's and
// are tested against a real socket in http_client_test.cc and
// http_client_transfer_test.cc.
//
// Test-only. Thread safety: one thread (the test's) makes servers and runs
// the commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli/http_client.h"
#include "cli/http_exchange_for_test.h"

namespace tresor::cli {

class FakeServerForTest {
 public:
  using Handler = FakeHandler;

  // Registers a server at a fresh address, "http://127.0.0.1:<port>" with a
  // port no other live fake server has (nothing is bound to it; only
  // FakeHttpClients reach it). It answers its first `expected_requests`
  // requests with `handler`; any further request fails as Unavailable.
  FakeServerForTest(int expected_requests, Handler handler);
  // Unregisters: later requests to the address are refused.
  ~FakeServerForTest();
  FakeServerForTest(const FakeServerForTest&) = delete;
  FakeServerForTest& operator=(const FakeServerForTest&) = delete;

  const std::string& address() const { return address_; }
  // The requests answered so far, in order.
  const std::vector<RecordedRequest>& requests() const { return requests_; }

  // The registered server for `url`'s scheme, host and port, or null.
  static FakeServerForTest* At(const Url& url);
  // Records `request` and answers it; Unavailable (naming the limit) once
  // `expected_requests` have been answered. `error_prefix` starts the
  // error message, as for a network error.
  StatusOr<CannedResponse> Answer(RecordedRequest request, const std::string& error_prefix);

 private:
  std::string address_;
  int expected_;
  Handler handler_;
  std::vector<RecordedRequest> requests_;
};

class FakeHttpClient final : public HttpClient {
 public:
  // As HttpClient::Create: InvalidArgument for a bad address. The server is
  // found at each request, so the client may be made before its server.
  static StatusOr<std::unique_ptr<HttpClient>> Create(ClientOptions options);

  StatusOr<HttpResponse> Send(std::string_view method, std::string_view path,
                              const Json& body) override;
  StatusOr<int> Download(std::string_view path, const std::function<Status(std::string_view)>& sink,
                         HttpResponse* error_response, const TransferProgress& progress) override;
  StatusOr<HttpResponse> Upload(std::string_view method, std::string_view path, int fd,
                                std::uint64_t size, const TransferProgress& progress) override;
  const Url& url() const override { return url_; }
  const ClientOptions& options() const override { return options_; }

 private:
  FakeHttpClient(ClientOptions options, Url url);

  // The request line and the headers every request carries.
  RecordedRequest NewRequest(std::string method, std::string target) const;
  // Hands `request` to the server at url_, or fails as the Beast client
  // does when nothing listens there.
  StatusOr<HttpResponse> Exchange(RecordedRequest request);

  ClientOptions options_;
  Url url_;
};

}  // namespace tresor::cli
