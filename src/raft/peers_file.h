// The peers file: the cluster addresses of the other members this node last
// knew, one per line, in `<dir>/peers`. A node that must fetch the state
// when no leader is known yet (at start-up, after an install of the
// leader's state was cut short: libraft keeps the snapshot's manifest, the
// store still holds the older state) asks them (raft/state_transfer.h).
// Written atomically (temporary file, fsync, rename, fsync of the
// directory) whenever the set changes, which is rare.
// Threads: stateless functions; one writer (the raft thread) per file.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace tresor::raft {

Status WritePeersFile(const std::string& path, const std::vector<std::string>& addresses);

// The addresses in the file; empty when it is missing or unreadable.
std::vector<std::string> ReadPeersFile(const std::string& path);

}  // namespace tresor::raft
