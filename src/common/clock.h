// Time, injected: code that deals with TTLs, leases, timeouts, deadlines or
// polling takes a Clock& so tests advance a FakeClock instead of sleeping.
// The composition root (server/) passes SystemClock::Get(); nothing below it
// reads std::chrono clocks or sleeps on its own.
//
// Two kinds of time, as the operating system has them:
//   - wall time (Now): what users see and what is stored, TTL expiry
//     instants included. It may jump when the host's clock is set.
//   - monotonic time (MonotonicNow): for deadlines and intervals inside one
//     process (how long a join challenge lives, how long a wait may last).
//     It never goes back, and means nothing outside the process.
// Threads: every method may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace tresor {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using MonotonicTimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;

  // Wall time.
  virtual TimePoint Now() const = 0;
  // Monotonic time.
  virtual MonotonicTimePoint MonotonicNow() const = 0;
  // Blocks the calling thread for at least d of monotonic time; the pause of
  // a polling loop (PollUntil). Not a way to wait for another thread: use a
  // condition variable for that.
  virtual void SleepFor(std::chrono::nanoseconds d) = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  MonotonicTimePoint MonotonicNow() const override { return std::chrono::steady_clock::now(); }
  void SleepFor(std::chrono::nanoseconds d) override;
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to. Starts at a fixed, realistic instant.
// SleepFor returns at once and moves the clock by d: the sleeper is what
// moves time, so a polling loop runs its polls back to back and reaches its
// deadline without waiting.
class FakeClock final : public Clock {
 public:
  FakeClock()
      : now_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}),
        monotonic_(MonotonicTimePoint{} + std::chrono::hours(1000)) {}
  TimePoint Now() const override { return now_.load(); }
  MonotonicTimePoint MonotonicNow() const override { return monotonic_.load(); }
  void SleepFor(std::chrono::nanoseconds d) override;

  // Time passes: wall and monotonic time both move by d.
  void Advance(std::chrono::nanoseconds d);
  // The host's clock is set: wall time jumps to t, monotonic time stays.
  void Set(TimePoint t) { now_.store(t); }
  // How many times SleepFor was called.
  int SleepCountForTest() const { return sleeps_.load(); }

 private:
  std::atomic<TimePoint> now_;
  std::atomic<MonotonicTimePoint> monotonic_;
  std::atomic<int> sleeps_{0};
};

// Calls done() until it returns true or `timeout` of clock's monotonic time
// has passed, pausing `interval` (clock.SleepFor) between calls. done() is
// called at least once, and once more at or after the deadline. Returns
// whether done() returned true. For waiting on state this process cannot be
// told about (replication by raft peers); prefer a notification where there
// is one.
bool PollUntil(Clock& clock, std::chrono::nanoseconds timeout, std::chrono::nanoseconds interval,
               const std::function<bool()>& done);

// RFC 3339 with nanoseconds and a Z suffix, as Vault prints times.
std::string FormatRfc3339(Clock::TimePoint t);
// The same for unix nanoseconds; "" for 0 (no time).
std::string FormatRfc3339Ns(std::int64_t unix_ns);
// Parses RFC 3339 ("2026-01-02T03:04:05Z", with optional fractional
// seconds up to nanoseconds, and Z or a +hh:mm/-hh:mm offset) to unix
// nanoseconds; nullopt for anything else.
std::optional<std::int64_t> ParseRfc3339Ns(std::string_view text);

}  // namespace tresor
