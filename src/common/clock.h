// Time, injected: code that deals with TTLs, leases, timeouts or elections
// takes a Clock& so tests advance a FakeClock instead of sleeping.
// Thread-safe.
#pragma once

#include <atomic>
#include <chrono>

namespace tresor {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }
  static SystemClock& Get() {
    static SystemClock clock;
    return clock;
  }
};

// A clock that moves only when told to. Starts at a fixed, realistic instant.
class FakeClock final : public Clock {
 public:
  FakeClock() : now_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}
  TimePoint Now() const override { return now_.load(); }
  void Advance(std::chrono::system_clock::duration d) { now_.store(now_.load() + d); }
  void Set(TimePoint t) { now_.store(t); }

 private:
  std::atomic<TimePoint> now_;
};

// RFC 3339 with nanoseconds and a Z suffix, as Vault prints times.
std::string FormatRfc3339(Clock::TimePoint t);

}  // namespace tresor
