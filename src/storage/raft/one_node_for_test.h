// Options for a one-node RaftBackend in `dir`, for storage's raft tests.
#pragma once

#include <string>

#include "storage/raft/raft_backend.h"

namespace tresor::storage {

inline RaftBackendOptions OneNodeRaftOptionsForTest(const std::string& dir) {
  RaftBackendOptions options;
  options.path = dir + "/raft";
  options.node_id = "node1";
  options.cluster_address = "127.0.0.1:0";  // one node: nobody dials it
  return options;
}

}  // namespace tresor::storage
