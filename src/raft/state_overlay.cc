#include "raft/state_overlay.h"

#include "raft/state_store.h"

namespace tresor::raft {

void StateOverlay::Add(std::uint64_t index, const std::vector<StateOp>& ops) {
  {
    std::unique_lock lock(writes_mutex_);
    for (const StateOp& op : ops) {
      std::optional<std::string> value;
      if (op.type == StateOp::Type::kPut) value = op.value;
      writes_.insert_or_assign(op.key, Write{index, std::move(value)});
    }
    size_.store(writes_.size(), std::memory_order_release);
  }
  std::lock_guard lock(retired_mutex_);
  newest_added_ = index;
}

void StateOverlay::RetireThrough(std::uint64_t index) {
  if (size() > 0) {
    std::unique_lock lock(writes_mutex_);
    for (auto it = writes_.begin(); it != writes_.end();) {
      it = it->second.index <= index ? writes_.erase(it) : std::next(it);
    }
    size_.store(writes_.size(), std::memory_order_release);
  }
  {
    std::lock_guard lock(retired_mutex_);
    if (index > retired_through_) retired_through_ = index;
  }
  retired_changed_.notify_all();
}

void StateOverlay::Fail(const Status& cause) {
  {
    std::lock_guard lock(retired_mutex_);
    if (failed_.ok()) failed_ = cause;
  }
  retired_changed_.notify_all();
}

std::optional<std::optional<std::string>> StateOverlay::Find(std::string_view key) const {
  if (size() == 0) return std::nullopt;
  std::shared_lock lock(writes_mutex_);
  auto it = writes_.find(key);
  if (it == writes_.end()) return std::nullopt;
  return it->second.value;
}

void StateOverlay::SetStalled(const Status& cause) {
  {
    std::lock_guard lock(retired_mutex_);
    stalled_ = cause;
  }
  retired_changed_.notify_all();
}

Status StateOverlay::WaitUntilRetired() const {
  std::unique_lock lock(retired_mutex_);
  const std::uint64_t target = newest_added_;
  retired_changed_.wait(
      lock, [&] { return retired_through_ >= target || !failed_.ok() || !stalled_.ok(); });
  if (retired_through_ >= target) return Status::Ok();
  return failed_.ok() ? stalled_ : failed_;
}

}  // namespace tresor::raft
