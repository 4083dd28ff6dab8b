#include "core/snapshot_auto/auto_snapshotter.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "common/encoding.h"
#include "common/random.h"
#include "core/cluster_local_keys.h"
#include "core/seal_records.h"
#include "core/snapshot_auto/snapshot_target.h"
#include "snapshot/archive_file.h"
#include "snapshot/archive_reader.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::core::snapshot_auto {

AutoSnapshotter::AutoSnapshotter(Lifecycle& lifecycle, Ha& ha, Clock& clock,
                                 storage::Snapshotter* snapshotter, storage::ReplicationLog* log,
                                 std::string scratch_dir, std::function<bool()> writes_own_data)
    : lifecycle_(lifecycle),
      ha_(ha),
      clock_(clock),
      snapshotter_(snapshotter),
      log_(log),
      scratch_dir_(std::move(scratch_dir)),
      writes_own_data_(std::move(writes_own_data)),
      taker_id_(RandomBase62(16)) {}

AutoSnapshotter::~AutoSnapshotter() { Stop(); }

void AutoSnapshotter::Start() {
  if (snapshotter_ == nullptr) return;
  thread_ = std::thread([this] { Run(); });
}

void AutoSnapshotter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::int64_t AutoSnapshotter::NowNs() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.Now().time_since_epoch())
      .count();
}

// ---- configs and status ----

Status AutoSnapshotter::Write(const AutoConfig& config) {
  if (snapshotter_ == nullptr) {
    return FailedPreconditionError("automated snapshots need integrated storage (storage \"raft\")");
  }
  if (config.pitr && log_ == nullptr) {
    return FailedPreconditionError("pitr_enabled needs a storage with a replication log (raft)");
  }
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Put(kConfigPrefix + config.name, EncodeConfig(config)));
  wake_.notify_all();
  return Status::Ok();
}

StatusOr<std::optional<AutoConfig>> AutoSnapshotter::Read(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, lifecycle_.Barrier().Get(kConfigPrefix + name));
  if (!stored.has_value()) return std::optional<AutoConfig>();
  TRESOR_ASSIGN_OR_RETURN(AutoConfig config, DecodeConfig(name, *stored));
  return std::optional<AutoConfig>(std::move(config));
}

Status AutoSnapshotter::Delete(const std::string& name) {
  TRESOR_RETURN_IF_ERROR(lifecycle_.Barrier().Delete(kConfigPrefix + name));
  return lifecycle_.Barrier().Delete(kStatusPrefix + name);
}

StatusOr<std::vector<std::string>> AutoSnapshotter::List() {
  return lifecycle_.Barrier().List(kConfigPrefix);
}

StatusOr<AutoSnapshotter::Progress> AutoSnapshotter::ReadProgress(const std::string& name) {
  Progress p;
  TRESOR_ASSIGN_OR_RETURN(auto stored, lifecycle_.Barrier().Get(kStatusPrefix + name));
  if (!stored.has_value()) return p;
  nlohmann::json j = nlohmann::json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return CorruptionError("snapshot-auto status \"" + name + "\" is malformed");
  p.next_due_ns = j.value("next_due_ns", std::int64_t{0});
  p.in_progress_by = j.value("in_progress_by", "");
  p.snapshot_start_ns = j.value("snapshot_start_ns", std::int64_t{0});
  p.snapshot_url = j.value("snapshot_url", "");
  p.last_start_ns = j.value("last_start_ns", std::int64_t{0});
  p.last_end_ns = j.value("last_end_ns", std::int64_t{0});
  p.last_error = j.value("last_error", "");
  p.last_url = j.value("last_url", "");
  p.consecutive_failures = j.value("consecutive_failures", std::uint64_t{0});
  p.last_verified_index = j.value("last_verified_index", std::uint64_t{0});
  p.last_verified_ns = j.value("last_verified_ns", std::int64_t{0});
  if (j.contains("last_verified_log_hash")) {
    auto hash = HexDecode(j.value("last_verified_log_hash", ""));
    if (hash.ok()) {
      p.last_verified_log = storage::LogPosition{j.value("last_verified_log_index", std::uint64_t{0}),
                                                 std::move(*hash)};
    }
  }
  return p;
}

Status AutoSnapshotter::WriteProgress(const std::string& name, const Progress& p) {
  nlohmann::json j = {{"next_due_ns", p.next_due_ns},
                      {"in_progress_by", p.in_progress_by},
                      {"snapshot_start_ns", p.snapshot_start_ns},
                      {"snapshot_url", p.snapshot_url},
                      {"last_start_ns", p.last_start_ns},
                      {"last_end_ns", p.last_end_ns},
                      {"last_error", p.last_error},
                      {"last_url", p.last_url},
                      {"consecutive_failures", p.consecutive_failures},
                      {"last_verified_index", p.last_verified_index},
                      {"last_verified_ns", p.last_verified_ns}};
  if (p.last_verified_log) {
    j["last_verified_log_index"] = p.last_verified_log->index;
    j["last_verified_log_hash"] = HexEncode(p.last_verified_log->hash);
  }
  return lifecycle_.Barrier().Put(kStatusPrefix + name, j.dump());
}

