// NodeClusterForTest: a gtest fixture with three real raft::Nodes on
// loopback (300 ms election timeout), node 1 bootstrapped and the other two
// joined and promoted, with a shared cluster key and CA; plus the helpers
// its tests use. For tests only (raft's node tests, storage's RaftHA tests).
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/check.h"
#include "common/temp_dir_for_test.h"
#include "raft/cluster_tls.h"
#include "raft/node.h"

namespace tresor::raft {

// A port nobody listens on right now (bound then released).
inline int UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  TRESOR_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

// Waits (on the node's own status changes, polled at the loop's pace) until
// predicate holds or the deadline passes.
template <typename Predicate>
bool Eventually(Predicate predicate, std::chrono::seconds deadline = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls a condition
  }
  return predicate();
}

inline const std::string kClusterKey(32, 'k');

// One cluster CA for every node of every test here.
inline const std::string& ClusterTlsRecord() {
  static const std::string record = *NewClusterTlsRecord(std::chrono::system_clock::now());
  return record;
}

class NodeClusterForTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 3; ++i) {
      NodeOptions o;
      o.dir = dirs_[i].path();
      o.id = static_cast<std::uint64_t>(i + 1);
      o.cluster_address = "127.0.0.1:" + std::to_string(UnusedLoopbackPort());
      o.election_timeout_ms = 300;
      o.heartbeat_timeout_ms = 50;
      o.snapshot_threshold = snapshot_threshold_;
      o.trailing_logs = trailing_logs_;
      options_[i] = o;
      auto opened = Node::Open(o);
      ASSERT_TRUE(opened.ok()) << opened.status().ToString();
      nodes_[i] = std::move(opened).value();
      nodes_[i]->SetClusterKey(kClusterKey);
      ASSERT_TRUE(nodes_[i]->SetClusterTls(ClusterTlsRecord()).ok());
    }
    ASSERT_TRUE(nodes_[0]->Bootstrap().ok());
    for (int i = 1; i < 3; ++i) {
      const bool silent = silent_first_joiner_ && i == 1;
      if (!silent) {
        ASSERT_TRUE(nodes_[i]->StartJoining().ok());
      }
      Status added = nodes_[0]->AddServer(options_[i].id, options_[i].cluster_address);
      ASSERT_TRUE(added.ok()) << added.ToString();
      if (silent) {
        ASSERT_TRUE(Eventually([&] { return nodes_[0]->GetStatus().promoting; }));
        ASSERT_TRUE(nodes_[i]->StartJoining().ok());
      }
    }
    ASSERT_TRUE(Eventually([&] { return Voters(*nodes_[0]) == 3; }));
  }

  static int Voters(const Node& node) {
    int n = 0;
    for (const ServerInfo& s : node.GetStatus().configuration) n += s.voter ? 1 : 0;
    return n;
  }

  int LeaderIndex() const {
    for (int i = 0; i < 3; ++i) {
      if (nodes_[i] && nodes_[i]->GetStatus().role == Role::kLeader) return i;
    }
    return -1;
  }

  // The first joiner starts answering only once the leader is promoting it,
  // so that promotion is still running when the second join comes.
  bool silent_first_joiner_ = false;
  unsigned snapshot_threshold_ = NodeOptions().snapshot_threshold;
  unsigned trailing_logs_ = NodeOptions().trailing_logs;
  TempDirForTest dirs_[3];
  NodeOptions options_[3];
  std::unique_ptr<Node> nodes_[3];
};


}  // namespace tresor::raft
