// A full disk must not fail libraft's log segment preparation.
//
// libraft 0.15 (Debian 12) preallocates each log segment ("open-N", 8 MiB)
// with posix_fallocate on a libuv worker. When that fails (ENOSPC), it fails
// the appends waiting for the segment, and that path frees entries twice:
// the heap corruption behind the disk-full restarts in `make chaos` (gdb:
// abort in free under uvPrepareAfterWorkCb's failed-segment branch; libraft
// reworked this path after 0.15). Tresor therefore defines posix_fallocate
// itself (segment_space.cc): for a libraft open segment that meets ENOSPC it
// waits until the space is there, so a full disk stalls the log as a slow
// disk would, and the log goes on by itself once space returns. Every other
// caller, and every other error, gets libc's answer unchanged.
#pragma once

#include <cstdint>

namespace tresor::raft {

// While a node closes, waits end at once and the preparation fails with
// ENOSPC (libraft's closing path discards it): a close never hangs on a
// full disk. Counted, since a process may hold several nodes (tests).
void BeginClosingSegmentWaits();
void EndClosingSegmentWaits();

// Segment preparations that have had to wait for space since start.
std::uint64_t SegmentSpaceWaits();

}  // namespace tresor::raft
