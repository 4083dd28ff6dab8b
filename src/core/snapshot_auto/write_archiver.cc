#include "core/snapshot_auto/write_archiver.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "common/encoding.h"
#include "core/cluster_local_keys.h"
#include "core/snapshot_auto/snapshot_target.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::core::snapshot_auto {
namespace {

constexpr std::size_t kReadBytes = 4 << 20;

std::int64_t UnixNs(Clock& clock) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock.Now().time_since_epoch())
      .count();
}

std::string Describe(const storage::LogPosition& position) {
  return "log index " + std::to_string(position.index);
}

}  // namespace

WriteArchiver::WriteArchiver(Lifecycle& lifecycle, Ha& ha, Clock& clock,
                             storage::ReplicationLog* log, AutoSnapshotter& snapshots,
                             std::string scratch_dir, std::function<bool()> writes_own_data)
    : lifecycle_(lifecycle),
      ha_(ha),
      clock_(clock),
      log_(log),
      snapshots_(snapshots),
      scratch_dir_(std::move(scratch_dir)),
      writes_own_data_(std::move(writes_own_data)) {}

WriteArchiver::~WriteArchiver() { Stop(); }

void WriteArchiver::Start() {
  if (log_ == nullptr) return;
  thread_ = std::thread([this] { Run(); });
}

void WriteArchiver::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

// ---- the barrier record ----

StatusOr<WriteArchiver::Archived> WriteArchiver::ReadArchived(const std::string& name) {
  Archived a;
  TRESOR_ASSIGN_OR_RETURN(auto stored, lifecycle_.Barrier().Get(kPitrPrefix + name));
  if (!stored.has_value()) return a;
  nlohmann::json j = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return CorruptionError("the write archive record of \"" + name + "\" is malformed");
  if (j.contains("hash")) {
    auto hash = HexDecode(j.value("hash", ""));
    if (!hash.ok()) return CorruptionError("the write archive record of \"" + name + "\" is malformed");
    a.position = storage::LogPosition{j.value("index", std::uint64_t{0}), *hash};
  }
  a.segments = j.value("segments", std::uint64_t{0});
  a.last_segment_url = j.value("last_segment_url", "");
  a.last_segment_end_ns = j.value("last_segment_end_ns", std::int64_t{0});
  a.last_segment_raft_index = j.value("last_segment_raft_index", std::uint64_t{0});
  a.last_error = j.value("last_error", "");
  a.gaps = j.value("gaps", std::uint64_t{0});
  a.last_gap = j.value("last_gap", "");
  return a;
}

Status WriteArchiver::WriteArchived(const std::string& name, const Archived& a) {
  nlohmann::json j = {{"segments", a.segments},
                      {"last_segment_url", a.last_segment_url},
                      {"last_segment_end_ns", a.last_segment_end_ns},
                      {"last_segment_raft_index", a.last_segment_raft_index},
                      {"last_error", a.last_error},
                      {"gaps", a.gaps},
                      {"last_gap", a.last_gap}};
  if (a.position) {
    j["index"] = a.position->index;
    j["hash"] = HexEncode(a.position->hash);
  }
  return lifecycle_.Barrier().Put(kPitrPrefix + name, j.dump());
}

StatusOr<nlohmann::json> WriteArchiver::StatusOf(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(Archived a, ReadArchived(name));
  return nlohmann::json{{"pitr_archived_log_index", a.position ? a.position->index : std::uint64_t{0}},
                        {"pitr_archived_until", FormatRfc3339Ns(a.last_segment_end_ns)},
                        {"pitr_archived_raft_index", a.last_segment_raft_index},
                        {"pitr_segments_stored", a.segments},
                        {"pitr_last_segment_url", a.last_segment_url},
                        {"pitr_last_error", a.last_error},
                        {"pitr_gaps", a.gaps},
                        {"pitr_last_gap", a.last_gap}};
}

// ---- the thread ----

void WriteArchiver::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (!lifecycle_.Sealed() && ha_.IsActive() && writes_own_data_()) {
      RunOnce();
    } else {
      open_.clear();  // another node archives; its record is the truth
    }
    lock.lock();
    wake_.wait_for(lock, AutoSnapshotter::kTick, [this] { return stopping_; });
  }
}

