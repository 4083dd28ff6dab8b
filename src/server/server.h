// The running server: owns storage, the core and the HTTP listeners, in
// that order of construction (and the reverse order of destruction).
//
// Who calls it: server_command.cc.
// Threads: Start and Stop from the main thread; the HTTP layer runs its own.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "core/core.h"
#include "http/server.h"
#include "server/config.h"
#include "server/metered_handler.h"
#include "server/retry_join.h"
#include "storage/backend.h"

namespace tresor::server {

// The host:port raft traffic of this node listens on and is reached at:
// the host:port of cluster_addr, else the first listener's
// cluster_address, else its address with the port + 1 (Vault's rule).
std::string ClusterAddressFor(const ServerConfig& config);
// The URL clients reach this node at: api_addr, else the first listener's
// address with its scheme.
std::string ApiAddrFor(const ServerConfig& config);

class Server {
 public:
  // clock is the time every layer below reads (TTLs, leases, the raft join
  // challenge's lifetime, HA waits); it outlives the Server. Tests may pass
  // a FakeClock.
  explicit Server(ServerConfig config, Clock& clock = SystemClock::Get());
  ~Server();

  // Applies process hygiene (no core dumps; memory locking unless
  // disable_mlock), opens storage, builds the core, binds every listener.
  Status Start();

  // For -dev: initialises with one share, unseals, and returns
  // {unseal key (base64), root token}.
  StatusOr<std::pair<std::string, std::string>> InitializeForDev(
      const std::optional<std::string>& root_token_id);

  // Stops accepting, lets in-flight requests finish (up to a deadline),
  // seals (wiping keys) and closes storage.
  void Stop();

  // SIGHUP: re-reads the config file and applies what may change while
  // running (the log level).
  void Reload();

  // host:port actually bound by listener i.
  std::string ListenAddress(std::size_t i) const;
  const ServerConfig& config() const { return config_; }

 private:
  ServerConfig config_;
  Clock& clock_;
  std::unique_ptr<storage::Backend> storage_;
  std::unique_ptr<core::Core> core_;
  // Times each request the listeners hand to core_; outlives http_.
  std::unique_ptr<MeteredHandler> metered_;
  std::unique_ptr<http::Server> http_;
  std::unique_ptr<RetryJoiner> retry_joiner_;  // raft with retry_join blocks only
};

}  // namespace tresor::server
