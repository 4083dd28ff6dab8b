// Lets a worker thread run one asynchronous socket operation on a
// connection's strand and block until it completes: how a handler's
// streaming body (core::Response::body_stream) and a raw request body
// (core::Request::raw_body) move between the worker, which may block on
// disk, and the I/O thread, which owns the socket and must never block.
// One operation in flight per connection is what keeps memory bounded.
//
// Used by connection.cc, one StrandCall per connection. Server::Shutdown
// (through ConnectionRegistry::AbortBlockedWorkers) calls Abort once the
// I/O threads have stopped, so a worker never waits for a strand that will
// not run again and the worker pool can be joined.
//
// Thread safety: Run is called by one worker thread at a time (a
// connection has at most one request in a worker); Abort from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <utility>

namespace tresor::http {

class StrandCall {
 public:
  using ErrorCode = boost::system::error_code;

  // Posts `start(done)` to `strand` and blocks until the operation calls
  // `done(error_code)`. `start` must eventually call `done` exactly once
  // (from the strand), and must keep alive whatever the operation needs
  // (the connection, typically by capturing a shared_ptr). Returns the
  // operation's error code, or operation_aborted at once, without posting,
  // after Abort, and as soon as Abort is called while waiting.
  template <class Start>
  ErrorCode Run(const boost::asio::any_io_executor& strand, Start start) {
    Begin(strand, std::move(start));
    return Wait();
  }

  // Run in two halves, so that the worker can do something else while the
  // operation runs (read the next piece of a body ahead). One operation at a
  // time: every Begin is followed by its Wait before the next Begin or Run.
  template <class Start>
  void Begin(const boost::asio::any_io_executor& strand, Start start) {
    std::uint64_t generation = 0;
    {
      std::lock_guard lock(mu_);
      if (aborted_) return;
      generation = ++generation_;
      result_.reset();
    }
    boost::asio::post(strand, [this, generation, start = std::move(start)]() mutable {
      start([this, generation](ErrorCode ec) { Complete(generation, ec); });
    });
  }
  ErrorCode Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return result_.has_value() || aborted_; });
    if (aborted_) return boost::asio::error::operation_aborted;
    return *result_;
  }

  // Makes the waiting Run (if any) and every later one return
  // operation_aborted. For use when the strand will never run again.
  void Abort() {
    std::lock_guard lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }

 private:
  void Complete(std::uint64_t generation, ErrorCode ec) {
    std::lock_guard lock(mu_);
    // A stale completion (its Run was aborted) must not answer a later Run.
    if (generation != generation_) return;
    result_ = ec;
    cv_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;     // guarded by mu_
  std::optional<ErrorCode> result_;  // guarded by mu_
  bool aborted_ = false;             // guarded by mu_
};

}  // namespace tresor::http