void WriteArchiver::RunOnce() {
  auto names = snapshots_.List();
  if (!names.ok()) return;
  std::map<std::string, Open> kept;
  for (const std::string& name : *names) {
    auto config = snapshots_.Read(name);
    if (!config.ok() || !config->has_value() || !(*config)->pitr) continue;
    auto it = open_.find(name);
    Open open;
    if (it != open_.end()) {
      open = std::move(it->second);
    } else {
      auto archived = ReadArchived(name);
      if (!archived.ok()) continue;
      open.archived = std::move(*archived);
      if (open.archived.position) open.read_to = *open.archived.position;
    }
    Status archived = Archive(**config, open);
    if (!archived.ok()) {
      spdlog::warn("snapshot-auto {}: the write archive: {}", name, archived.message());
      if (open.archived.last_error != archived.message()) {
        open.archived.last_error = archived.message();
        WriteArchived(name, open.archived).IgnoreError();
      }
      // Read again from the last stored segment next time.
      open.spool.reset();
      if (open.archived.position) open.read_to = *open.archived.position;
    }
    kept.emplace(name, std::move(open));
  }
  open_ = std::move(kept);
}

Status WriteArchiver::EnsureLogOn() {
  TRESOR_ASSIGN_OR_RETURN(auto head, log_->Head());
  if (head.has_value()) return Status::Ok();
  spdlog::info("snapshot-auto: switching the replication log on for the write archive");
  return log_->ConfigureLog(kPitrRetainedEntries, ClusterLocalPrefixes());
}

Status WriteArchiver::Restart(const AutoConfig& config, Open& open, const std::string& why) {
  TRESOR_ASSIGN_OR_RETURN(auto snapshot, snapshots_.NewestSnapshotPosition(config.name));
  bool usable = snapshot.has_value() &&
                !(open.archived.position && *open.archived.position == *snapshot);
  if (usable) {
    TRESOR_ASSIGN_OR_RETURN(usable, log_->Holds(*snapshot));
  }
  if (!usable) {
    // A new snapshot starts the archive again: asked for once per break,
    // instead of leaving the archive stopped until the next interval.
    if (open.archived.position && !open.snapshot_asked) {
      TRESOR_RETURN_IF_ERROR(snapshots_.SnapshotNow(config.name));
      open.snapshot_asked = true;
    }
    return Status::Ok();
  }
  open.snapshot_asked = false;
  if (open.archived.position) {
    ++open.archived.gaps;
    open.archived.last_gap = "no writes archived after " + Describe(*open.archived.position) +
                             " until " + Describe(*snapshot) + " (" + why + "), noticed at " +
                             FormatRfc3339(clock_.Now());
    spdlog::error("snapshot-auto {}: the write archive has a gap: {}", config.name,
                  open.archived.last_gap);
  }
  open.archived.position = *snapshot;
  open.read_to = *snapshot;
  open.spool.reset();
  return WriteArchived(config.name, open.archived);
}

Status WriteArchiver::Archive(const AutoConfig& config, Open& open) {
  TRESOR_RETURN_IF_ERROR(EnsureLogOn());
  if (!open.archived.position) return Restart(config, open, "");
  TRESOR_ASSIGN_OR_RETURN(bool held, log_->Holds(open.read_to));
  if (!held) {
    return Restart(config, open,
                   "the replication log no longer holds it: trimmed, or the state was restored");
  }
  if (open.spool == nullptr) {
    std::error_code ec;
    std::filesystem::create_directories(scratch_dir_, ec);
    open.spool = std::make_unique<SegmentSpool>(scratch_dir_ + "/pitr-" + config.name + ".spool");
  }
  // What is committed now, up to the segment's size.
  for (bool more = true; more && open.spool->bytes() <
                                     static_cast<std::uint64_t>(config.pitr_segment_max_bytes);) {
    std::uint64_t before = open.read_to.index;
    TRESOR_RETURN_IF_ERROR(log_->Read(
        open.read_to.index, kReadBytes,
        [&](const storage::LogPosition& position, const storage::LogStamp& stamp,
            std::string_view entry) -> Status {
          if (open.spool->count() == 0) open.opened = std::chrono::steady_clock::now();
          TRESOR_RETURN_IF_ERROR(open.spool->Append({position, stamp, std::string(entry)}));
          open.read_to = position;
          return Status::Ok();
        }));
    more = open.read_to.index != before;
  }
  if (open.spool->count() == 0) return Status::Ok();
  const bool full =
      open.spool->bytes() >= static_cast<std::uint64_t>(config.pitr_segment_max_bytes);
  const bool old = std::chrono::steady_clock::now() - open.opened >= config.pitr_segment_interval;
  return full || old ? CloseSegment(config, open) : Status::Ok();
}

