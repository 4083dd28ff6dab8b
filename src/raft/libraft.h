// The libraft C headers, with C linkage: Debian's raft.h has no
// `extern "C"` guard of its own. Include this instead of <raft.h>.
#pragma once

extern "C" {
#include <raft.h>
#include <raft/uv.h>
}
