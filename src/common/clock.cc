#include "common/clock.h"

#include <cstdio>
#include <ctime>
#include <string>
#include <thread>

namespace tresor {
namespace {

// Adds d to an atomic time point without losing a concurrent addition.
template <typename TimePointT>
void AddTo(std::atomic<TimePointT>& point, std::chrono::nanoseconds d) {
  const auto step = std::chrono::duration_cast<typename TimePointT::duration>(d);
  TimePointT old = point.load();
  while (!point.compare_exchange_weak(old, old + step)) {
  }
}

}  // namespace

void SystemClock::SleepFor(std::chrono::nanoseconds d) { std::this_thread::sleep_for(d); }

void FakeClock::Advance(std::chrono::nanoseconds d) {
  AddTo(now_, d);
  AddTo(monotonic_, d);
}

void FakeClock::SleepFor(std::chrono::nanoseconds d) {
  ++sleeps_;
  Advance(d);
}

bool PollUntil(Clock& clock, std::chrono::nanoseconds timeout, std::chrono::nanoseconds interval,
               const std::function<bool()>& done) {
  const Clock::MonotonicTimePoint deadline = clock.MonotonicNow() + timeout;
  while (true) {
    if (done()) return true;
    if (clock.MonotonicNow() >= deadline) return false;
    clock.SleepFor(interval);
  }
}

std::string FormatRfc3339(Clock::TimePoint t) {
  auto secs = std::chrono::time_point_cast<std::chrono::seconds>(t);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - secs).count();
  std::time_t tt = std::chrono::system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(nanos));
  return buf;
}

}  // namespace tresor
