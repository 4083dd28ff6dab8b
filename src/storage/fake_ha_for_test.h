// FakeHABackend: storage::HABackend (storage/ha_backend.h) for tests of its
// callers (core::Ha), with no real lock behind it. Several fakes share one
// FakeHAArbiter, so that two Cores on one InmemBackend contend for one lock:
// the first Acquire to find the lock free takes it, with a new epoch. The
// test takes it away (LoseCurrentForTest: on_lost runs on the test's
// thread, as a backend thread would run it) or scripts ConfirmHeld's answer.
// A node that released the lock (step-down) does not take it again until
// another node has, like the lock backends' step-down hold-off.
// DataWithFakeHA puts a fake's lock on any data backend.
// For tests only; header-only.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "storage/forwarding_backend.h"
#include "storage/ha_backend.h"

namespace tresor::storage {

class FakeHAArbiter {
 public:
  struct Tenure {
    std::string holder_id;
    std::uint64_t epoch = 0;
    std::atomic<bool> held{true};
    std::function<void()> on_lost;
  };

  // Ends the current tenure as a lost lock would: Held() false, on_lost.
  // The loser then waits for another node to take the lock first, so that
  // a test can tell the loser's reaction from its next tenure.
  void LoseCurrentForTest() {
    std::shared_ptr<Tenure> lost;
    {
      std::lock_guard lock(mu_);
      lost = std::move(current_);
      if (lost) released_by_ = lost->holder_id;
    }
    changed_.notify_all();
    if (lost) {
      lost->held = false;
      if (lost->on_lost) lost->on_lost();
    }
  }
  // What ConfirmHeld answers while the lock is held (Ok by default).
  void SetConfirmForTest(Status status) {
    std::lock_guard lock(mu_);
    confirm_ = std::move(status);
  }
  int releases() const { return releases_; }

  // For the fakes.
  StatusOr<std::shared_ptr<Tenure>> Take(const std::string& who, std::function<void()> on_lost,
                                         std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!changed_.wait(lock, stop,
                       [&] { return current_ == nullptr && released_by_ != who; })) {
      return UnavailableError("stopped waiting for the fake lock");
    }
    released_by_.clear();
    current_ = std::make_shared<Tenure>();
    current_->holder_id = who;
    current_->epoch = ++epochs_;
    current_->on_lost = std::move(on_lost);
    return current_;
  }
  void Give(const Tenure* tenure, bool released) {
    {
      std::lock_guard lock(mu_);
      if (current_.get() != tenure) return;
      if (released) {
        ++releases_;
        released_by_ = current_->holder_id;
      }
      current_.reset();
    }
    changed_.notify_all();
  }
  std::optional<HAHolder> Holder() {
    std::lock_guard lock(mu_);
    if (current_ == nullptr) return std::nullopt;
    return HAHolder{current_->holder_id, current_->epoch};
  }
  Status Confirm() {
    std::lock_guard lock(mu_);
    return confirm_;
  }

 private:
  std::mutex mu_;
  std::condition_variable_any changed_;
  std::shared_ptr<Tenure> current_;
  std::uint64_t epochs_ = 0;
  std::string released_by_;  // holds off this node's next Take
  Status confirm_;
  std::atomic<int> releases_{0};
};

class FakeHABackend : public HABackend {
 public:
  FakeHABackend(FakeHAArbiter& arbiter, std::string name) : arbiter_(arbiter), name_(name) {}

  StatusOr<std::unique_ptr<HALock>> Acquire(std::string_view, std::string_view,
                                            std::function<void()> on_lost,
                                            std::stop_token stop) override {
    TRESOR_ASSIGN_OR_RETURN(auto tenure, arbiter_.Take(name_, std::move(on_lost), stop));
    return std::unique_ptr<HALock>(std::make_unique<Lock>(arbiter_, std::move(tenure)));
  }
  StatusOr<std::optional<HAHolder>> Holder(std::string_view) override {
    return arbiter_.Holder();
  }
  std::chrono::milliseconds lost_detection() const override { return std::chrono::milliseconds(1); }

 private:
  class Lock : public HALock {
   public:
    Lock(FakeHAArbiter& arbiter, std::shared_ptr<FakeHAArbiter::Tenure> tenure)
        : arbiter_(arbiter), tenure_(std::move(tenure)) {}
    ~Lock() override { arbiter_.Give(tenure_.get(), /*released=*/false); }
    const std::string& holder_id() const override { return tenure_->holder_id; }
    std::uint64_t epoch() const override { return tenure_->epoch; }
    bool Held() const override { return tenure_->held; }
    Status ConfirmHeld() override {
      if (!Held()) return UnavailableError("the fake lock was lost");
      return arbiter_.Confirm();
    }
    bool fences_writes() const override { return false; }
    Status Release() override {
      tenure_->held = false;
      arbiter_.Give(tenure_.get(), /*released=*/true);
      return Status::Ok();
    }

   private:
    FakeHAArbiter& arbiter_;
    const std::shared_ptr<FakeHAArbiter::Tenure> tenure_;
  };

  FakeHAArbiter& arbiter_;
  const std::string name_;
};

// A data backend with a fake's lock as its HA capability.
class DataWithFakeHA : public ForwardingBackend {
 public:
  DataWithFakeHA(Backend& data, FakeHAArbiter& arbiter, std::string name)
      : ForwardingBackend(&data), ha_(arbiter, std::move(name)) {}
  HABackend* AsHA() override { return &ha_; }

 private:
  FakeHABackend ha_;
};

}  // namespace tresor::storage
