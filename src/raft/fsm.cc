#include "raft/fsm.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

#include "raft/command.h"

namespace tresor::raft {
namespace {

Fsm& Self(struct raft_fsm* fsm) { return *static_cast<Fsm*>(fsm->data); }

constexpr std::string_view kManifestMagic = "TRSMANI1";
constexpr std::size_t kManifestBytes = 16;

}  // namespace

Fsm::Fsm(StateStore& store) : store_(store), applier_(store) {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &Fsm::Apply;
  fsm_.snapshot = &Fsm::Snapshot;
  fsm_.restore = &Fsm::Restore;
}

int Fsm::Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
  Fsm& self = Self(fsm);
  self.CountApplied(buf->len);
  self.entries_applied_.fetch_add(1, std::memory_order_relaxed);
  // libraft applies entries in order and advances last_applied right after
  // this call, so the entry being applied is the next one.
  std::uint64_t index = raft_last_applied(self.raft_) + 1;
  auto ops = DecodeCommand(std::string_view(static_cast<const char*>(buf->base), buf->len));
  // Published: answered now, durable in the log and visible to readers.
  // Not after an entry answered late is committed, lest a reader see a
  // later write and miss that earlier one (a restore's switch).
  const std::uint64_t committed = self.store_.AppliedIndex();
  const bool publish = ops.ok() && index > committed && self.late_index_ <= committed &&
                       StateStore::Publishable(*ops);
  if (publish) {
    self.store_.Publish(index, *ops);
  } else {
    self.late_index_ = index;
  }
  self.applier_.Add(index, std::move(ops), buf->len, publish);
  *result = publish ? nullptr : &self.late_index_;
  return 0;
}

int Fsm::Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs) {
  Fsm& self = Self(fsm);
  // libraft drops the log entries a snapshot covers: the store must hold
  // them durably first (Commit alone leaves its last meta page unsynced).
  Status durable = self.applier_.Drain();
  if (durable.ok()) durable = self.store_.Commit();
  if (durable.ok()) durable = self.store_.Sync();
  if (!durable.ok()) {
    spdlog::error("raft: snapshot: {}", durable.message());
    return RAFT_IOERR;
  }
  self.PrepareSnapshot();
  const std::string manifest = Manifest(self.store_.AppliedIndex());
  auto* array = static_cast<struct raft_buffer*>(raft_malloc(sizeof(struct raft_buffer)));
  void* base = raft_malloc(manifest.size());
  if (array == nullptr || base == nullptr) {
    raft_free(array);
    raft_free(base);
    return RAFT_NOMEM;
  }
  std::memcpy(base, manifest.data(), manifest.size());
  array[0].base = base;
  array[0].len = manifest.size();
  *bufs = array;
  *n_bufs = 1;
  return 0;
}

void Fsm::SetSnapshotLimits(const SnapshotLimits& limits) {
  limits_ = limits;
  if (raft_ == nullptr) return;
  raft_set_snapshot_threshold(raft_, limits_.threshold_entries);
  raft_set_snapshot_trailing(raft_, limits_.trailing_entries);
}

void Fsm::CountApplied(std::size_t bytes) {
  bytes_since_snapshot_ += bytes;
  recent_sizes_.push_back(static_cast<std::uint32_t>(bytes));
  while (recent_sizes_.size() > limits_.trailing_entries) recent_sizes_.pop_front();
  // libraft snapshots once last_applied - snapshot index >= threshold,
  // checked after each batch of applies: 1 means at once.
  if (raft_ != nullptr && bytes_since_snapshot_ >= limits_.threshold_bytes) {
    raft_set_snapshot_threshold(raft_, 1);
  }
}

void Fsm::PrepareSnapshot() {
  bytes_since_snapshot_ = 0;
  if (raft_ == nullptr) return;
  raft_set_snapshot_threshold(raft_, limits_.threshold_entries);
  // The newest entries that fit trailing_bytes (and trailing_entries).
  std::uint64_t kept_bytes = 0;
  unsigned kept = 0;
  for (auto size = recent_sizes_.rbegin(); size != recent_sizes_.rend(); ++size) {
    if (kept_bytes + *size > limits_.trailing_bytes) break;
    kept_bytes += *size;
    ++kept;
  }
  // libraft reads the trailing count when this snapshot is stored.
  raft_set_snapshot_trailing(raft_, std::min(kept, limits_.trailing_entries));
}

std::string Fsm::Manifest(std::uint64_t applied_index) {
  std::string manifest(kManifestMagic);
  for (int shift = 56; shift >= 0; shift -= 8) {
    manifest.push_back(static_cast<char>(applied_index >> shift));
  }
  return manifest;
}

int Fsm::Restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
  Fsm& self = Self(fsm);
  std::string_view bytes(static_cast<const char*>(buf->base), buf->len);
  int rv = 0;
  if (bytes.size() == kManifestBytes && bytes.substr(0, kManifestMagic.size()) == kManifestMagic) {
    std::uint64_t index = 0;
    for (char c : bytes.substr(kManifestMagic.size())) {
      index = (index << 8) | static_cast<unsigned char>(c);
    }
    rv = self.RestoreManifest(index);
  } else {
    rv = self.RestoreImage(bytes);
  }
  // On success the state machine owns the buffer (libraft's contract).
  if (rv == 0) raft_free(buf->base);
  return rv;
}

int Fsm::RestoreManifest(std::uint64_t index) {
  Status committed = applier_.Drain();
  if (committed.ok()) committed = store_.Commit();
  if (!committed.ok()) {
    spdlog::error("raft: snapshot restore: {}", committed.message());
    return RAFT_IOERR;
  }
  if (index <= store_.AppliedIndex()) return 0;
  if (!fetch_state_) {
    spdlog::error(
        "raft: the state store is at index {}, behind the snapshot at {}, and no node to fetch "
        "the state from",
        store_.AppliedIndex(), index);
    return RAFT_IOERR;
  }
  spdlog::info("raft: this node is behind the snapshot at index {}: fetching the state", index);
  auto fetched = fetch_state_(index);
  if (!fetched.ok()) {
    // libraft discards this snapshot; the leader sends it again.
    spdlog::warn("raft: fetching the state failed: {}", fetched.status().message());
    return RAFT_IOERR;
  }
  // Operators read this to tell a catch-up by snapshot from log replay.
  spdlog::info("raft: state restored from a snapshot at index {} (streamed at index {})", index,
               *fetched);
  return 0;
}

int Fsm::RestoreImage(std::string_view image) {
  auto index = StateStore::ImageIndex(image);
  if (!index.ok()) {
    spdlog::error("raft: snapshot rejected: {}", index.status().message());
    return RAFT_CORRUPT;
  }
  Status loaded = applier_.Drain();
  if (loaded.ok()) loaded = store_.Commit();
  bool newer = loaded.ok() && *index > store_.AppliedIndex();
  if (newer) loaded = store_.LoadImage(image);
  if (!loaded.ok()) {
    spdlog::error("raft: snapshot restore: {}", loaded.message());
    return RAFT_IOERR;
  }
  if (newer) spdlog::info("raft: state restored from a snapshot at index {}", *index);
  return 0;
}

}  // namespace tresor::raft
