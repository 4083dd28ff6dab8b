#include "http/server.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/listener.h"

namespace tresor::http {

Server::Server(core::RequestHandler& handler, std::size_t io_threads, std::size_t worker_threads)
    : handler_(handler),
      io_thread_count_(std::max<std::size_t>(io_threads, 1)),
      io_context_(static_cast<int>(io_thread_count_)),
      workers_(std::max<std::size_t>(worker_threads, 1)) {}

Server::~Server() { Shutdown(std::chrono::milliseconds(0)); }

Status Server::AddListener(const ListenerOptions& options) {
  std::lock_guard lock(mu_);
  if (shut_down_) return FailedPreconditionError("the HTTP server is shut down");
  ConnectionEnvironment env;
  env.handler = &handler_;
  env.workers = &workers_;
  env.registry = &registry_;
  TRESOR_ASSIGN_OR_RETURN(auto listener, Listener::Bind(io_context_, options, std::move(env)));
  spdlog::info("http: listening on {} ({})", listener->bound_address(),
               options.tls_disable ? "plain text" : "TLS");
  if (started_) listener->StartAccepting();
  listeners_.push_back(std::move(listener));
  return Status::Ok();
}

std::size_t Server::ListenerCount() const {
  std::lock_guard lock(mu_);
  return listeners_.size();
}

std::string Server::BoundAddress(std::size_t index) const {
  std::lock_guard lock(mu_);
  return listeners_.at(index)->bound_address();
}

void Server::Start() {
  std::lock_guard lock(mu_);
  if (started_ || shut_down_) return;
  started_ = true;
  // Keeps run() from returning while there is momentarily nothing to do.
  work_guard_.emplace(io_context_.get_executor());
  for (auto& listener : listeners_) listener->StartAccepting();
  for (std::size_t i = 0; i < io_thread_count_; ++i) {
    io_threads_.emplace_back([this] { io_context_.run(); });
  }
}

void Server::Shutdown(std::chrono::milliseconds drain_deadline) {
  const auto deadline = std::chrono::steady_clock::now() + drain_deadline;
  std::vector<std::shared_ptr<Listener>> listeners;
  bool started = false;
  {
    std::lock_guard lock(mu_);
    if (shut_down_) return;
    shut_down_ = true;
    listeners = listeners_;
    started = started_;
  }
  for (auto& listener : listeners) listener->Stop();
  registry_.BeginDrain();
  if (started && !registry_.WaitUntilEmpty(deadline)) {
    spdlog::warn("http: drain deadline passed with {} connection(s) still open", registry_.size());
  }

  std::vector<std::thread> io_threads;
  {
    std::lock_guard lock(mu_);
    work_guard_.reset();
    io_threads.swap(io_threads_);
  }
  io_context_.stop();
  for (auto& thread : io_threads) thread.join();
  // No I/O thread runs now, so the acceptors can be closed directly: the
  // ports are free when Shutdown returns.
  for (auto& listener : listeners) listener->CloseNow();
  // A worker streaming a body waits on its connection's strand, which no
  // thread runs any more: release it, or the join below would hang.
  registry_.AbortBlockedWorkers();
  // Handlers already running finish; queued ones are dropped. Their
  // responses would have nowhere to go.
  workers_.stop();
  workers_.join();
}

}  // namespace tresor::http
