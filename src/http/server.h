// http::Server: Tresor's HTTP front door. It owns the listeners, the I/O
// threads that run every socket, and the worker pool on which requests are
// parsed and answered by the core::RequestHandler.
//
// Called by server/ (the composition root) and by tests:
//   http::Server server(handler, /*io_threads=*/2);
//   TRESOR_RETURN_IF_ERROR(server.AddListener(options));
//   server.Start();
//   ...
//   server.Shutdown(std::chrono::seconds(10));
//
// Threads: `io_threads` threads run the Asio io_context (accepting, TLS,
// reading, writing; they never block). RequestHandler::Handle, which may
// block on disk or consensus, runs on a separate pool of `worker_threads`
// threads; a request waiting for a free worker holds no I/O thread.
// AddListener, BoundAddress, Start and Shutdown are meant to be called from
// one controlling thread; Shutdown may be called from any thread, once.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "core/request.h"
#include "http/connection_registry.h"
#include "http/listener_options.h"

namespace tresor::http {

class Listener;

class Server {
 public:
  static constexpr std::size_t kDefaultWorkerThreads = 64;

  // `handler` must outlive the server. io_threads and worker_threads of 0
  // are taken as 1.
  Server(core::RequestHandler& handler, std::size_t io_threads,
         std::size_t worker_threads = kDefaultWorkerThreads);
  // Shuts down with no drain time if Shutdown was not called.
  ~Server();

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds a listener now (accepting starts with Start, or at once if the
  // server is already started). Returns InvalidArgument for a malformed
  // address, a bad tls_min_version, or a missing/invalid certificate or key
  // (naming the file); IOError naming the address when it cannot be bound;
  // FailedPrecondition after Shutdown.
  Status AddListener(const ListenerOptions& options);

  std::size_t ListenerCount() const;
  // "host:port" that listener `index` (in AddListener order) is bound to.
  // REQUIRES: index < ListenerCount().
  std::string BoundAddress(std::size_t index) const;

  // Starts the I/O threads and accepting on every listener. Calling it again
  // does nothing.
  void Start();

  // Stops accepting, closes idle keep-alive connections and connections
  // still reading a request, lets requests being handled finish and their
  // responses be written (with Connection: close) until `drain_deadline`,
  // then stops the I/O threads and joins all threads. Connections still open
  // at the deadline are dropped. Joining the worker pool waits for handlers
  // already running (they cannot be interrupted); queued ones are dropped.
  // All listening sockets are closed when it returns. Later calls do nothing.
  void Shutdown(std::chrono::milliseconds drain_deadline);

  // Open connections right now.
  std::size_t ConnectionCountForTest() const { return registry_.size(); }

 private:
  core::RequestHandler& handler_;
  const std::size_t io_thread_count_;

  // Declared before the io_context so it outlives every connection,
  // including those destroyed when the io_context is.
  ConnectionRegistry registry_;
  boost::asio::io_context io_context_;
  // Destroyed (stopped and joined) before the io_context: queued work holds
  // connections, whose sockets belong to the io_context.
  boost::asio::thread_pool workers_;

  mutable std::mutex mu_;  // guards the fields below
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
      work_guard_;
  bool started_ = false;
  bool shut_down_ = false;
  // The I/O threads, each running io_context_.run() until Shutdown.
  std::vector<std::thread> io_threads_;
};

}  // namespace tresor::http
