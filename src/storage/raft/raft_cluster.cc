#include "storage/raft/raft_backend.h"

namespace tresor::storage {

ClusterStatus RaftBackend::GetStatus() const {
  const raft::NodeStatus status = node_->GetStatus();
  ClusterStatus out;
  out.leader_id = status.leader_id;
  out.leader_address = status.leader_address;
  out.term = status.term;
  out.commit_index = status.commit_index;
  out.applied_index = status.applied_index;
  out.last_index = status.last_index;
  out.leader_seen_at = status.leader_seen_at;
  for (const raft::ServerInfo& server : status.configuration) {
    out.servers.push_back(ClusterServer{server.id, server.address, server.voter,
                                        server.match_index, server.last_contact_ms});
  }
  return out;
}

}  // namespace tresor::storage
