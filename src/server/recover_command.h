// `tresor operator raft recover`: offline quorum-loss recovery of an
// integrated-storage node. Run on a stopped server (it reads the server's
// config file for the storage path, node id and cluster address), it makes
// this node, plus any -peer given, the cluster's whole voter configuration
// through libraft's raft_recover. docs/raft-recovery.md is the runbook.
//
// Called by cmd/main.cc; runs on the calling thread.
#pragma once

namespace tresor::server {

// argv holds the arguments after "operator raft recover". Exit codes: 0
// recovered, 1 failed (nothing changed), 2 usage error.
int RunRaftRecoverCommand(int argc, char** argv);

}  // namespace tresor::server
