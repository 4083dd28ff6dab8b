// State transfer: how a follower that is behind the leader's last raft
// snapshot gets the leader's whole state, streamed over the cluster port
// (docs/raft.md, "Snapshots").
//
// A raft snapshot is only a manifest (raft/fsm.h): the state itself is the
// StateStore, durable on every node. A follower whose store is older than a
// manifest it receives fetches the state: it connects to the leader's
// cluster port, proves it holds the cluster key ("TRSSTAT1" handshake,
// raft/cluster_handshake.h), runs TLS with the cluster certificates on the
// connection (raft/cluster_tls.h), sends the index it needs (u64), and reads one
// byte: 'K' followed by a state stream (raft/state_stream.h) taken from one
// LMDB read transaction, or 'B' followed by the server's applied index (u64)
// when the server's state is older than that (a new leader that has not
// applied everything yet): the follower fails this attempt and libraft
// retries. The follower installs the records as they arrive
// (StateStore::Installer); memory on both sides stays bounded by the stream's
// piece size and the installer's batch, whatever the size of the state.
//
// Threads: StateServer::Serve may be called from any thread (the raft
// thread, in practice); each connection is served on a thread of its own,
// at most kMaxStreams at once. FetchState blocks its caller (the raft
// thread, inside libraft's restore callback: the node is a follower that
// cannot apply anything before it has the state anyway).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "common/secure_memory.h"
#include "common/status.h"
#include "raft/cluster_tls.h"
#include "raft/state_store.h"

namespace tresor::raft {

class StateServer {
 public:
  static constexpr int kMaxStreams = 4;

  // REQUIRES: store outlives this object (or its Stop).
  explicit StateServer(const StateStore& store);
  ~StateServer();  // Stop()
  StateServer(const StateServer&) = delete;
  StateServer& operator=(const StateServer&) = delete;

  // Serves one proven connection from raft server `peer_id` and closes
  // `fd`: TLS with `tls` first, then the request. Beyond kMaxStreams at
  // once, or after Stop, the connection is closed at once.
  void Serve(int fd, std::string peer, std::uint64_t peer_id, std::shared_ptr<const ClusterTls> tls);

  // Cuts every stream in progress short and waits for their threads.
  void Stop();

 private:
  void Run(int fd, const std::string& peer, std::uint64_t peer_id, const ClusterTls& tls);

  const StateStore& store_;
  std::mutex mutex_;
  std::condition_variable idle_;
  std::set<int> streams_;  // fds being served
  bool stopping_ = false;
};

struct StateFetchOptions {
  std::string address;      // the leader's cluster address, a.b.c.d:port
  std::uint64_t id = 0;     // this node's raft id, sent in the hello
  std::string own_address;  // this node's cluster address, sent in the hello
  SecureBytes key;          // the cluster key
  std::shared_ptr<const ClusterTls> tls;  // the certificates (raft/cluster_tls.h)
  std::uint64_t min_index = 0;
  // Bounds connecting and every single read or write (not the whole
  // transfer, which takes as long as the state is large).
  std::chrono::milliseconds io_timeout{30000};
};

// The two halves of a transfer, without the connection (FetchState and
// StateServer use them; tests run them over memory).
// Writes the state `view` shows, staging records included, as a stream.
Status WriteViewStream(const StateStore::View& view,
                       const std::function<Status(std::string_view piece)>& sink);
// Reads a stream through `read_exact` into `store`'s installer; the stream
// must be at min_index or later (Corruption otherwise). Returns its index.
StatusOr<std::uint64_t> InstallStateStream(
    const std::function<Status(char* buffer, std::size_t size)>& read_exact,
    std::uint64_t min_index, StateStore& store);

// Fetches the state and installs it in `store` (which must have nothing
// staged). On success the store holds the leader's state at an index of at
// least min_index, returned. Errors: Unavailable (cannot connect, the
// connection broke, the server is behind or refused), PermissionDenied (the
// server did not prove it holds the key), the stream's and the installer's
// errors; after any error the store is as before.
StatusOr<std::uint64_t> FetchState(const StateFetchOptions& options, StateStore& store);

}  // namespace tresor::raft
