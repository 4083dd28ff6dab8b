#include "core/snapshot_auto/pitr_restore.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "common/clock.h"
#include "common/random.h"
#include "core/cluster_local_keys.h"
#include "core/snapshot_auto/archive_segment.h"
#include "core/snapshot_auto/snapshot_target.h"
#include "core/snapshot_stage.h"
#include "snapshot/archive_reader.h"
#include "snapshot/byte_stream.h"

namespace tresor::core::snapshot_auto {
namespace {

// A fetched object, removed when it was a download.
class Fetched {
 public:
  Fetched(SnapshotTarget& target, const std::string& name, const std::string& scratch_dir)
      : scratch_(scratch_dir + "/pitr-fetch-" + RandomBase62(8)) {
    auto path = target.Fetch(name, scratch_);
    if (path.ok()) {
      path_ = *path;
    } else {
      status_ = path.status();
    }
  }
  ~Fetched() { ::unlink(scratch_.c_str()); }
  const Status& status() const { return status_; }
  const std::string& path() const { return path_; }

 private:
  std::string scratch_, path_;
  Status status_ = Status::Ok();
};

// meta.json of the snapshot at `path` (nothing else is read).
StatusOr<snapshot::Meta> ReadSnapshotMeta(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot read " + path);
  std::optional<snapshot::Meta> meta;
  Status read = snapshot::ReadArchive(
      snapshot::FileSource(fd), {},
      [&](const snapshot::Meta& m) {
        meta = m;
        return CorruptionError("stop");  // only meta.json was wanted
      },
      nullptr);
  ::close(fd);
  if (meta) return *meta;
  return read;
}

// Whether a write stamped `stamp` is after the point.
bool After(const PitrPoint& point, const storage::LogStamp& stamp) {
  if (point.raft_index) return stamp.raft_index > *point.raft_index;
  return stamp.unix_ns > *point.unix_ns;
}

struct Candidate {
  std::string name;
  snapshot::Meta meta;
  std::unique_ptr<Fetched> file;  // kept: a download is not made twice
};

// The newest snapshot of `names` at or before the point, with a log
// position, checked no further than its meta.json.
StatusOr<Candidate> ChooseSnapshot(SnapshotTarget& target, const std::vector<std::string>& names,
                                   const PitrPoint& point, const std::string& scratch_dir) {
  for (auto it = names.rbegin(); it != names.rend(); ++it) {
    // A snapshot's name time is before its view: a later one cannot do.
    if (point.unix_ns && NameTime(*it) > *point.unix_ns) continue;
    auto fetched = std::make_unique<Fetched>(target, *it, scratch_dir);
    if (!fetched->status().ok()) return fetched->status();
    auto meta = ReadSnapshotMeta(fetched->path());
    if (!meta.ok()) {
      spdlog::warn("pitr: skipping {}: {}", *it, meta.status().message());
      continue;
    }
    if (!meta->log.has_value()) continue;  // taken without pitr_enabled
    if (point.unix_ns && meta->log->unix_ns > *point.unix_ns) continue;
    if (point.raft_index && meta->index > *point.raft_index) continue;
    return Candidate{*it, std::move(*meta), std::move(fetched)};
  }
  return InvalidArgumentError(
      "no snapshot in " + target.Url("") + " stands at or before " + point.text +
      " with a write archive position (only snapshots taken with pitr_enabled do)");
}

}  // namespace

StatusOr<PitrPoint> ParsePitrPoint(std::string_view text) {
  PitrPoint point;
  point.text = std::string(text);
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    if (text.size() > 19) return InvalidArgumentError("the raft index " + point.text + " is too large");
    point.raft_index = std::stoull(point.text);
    return point;
  }
  point.unix_ns = ParseRfc3339Ns(text);
  if (!point.unix_ns) {
    return InvalidArgumentError("to must be a raft index or an RFC 3339 time (e.g. "
                                "2026-12-07T05:00:00Z), not \"" + point.text + "\"");
  }
  return point;
}

