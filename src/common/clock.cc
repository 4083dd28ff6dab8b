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

std::string FormatRfc3339Ns(std::int64_t unix_ns) {
  if (unix_ns == 0) return "";
  return FormatRfc3339(Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::nanoseconds(unix_ns))));
}

std::optional<std::int64_t> ParseRfc3339Ns(std::string_view text) {
  auto digits = [&](std::size_t at, std::size_t n) -> std::optional<int> {
    if (at + n > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2), hour = digits(11, 2),
       minute = digits(14, 2), second = digits(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || text[4] != '-' ||
      text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':' || *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 ||
      *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  std::size_t at = 19;
  std::int64_t nanos = 0;
  if (at < text.size() && text[at] == '.') {
    std::size_t n = 0;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at, ++n) {
      if (n < 9) nanos = nanos * 10 + (text[at] - '0');
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) nanos *= 10;
  }
  std::int64_t offset_s = 0;
  if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    auto oh = digits(at + 1, 2), om = digits(at + 4, 2);
    if (!oh || !om || at + 3 >= text.size() || text[at + 3] != ':') return std::nullopt;
    offset_s = (text[at] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    at += 6;
  } else {
    return std::nullopt;
  }
  if (at != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = *minute;
  tm.tm_sec = *second;
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
  return seconds * 1'000'000'000 + nanos;
}

}  // namespace tresor
