// What sys/host-info answers: the machine the node runs on, in the shape
// Vault returns (Vault reads it with gopsutil; the field names are
// gopsutil's): cpu, cpu_times, disk, host, memory and timestamp. Read from
// /proc, uname(2) and statvfs(3) on Linux.
//
// Who calls it: the sys/host-info handler (core/sys_runtime_handlers.cc).
// Threads: stateless; safe anywhere.
#pragma once

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"

namespace tresor::core {

// `now` becomes `timestamp`. An unreadable /proc file leaves its section
// out rather than failing the whole answer (gopsutil does the same), but
// IOError when none of it can be read.
StatusOr<nlohmann::json> ReadHostInfo(Clock::TimePoint now);

}  // namespace tresor::core