StatusOr<nlohmann::json> AutoSnapshotter::StatusOf(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(auto config, Read(name));
  if (!config.has_value()) return NotFoundError("no snapshot-auto config named \"" + name + "\"");
  TRESOR_ASSIGN_OR_RETURN(Progress p, ReadProgress(name));
  const bool running = !p.in_progress_by.empty();
  return nlohmann::json{{"last_snapshot_start", FormatRfc3339Ns(p.last_start_ns)},
                        {"last_snapshot_end", FormatRfc3339Ns(p.last_end_ns)},
                        {"last_snapshot_error", p.last_error},
                        {"last_snapshot_url", p.last_url},
                        {"next_snapshot_start", FormatRfc3339Ns(p.next_due_ns)},
                        {"snapshot_start", running ? FormatRfc3339Ns(p.snapshot_start_ns) : ""},
                        {"snapshot_url", running ? p.snapshot_url : ""},
                        {"consecutive_failures", p.consecutive_failures},
                        {"last_verified_index", p.last_verified_index},
                        {"last_verified_time", FormatRfc3339Ns(p.last_verified_ns)},
                        {"last_verified_age_seconds",
                         p.last_verified_ns == 0
                             ? nlohmann::json(nullptr)
                             : nlohmann::json((NowNs() - p.last_verified_ns) / 1000000000)}};
}

StatusOr<std::optional<storage::LogPosition>> AutoSnapshotter::NewestSnapshotPosition(
    const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(Progress p, ReadProgress(name));
  return p.last_verified_log;
}

Status AutoSnapshotter::SnapshotNow(const std::string& name) {
  TRESOR_ASSIGN_OR_RETURN(Progress p, ReadProgress(name));
  if (!p.in_progress_by.empty()) return Status::Ok();  // one is being taken
  p.next_due_ns = NowNs();
  TRESOR_RETURN_IF_ERROR(WriteProgress(name, p));
  wake_.notify_all();
  return Status::Ok();
}

std::uint64_t AutoSnapshotter::AppliedRaftIndex() {
  if (snapshotter_ == nullptr) return 0;
  auto view = snapshotter_->OpenView();
  return view.ok() ? (*view)->index() : 0;
}

// ---- the schedule ----

void AutoSnapshotter::Run() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    if (!lifecycle_.Sealed() && ha_.IsActive() && writes_own_data_()) RunDue();
    lock.lock();
    wake_.wait_for(lock, kTick, [this] { return stopping_; });
  }
}

void AutoSnapshotter::RunDue() {
  auto names = List();
  if (!names.ok()) return;
  for (const std::string& name : *names) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto config = Read(name);
    auto progress = ReadProgress(name);
    if (!config.ok() || !config->has_value() || !progress.ok()) continue;
    Progress p = *progress;
    const std::int64_t now = NowNs();
    const std::int64_t interval_ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>((*config)->interval).count();
    // Unfinished by another process (a node that died or lost the active
    // role mid-snapshot): taken again now.
    const bool abandoned = !p.in_progress_by.empty() && p.in_progress_by != taker_id_;
    if (!abandoned && p.next_due_ns != 0 && now < p.next_due_ns) continue;
    auto target = MakeTarget(**config, scratch_dir_);
    if (abandoned && Stored(*target, (*config)->file_prefix, p.snapshot_url)) {
      // The other process stored it (checked: only checked snapshots get
      // their name) and stopped before recording it: it counts, and the
      // next is due as scheduled.
      p.in_progress_by.clear();
      p.last_start_ns = p.snapshot_start_ns;
      p.last_end_ns = now;
      p.last_url = p.snapshot_url;
      p.last_error.clear();
      p.consecutive_failures = 0;
      p.last_verified_ns = now;
      WriteProgress(name, p).IgnoreError();
      continue;
    }
    // First the claim: the due time moves on before the snapshot starts.
    p.next_due_ns = p.next_due_ns == 0 || abandoned ? now + interval_ns : p.next_due_ns + interval_ns;
    if (p.next_due_ns <= now) p.next_due_ns = now + interval_ns;  // after a long pause
    p.in_progress_by = taker_id_;
    p.snapshot_start_ns = now;
    const std::string object = (*config)->file_prefix + "-" + std::to_string(now) + ".snap";
    p.snapshot_url = target->Url(object);
    if (!WriteProgress(name, p).ok()) continue;  // not active any more, or sealed

    std::uint64_t index = 0;
    std::optional<storage::LogPosition> position;
    Status taken = [&]() -> Status {
      TRESOR_ASSIGN_OR_RETURN(std::string url, TakeSnapshot(**config, object, &index, &position));
      p.last_url = url;
      return Status::Ok();
    }();
    p.in_progress_by.clear();
    p.last_start_ns = p.snapshot_start_ns;
    p.last_end_ns = NowNs();
    if (taken.ok()) {
      p.last_error.clear();
      p.consecutive_failures = 0;
      p.last_verified_index = index;
      p.last_verified_ns = p.last_end_ns;
      p.last_verified_log = position;
      spdlog::info("snapshot-auto {}: saved {} (index {})", name, p.last_url, index);
    } else {
      p.last_error = taken.message();
      ++p.consecutive_failures;
      spdlog::warn("snapshot-auto {}: snapshot failed ({} in a row): {}", name,
                   p.consecutive_failures, taken.message());
    }
    WriteProgress(name, p).IgnoreError();
  }
}

