// `tresor operator raft recover`: offline quorum-loss recovery of an
// integrated-storage node. Run on a stopped server (it reads the server's
// config file for the storage path, node id and cluster address), it makes
// this node, plus any -peer given, the cluster's whole voter configuration
// through libraft's raft_recover. docs/raft-recovery.md is the runbook.
//
// Exit codes: 0 recovered, 1 failed (nothing changed), 2 usage error.
// Who calls it: the registry (server/commands.h); runs on the calling thread.
#pragma once

#include <memory>

#include "command/command.h"

namespace tresor::server {

std::unique_ptr<command::Command> NewRaftRecoverCommand();

}  // namespace tresor::server
