#include "raft/segment_space.h"

#include <dlfcn.h>
#include <errno.h>
#include <spdlog/spdlog.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace tresor::raft {
namespace {

std::atomic<int> segment_closing_nodes{0};
std::atomic<std::uint64_t> segment_space_waits{0};

// How often a waiting preparation tries again.
constexpr auto kRetryEvery = std::chrono::milliseconds(100);

// The file's path, from /proc; empty when it cannot be told.
std::string SegmentPathOf(int fd) {
  char link[64];
  std::snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  char target[4096];
  ssize_t n = ::readlink(link, target, sizeof(target) - 1);
  return n > 0 ? std::string(target, static_cast<std::size_t>(n)) : std::string();
}

// libraft names the segments it prepares "open-<counter>" (UV__OPEN_TEMPLATE).
bool IsLibraftOpenSegment(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  return path.compare(slash == std::string::npos ? 0 : slash + 1, 5, "open-") == 0;
}

using Fallocate = int (*)(int, off_t, off_t);

Fallocate LibcPosixFallocate() {
  static const Fallocate libc = reinterpret_cast<Fallocate>(::dlsym(RTLD_NEXT, "posix_fallocate"));
  return libc;
}

// Called on a libuv worker thread, never on the raft loop: waiting here
// stalls only the segment being prepared (and the appends that need it).
int WaitingFallocate(int fd, off_t offset, off_t len) {
  const Fallocate libc = LibcPosixFallocate();
  if (libc == nullptr) return ENOSYS;
  int rv = libc(fd, offset, len);
  if (rv != ENOSPC) return rv;
  const std::string path = SegmentPathOf(fd);
  if (!IsLibraftOpenSegment(path)) return rv;
  segment_space_waits.fetch_add(1);
  spdlog::error("raft: the disk is full: the log waits for space for its next segment ({}, {} "
                "bytes); writes stall until space returns",
                path, static_cast<long long>(len));
  while (rv == ENOSPC && segment_closing_nodes.load() == 0) {
    std::this_thread::sleep_for(kRetryEvery);
    rv = libc(fd, offset, len);
  }
  if (rv == 0) spdlog::warn("raft: space returned: the log's next segment is ready ({})", path);
  return rv;
}

}  // namespace

void BeginClosingSegmentWaits() { segment_closing_nodes.fetch_add(1); }
void EndClosingSegmentWaits() { segment_closing_nodes.fetch_sub(1); }
std::uint64_t SegmentSpaceWaits() { return segment_space_waits.load(); }

}  // namespace tresor::raft

// The interposer: the executable's definition is the one libraft's calls
// bind to. glibc's own callers use internal aliases and are not affected.
extern "C" int posix_fallocate(int fd, off_t offset, off_t len) {
  return tresor::raft::WaitingFallocate(fd, offset, len);
}