bool AutoSnapshotter::Stored(SnapshotTarget& target, const std::string& file_prefix,
                             const std::string& url) {
  auto names = target.List(file_prefix, kSnapshotSuffix);
  if (!names.ok()) return false;
  for (const std::string& name : *names) {
    if (target.Url(name) == url) return true;
  }
  return false;
}

StatusOr<std::string> AutoSnapshotter::TakeSnapshot(const AutoConfig& config,
                                                    const std::string& object,
                                                    std::uint64_t* index,
                                                    std::optional<storage::LogPosition>* position) {
  TRESOR_ASSIGN_OR_RETURN(SealStatus seal_status, lifecycle_.GetSealStatus());
  TRESOR_ASSIGN_OR_RETURN(barrier::KeyStatus key_status, lifecycle_.KeyStatus());
  std::unique_ptr<storage::Snapshotter::View> view;
  snapshot::Meta meta;
  if (config.pitr && log_ != nullptr) {
    // The write archive goes on from where this snapshot stands in the
    // replication log, which must be on first.
    TRESOR_ASSIGN_OR_RETURN(auto head, log_->Head());
    if (!head.has_value()) {
      TRESOR_RETURN_IF_ERROR(log_->ConfigureLog(kPitrRetainedEntries, ClusterLocalPrefixes()));
    }
    TRESOR_ASSIGN_OR_RETURN(view, log_->OpenPositionedView(position));
    if (position->has_value()) {
      // Every write in the view was proposed before now (a point-in-time
      // restore to an earlier time cannot start from this snapshot).
      meta.log = snapshot::LogPoint{(*position)->index, (*position)->hash, NowNs()};
    }
  } else {
    TRESOR_ASSIGN_OR_RETURN(view, snapshotter_->OpenView());
  }
  meta.index = view->index();
  meta.term = view->term();
  meta.id = snapshot::NewSnapshotId(meta.term, meta.index, clock_.Now());
  meta.created_at = FormatRfc3339(clock_.Now());
  meta.cluster_id = seal_status.cluster_id;
  meta.keyring_term = key_status.term;
  *index = meta.index;

  auto target = MakeTarget(config, scratch_dir_);
  snapshot::RootKeySumsSeal seal(lifecycle_.RootKeyBarrier());
  TRESOR_RETURN_IF_ERROR(target->Store(object, [&](const std::string& path) -> Status {
    TRESOR_RETURN_IF_ERROR(snapshot::WriteArchiveFile(
                               path, meta,
                               [&view](const snapshot::RecordVisitor& visit) {
                                 return view->ForEach(visit);
                               },
                               seal)
                               .status());
    Status checked = Check(path);
    if (!checked.ok()) ::unlink(path.c_str());
    return checked;
  }));
  view.reset();
  // Retention, only after a snapshot that passed: the oldest beyond
  // `retain` go, so the newest good one always stays.
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> names, target->List(config.file_prefix, kSnapshotSuffix));
  for (std::size_t i = 0; i + static_cast<std::size_t>(config.retain) < names.size(); ++i) {
    Status removed = target->Remove(names[i]);
    if (!removed.ok()) spdlog::warn("snapshot-auto {}: {}", config.name, removed.message());
  }
  return target->Url(object);
}

Status AutoSnapshotter::Check(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot read back " + path);
  snapshot::RootKeySumsSeal seal(lifecycle_.RootKeyBarrier());
  snapshot::ReadOptions options;
  options.seal = &seal;
  std::uint64_t failed = 0;
  std::string first_failure;
  Status read = snapshot::ReadArchive(
      snapshot::FileSource(fd), options, nullptr,
      [&](std::string_view key, std::string_view value) -> Status {
        if (IsPhysicalOnlyKey(key)) return Status::Ok();
        auto opened = lifecycle_.RootKeyBarrier().Decrypt(key, value);
        if (opened.ok()) {
          SecureWipe(*opened);
        } else if (failed++ == 0) {
          first_failure = std::string(key) + ": " + opened.status().message();
        }
        return Status::Ok();
      });
  ::close(fd);
  TRESOR_RETURN_IF_ERROR(read);
  if (failed > 0) {
    return CorruptionError("the snapshot did not check out: " + std::to_string(failed) +
                           " values do not decrypt with the current keyring (first: " +
                           first_failure + ")");
  }
  return Status::Ok();
}

}  // namespace tresor::core::snapshot_auto
