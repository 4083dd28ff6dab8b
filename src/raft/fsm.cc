#include "raft/fsm.h"

#include <spdlog/spdlog.h>

#include <cstring>

#include "raft/command.h"

namespace tresor::raft {
namespace {

Fsm& Self(struct raft_fsm* fsm) { return *static_cast<Fsm*>(fsm->data); }

}  // namespace

Fsm::Fsm(StateStore& store) : store_(store) {
  fsm_.version = 1;
  fsm_.data = this;
  fsm_.apply = &Fsm::Apply;
  fsm_.snapshot = &Fsm::Snapshot;
  fsm_.restore = &Fsm::Restore;
}

Status Fsm::CommitStaged() { return store_.Commit(); }

const Status& Fsm::ResultOf(void* apply_result) {
  static const Status kOk;
  return apply_result == nullptr ? kOk : *static_cast<const Status*>(apply_result);
}

int Fsm::Apply(struct raft_fsm* fsm, const struct raft_buffer* buf, void** result) {
  Fsm& self = Self(fsm);
  // libraft applies entries in order and advances last_applied right after
  // this call, so the entry being applied is the next one.
  std::uint64_t index = raft_last_applied(self.raft_) + 1;
  auto ops = DecodeCommand(std::string_view(static_cast<const char*>(buf->base), buf->len));
  if (!ops.ok()) {
    self.last_result_ = ops.status();
    self.store_.MarkApplied(index).IgnoreError();
  } else {
    self.last_result_ = self.store_.Stage(index, *ops);
  }
  if (!self.last_result_.ok()) {
    spdlog::warn("raft: entry {} not applied: {}", index, self.last_result_.message());
  }
  *result = self.last_result_.ok() ? nullptr : &self.last_result_;
  return 0;
}

int Fsm::Snapshot(struct raft_fsm* fsm, struct raft_buffer* bufs[], unsigned* n_bufs) {
  Fsm& self = Self(fsm);
  Status committed = self.store_.Commit();
  if (!committed.ok()) {
    spdlog::error("raft: snapshot: {}", committed.message());
    return RAFT_IOERR;
  }
  auto image = self.store_.SaveImage();
  if (!image.ok()) {
    spdlog::error("raft: snapshot: {}", image.status().message());
    return RAFT_IOERR;
  }
  auto* array = static_cast<struct raft_buffer*>(raft_malloc(sizeof(struct raft_buffer)));
  void* base = raft_malloc(image->size());
  if (array == nullptr || base == nullptr) {
    raft_free(array);
    raft_free(base);
    return RAFT_NOMEM;
  }
  std::memcpy(base, image->data(), image->size());
  array[0].base = base;
  array[0].len = image->size();
  *bufs = array;
  *n_bufs = 1;
  return 0;
}

int Fsm::Restore(struct raft_fsm* fsm, struct raft_buffer* buf) {
  Fsm& self = Self(fsm);
  std::string_view image(static_cast<const char*>(buf->base), buf->len);
  auto index = StateStore::ImageIndex(image);
  if (!index.ok()) {
    spdlog::error("raft: snapshot rejected: {}", index.status().message());
    return RAFT_CORRUPT;
  }
  Status loaded = self.store_.Commit();
  bool newer = loaded.ok() && *index > self.store_.AppliedIndex();
  if (newer) loaded = self.store_.LoadImage(image);
  if (!loaded.ok()) {
    spdlog::error("raft: snapshot restore: {}", loaded.message());
    return RAFT_IOERR;
  }
  // Operators read this to tell a catch-up by snapshot from log replay.
  if (newer) spdlog::info("raft: state restored from a snapshot at index {}", *index);
  // On success the state machine owns the buffer (libraft's contract).
  raft_free(buf->base);
  return 0;
}

}  // namespace tresor::raft
