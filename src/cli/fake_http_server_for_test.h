// A tiny HTTP/1.1 server for the Beast client's unit tests (not used by the
// product, nor by the command tests, which use the in-process
// FakeServerForTest): serves a fixed number of requests on 127.0.0.1, one
// per connection, on its own thread, answering each with what the test's
// handler returns and recording what it received. No sleeps: tests call
// Wait() (which joins the thread) before looking at the recorded requests.
// Boost.Beast stays in fake_http_server_for_test.cc.
//
// Thread safety: construct, run the client, then Wait() — from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/http_exchange_for_test.h"

namespace tresor::cli {

class FakeHttpServerForTest {
 public:
  using Handler = FakeHandler;

  // Listens on an ephemeral port and starts serving `expected_requests`.
  FakeHttpServerForTest(int expected_requests, Handler handler);
  ~FakeHttpServerForTest();

  uint16_t port() const;
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port()); }

  // Joins the server thread (it ends after the expected requests, or after
  // 20 s without a connection) and returns what it received.
  const std::vector<RecordedRequest>& Wait();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tresor::cli