StatusOr<nlohmann::json> InspectTarget(const AutoConfig& config, const std::string& scratch_dir,
                                       const snapshot::SumsSeal* seal) {
  auto target = MakeTarget(config, scratch_dir);
  TRESOR_ASSIGN_OR_RETURN(auto snapshots, target->List(config.file_prefix, kSnapshotSuffix));
  TRESOR_ASSIGN_OR_RETURN(auto segments, target->List(config.file_prefix, kSegmentSuffix));
  nlohmann::json out = {{"target", target->Url("")},
                        {"snapshots", snapshots.size()},
                        {"segments", segments.size()}};
  if (!snapshots.empty()) {
    out["oldest_snapshot"] = snapshots.front();
    out["newest_snapshot"] = snapshots.back();
  }
  nlohmann::json gaps = nlohmann::json::array();
  std::optional<storage::LogPosition> last;
  std::int64_t first_ns = 0, last_ns = 0, covered_ns = 0;
  std::uint64_t first_raft = 0, covered_raft = 0, writes = 0;
  for (const std::string& name : segments) {
    Fetched fetched(*target, name, scratch_dir);
    TRESOR_RETURN_IF_ERROR(fetched.status());
    TRESOR_RETURN_IF_ERROR(ScanSegment(
        fetched.path(), name, seal,
        [&](const snapshot::Meta& meta) {
          covered_ns = std::max(covered_ns, meta.log->unix_ns);
          covered_raft = std::max(covered_raft, meta.index);
          return Status::Ok();
        },
        [&](const ArchivedWrite& write) -> Status {
          if (last && write.position.index <= last->index) return Status::Ok();  // stored twice
          if (last && write.position.index != last->index + 1) {
            gaps.push_back({{"after_log_index", last->index},
                            {"next_log_index", write.position.index},
                            {"from", FormatRfc3339Ns(last_ns)},
                            {"to", FormatRfc3339Ns(write.stamp.unix_ns)},
                            {"segment", name}});
          }
          if (first_ns == 0) {
            first_ns = write.stamp.unix_ns;
            first_raft = write.stamp.raft_index;
          }
          last = write.position;
          last_ns = write.stamp.unix_ns;
          ++writes;
          return Status::Ok();
        }));
  }
  out["archived_writes"] = writes;
  if (writes > 0) {
    out["first_write_time"] = FormatRfc3339Ns(first_ns);
    out["first_write_raft_index"] = first_raft;
    out["covered_until"] = FormatRfc3339Ns(covered_ns);
    out["covered_until_raft_index"] = covered_raft;
  }
  out["gaps"] = std::move(gaps);
  return out;
}

