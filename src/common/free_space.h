// How much room is left on a filesystem, to tell a full disk (which a
// server waits out) from a failing one (which it stops on).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace tresor {

// A disk with less than this free is full for the raft log and the state
// store: libraft 0.15 preallocates its log in 8 MiB segments and needs a
// whole one, and LMDB's short writes on a nearly full disk fail as EIO.
inline constexpr std::uint64_t kDiskFullBelowBytes = 2 * 8 * 1024 * 1024;

// Bytes an unprivileged writer may still use on the filesystem holding
// `path` (statvfs f_bavail); nullopt when that cannot be told.
std::optional<std::uint64_t> FreeBytesUnder(const std::string& path);

// FreeBytesUnder(path) < kDiskFullBelowBytes; false when it cannot be told.
bool DiskFullUnder(const std::string& path);

}  // namespace tresor