Status WriteArchiver::CloseSegment(const AutoConfig& config, Open& open) {
  // Every write acknowledged before `closed_ns` is in the log once Settle
  // returns, and so is every raft entry up to `raft_index` (applied, so
  // committed with its log entry); read to the end so the segment holds
  // them all.
  const std::int64_t closed_ns = UnixNs(clock_);
  const std::uint64_t raft_index = snapshots_.AppliedRaftIndex();
  TRESOR_RETURN_IF_ERROR(log_->Settle());
  TRESOR_ASSIGN_OR_RETURN(auto head, log_->Head());
  while (head.has_value() && open.read_to.index < head->last.index) {
    TRESOR_RETURN_IF_ERROR(log_->Read(
        open.read_to.index, kReadBytes,
        [&](const storage::LogPosition& position, const storage::LogStamp& stamp,
            std::string_view entry) -> Status {
          TRESOR_RETURN_IF_ERROR(open.spool->Append({position, stamp, std::string(entry)}));
          open.read_to = position;
          return Status::Ok();
        }));
  }
  TRESOR_ASSIGN_OR_RETURN(SealStatus seal_status, lifecycle_.GetSealStatus());
  TRESOR_ASSIGN_OR_RETURN(barrier::KeyStatus key_status, lifecycle_.KeyStatus());
  snapshot::Meta meta;
  meta.index = raft_index;  // a restore to a raft index up to it is covered
  meta.created_at = FormatRfc3339(clock_.Now());
  meta.cluster_id = seal_status.cluster_id;
  meta.keyring_term = key_status.term;
  meta.log = snapshot::LogPoint{0, {}, closed_ns};
  meta.id = "wal-" + std::to_string(open.spool->first()->position.index) + "-" +
            std::to_string(open.read_to.index);
  // Names carry the first write's time, strictly increasing.
  const std::int64_t name_ns =
      std::max(open.spool->first()->stamp.unix_ns, open.last_name_ns + 1);
  const std::string object =
      config.file_prefix + "-" + std::to_string(name_ns) + std::string(kSegmentSuffix);
  auto target = MakeTarget(config, scratch_dir_ + "/pitr-upload");
  snapshot::RootKeySumsSeal seal(lifecycle_.RootKeyBarrier());
  const storage::LogPosition last = open.read_to;
  TRESOR_RETURN_IF_ERROR(target->Store(object, [&](const std::string& path) {
    return open.spool->WriteSegment(path, meta, seal);
  }));
  open.last_name_ns = name_ns;
  open.archived.position = last;
  ++open.archived.segments;
  open.archived.last_segment_url = target->Url(object);
  open.archived.last_segment_end_ns = closed_ns;
  open.archived.last_segment_raft_index = raft_index;
  open.archived.last_error.clear();
  TRESOR_RETURN_IF_ERROR(WriteArchived(config.name, open.archived));
  spdlog::info("snapshot-auto {}: archived writes up to {} in {}", config.name, Describe(last),
               open.archived.last_segment_url);
  PruneSegments(config, *target);
  return Status::Ok();
}

void WriteArchiver::PruneSegments(const AutoConfig& config, SnapshotTarget& target) {
  auto snapshots = target.List(config.file_prefix, kSnapshotSuffix);
  auto segments = target.List(config.file_prefix, kSegmentSuffix);
  if (!snapshots.ok() || !segments.ok() || snapshots->empty()) return;
  // A segment is of no use once the one after it starts before the oldest
  // snapshot kept: all it holds is in that snapshot. The margin covers a
  // write proposed before the snapshot's name time but applied after its
  // view opened.
  const std::int64_t oldest = NameTime(snapshots->front()) - kPruneMarginNs;
  for (std::size_t i = 0; i + 1 < segments->size(); ++i) {
    if (NameTime((*segments)[i + 1]) >= oldest) break;
    Status removed = target.Remove((*segments)[i]);
    if (!removed.ok()) spdlog::warn("snapshot-auto {}: {}", config.name, removed.message());
  }
}

}  // namespace tresor::core::snapshot_auto