StatusOr<nlohmann::json> RestoreToPoint(const AutoConfig& config, const PitrPoint& point,
                                        storage::Snapshotter& snapshotter,
                                        const storage::ReplicationLog& log,
                                        const snapshot::SumsSeal* seal,
                                        const std::string& scratch_dir) {
  std::error_code ec;
  std::filesystem::create_directories(scratch_dir, ec);
  auto target = MakeTarget(config, scratch_dir);
  TRESOR_ASSIGN_OR_RETURN(auto snapshots, target->List(config.file_prefix, kSnapshotSuffix));
  TRESOR_ASSIGN_OR_RETURN(auto segments, target->List(config.file_prefix, kSegmentSuffix));
  TRESOR_ASSIGN_OR_RETURN(Candidate chosen, ChooseSnapshot(*target, snapshots, point, scratch_dir));

  // 1. The snapshot, staged (and verified whole).
  using Steady = std::chrono::steady_clock;
  const Steady::time_point began = Steady::now();
  int fd = ::open(chosen.file->path().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot read " + chosen.file->path());
  bool storage_refused = false;
  StatusOr<StagedArchive> staged =
      StageArchive(snapshotter, snapshot::FileSource(fd), seal, &storage_refused);
  ::close(fd);
  if (!staged.ok()) {
    if (storage_refused) return staged.status();
    return InvalidArgumentError("the snapshot " + chosen.name +
                                " did not check out, nothing was changed: " +
                                staged.status().message());
  }
  chosen.file.reset();
  std::unique_ptr<storage::Snapshotter::Restore> restore = std::move(staged->restore);
  auto refuse = [&](const std::string& why) -> Status {
    restore->Abort().IgnoreError();
    return InvalidArgumentError("point-in-time restore refused, nothing was changed: " + why);
  };

  // 2. The writes after it, in log order, each continuing the chain.
  const Steady::time_point staged_at = Steady::now();
  storage::LogPosition at{chosen.meta.log->index, chosen.meta.log->hash};
  std::int64_t covered_ns = chosen.meta.log->unix_ns, last_write_ns = 0;
  std::uint64_t covered_raft = chosen.meta.index, replayed = 0;
  bool reached = false;
  const std::int64_t from_ns = NameTime(chosen.name) - 300'000'000'000;  // archiver's margin
  for (std::size_t i = 0; i < segments.size() && !reached; ++i) {
    // Segments that end before the snapshot need not be read.
    if (i + 1 < segments.size() && NameTime(segments[i + 1]) < from_ns) continue;
    Fetched segment(*target, segments[i], scratch_dir);
    if (!segment.status().ok()) return refuse(segment.status().message());
    Status scanned = ScanSegment(
        segment.path(), segments[i], seal,
        [&](const snapshot::Meta& meta) {
          covered_ns = std::max(covered_ns, meta.log->unix_ns);
          covered_raft = std::max(covered_raft, meta.index);
          return Status::Ok();
        },
        [&](const ArchivedWrite& write) -> Status {
          if (reached || write.position.index <= at.index) return Status::Ok();
          // Before the first replayed write, a write proposed before the
          // snapshot's view that does not continue it is of the snapshot's
          // past: another history (the log was switched off and on, or a
          // restore broke it). Not a gap.
          const bool before_snapshot =
              replayed == 0 && write.stamp.unix_ns < chosen.meta.log->unix_ns;
          const bool continues = write.position.index == at.index + 1 &&
                                 log.ChainHash(at.hash, write.entry) == write.position.hash;
          if (before_snapshot && !continues) return Status::Ok();
          if (write.position.index != at.index + 1) {
            return InvalidArgumentError(
                "the archive has a gap: no write after log index " + std::to_string(at.index) +
                (last_write_ns ? " (" + FormatRfc3339Ns(last_write_ns) + ")" : std::string()) +
                " until log index " + std::to_string(write.position.index) + " (" +
                FormatRfc3339Ns(write.stamp.unix_ns) + ", in " + segments[i] +
                "): a segment is missing. Restore to a point before the gap");
          }
          if (!continues) {
            return InvalidArgumentError("the write at log index " +
                                        std::to_string(write.position.index) + " in " +
                                        segments[i] + " does not continue the archive (another "
                                        "history, or a damaged segment)");
          }
          if (After(point, write.stamp)) {
            reached = true;
            return Status::Ok();
          }
          TRESOR_RETURN_IF_ERROR(restore->Replay(write.entry));
          at = write.position;
          last_write_ns = write.stamp.unix_ns;
          ++replayed;
          return Status::Ok();
        });
    if (!scanned.ok()) return refuse(scanned.message());
  }
  if (!reached) {
    const bool covered = point.unix_ns ? *point.unix_ns <= covered_ns
                                       : *point.raft_index <= covered_raft;
    if (!covered) {
      return refuse("the archive in " + target->Url("") + " covers writes up to " +
                    FormatRfc3339Ns(covered_ns) + " (raft index " + std::to_string(covered_raft) +
                    "); " + point.text + " is later, and writes after that may not be archived "
                    "yet");
    }
  }

  // 3. All of it becomes the state in one step.
  const Steady::time_point replayed_at = Steady::now();
  TRESOR_RETURN_IF_ERROR(restore->Commit(ClusterLocalPrefixes()));
  const auto seconds = [](Steady::duration d) { return std::chrono::duration<double>(d).count(); };
  spdlog::warn("pitr: restored {} and replayed {} writes up to log index {} (point {})",
               chosen.name, replayed, at.index, point.text);
  nlohmann::json out = {{"snapshot", target->Url(chosen.name)},
                        {"snapshot_index", chosen.meta.index},
                        {"replayed_writes", replayed},
                        {"restored_log_index", at.index}};
  out["last_write_time"] = last_write_ns ? FormatRfc3339Ns(last_write_ns) : "";
  // Where the time went: the snapshot staged, the writes replayed (reading
  // and checking the segments included), the commit.
  out["snapshot_seconds"] = seconds(staged_at - began);
  out["replay_seconds"] = seconds(replayed_at - staged_at);
  out["commit_seconds"] = seconds(Steady::now() - replayed_at);
  return out;
}

}  // namespace tresor::core::snapshot_auto
