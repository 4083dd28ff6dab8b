// raft::Node's stuck-log watchdog (node.h, WatchLogProgress; docs/raft.md,
// "A failing disk"), apart from node.cc because it decides to stop the
// process, which nothing else in the node does.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>

#include "common/free_space.h"
#include "raft/node.h"

namespace tresor::raft {

void Node::WatchLogProgress() {
  const auto now = std::chrono::steady_clock::now();
  const bool leader = raft_state(&raft_) == RAFT_LEADER;
  const bool waiting =
      started_ && (raft_last_index(&raft_) > raft_.last_stored || log_watch_.write_failed);
  // The first look (since is unset) starts the clock: until then nothing
  // was watched, however long the process has been up.
  if (!waiting || raft_.last_stored != log_watch_.stored ||
      log_watch_.since == std::chrono::steady_clock::time_point{}) {
    log_watch_ = {raft_.last_stored, now};  // progress: failures before it are past
    return;
  }
  const auto limit = std::chrono::milliseconds(options_.election_timeout_ms) * kStuckLogTimeouts;
  const auto stuck = now - log_watch_.since;
  if (stuck < limit) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(stuck).count();
  if (leader && !log_watch_.handed_over) {
    log_watch_.handed_over = true;
    spdlog::critical(
        "raft: this leader has stored nothing of its log for {}s while entries wait (a failing "
        "disk?); handing leadership to another server",
        seconds);
    lease_until_ns_ = 0;
    auto* req = new struct raft_transfer();
    req->data = this;
    if (raft_transfer(&raft_, req, 0, [](struct raft_transfer* r) { delete r; }) != 0) delete req;
    return;
  }
  if (leader && stuck < 2 * limit) return;
  // A full disk is not a failing one: libraft prepares its next segment
  // again once space returns, and the log goes on (the state store stalls
  // and resumes the same way). Wait for space, leading no more.
  if (std::optional<std::uint64_t> free = FreeBytesUnder(raft_dir_);
      free && *free < kDiskFullBelowBytes) {
    if (!log_watch_.full_reported) {
      log_watch_.full_reported = true;
      spdlog::error("raft: the log of this server has been stuck for {}s and its disk is full "
                    "({} bytes free under {}); waiting for space (writes go on through the other "
                    "servers)",
                    seconds, *free, raft_dir_);
    }
    return;
  }
  // Still stuck: libraft 0.15 never completes a log write the kernel
  // refused, so this process cannot recover by itself. A leader's
  // heartbeats would keep every follower from electing; a follower counts
  // towards a quorum it can never give. Stop it (fail-stop, as PostgreSQL
  // does on a failed fsync); a restart replays what is durable.
  spdlog::critical("raft: the log of this server has been stuck for {}s; stopping the process so "
                   "that the others carry on without it. Check the disk, then restart it",
                   seconds);
  spdlog::default_logger()->flush();
  std::_Exit(kStuckLogExitCode);
}

}  // namespace tresor::raft
