#include "common/duration.h"

#include <cstdint>
#include <limits>

namespace tresor {
namespace {

constexpr std::string_view kUnitHint = "use ns, us, ms, s, m, h or d";

// Go's limit: a duration is an int64 count of nanoseconds.
constexpr unsigned __int128 kMaxNanos = std::numeric_limits<int64_t>::max();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Nanoseconds per unit, or 0 when `unit` is not a unit.
uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  // Go accepts both the micro sign (U+00B5) and the Greek mu (U+03BC).
  if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") return 1'000;
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60ULL * 1'000'000'000;
  if (unit == "h") return 3'600ULL * 1'000'000'000;
  if (unit == "d") return 86'400ULL * 1'000'000'000;
  return 0;
}

Status Invalid(std::string_view text, std::string_view why) {
  return InvalidArgumentError("invalid duration \"" + std::string(text) +
                              "\": " + std::string(why));
}

Status TooLarge(std::string_view text) {
  return Invalid(text, "too large (the maximum is " + FormatDuration(kMaxDuration) + ")");
}

}  // namespace

StatusOr<std::chrono::seconds> ParseDuration(std::string_view input) {
  const std::string_view text = TrimSpaces(input);
  if (text.empty()) {
    return InvalidArgumentError(
        "empty duration; use e.g. \"30m\", \"768h\", \"7d\" or a number of seconds");
  }
  std::string_view rest = text;
  if (rest.front() == '-') return Invalid(text, "durations cannot be negative");
  if (rest.front() == '+') rest.remove_prefix(1);

  // Vault's shortcut: a bare integer is a count of seconds.
  bool all_digits = !rest.empty();
  for (char c : rest) all_digits = all_digits && IsDigit(c);
  if (all_digits) {
    uint64_t seconds = 0;
    for (char c : rest) {
      seconds = seconds * 10 + static_cast<uint64_t>(c - '0');
      if (seconds > static_cast<uint64_t>(kMaxDuration.count())) return TooLarge(text);
    }
    return std::chrono::seconds(static_cast<int64_t>(seconds));
  }

  // Go form: one or more <digits>[.<digits>]<unit>. Accumulating in 128-bit
  // nanoseconds keeps every intermediate exact and overflow checks simple.
  unsigned __int128 total_nanos = 0;
  while (!rest.empty()) {
    unsigned __int128 whole = 0;
    std::size_t i = 0;
    for (; i < rest.size() && IsDigit(rest[i]); ++i) {
      whole = whole * 10 + static_cast<unsigned>(rest[i] - '0');
      if (whole > kMaxNanos) return TooLarge(text);
    }
    const std::size_t whole_digits = i;
    unsigned __int128 fraction = 0;
    unsigned __int128 fraction_scale = 1;
    std::size_t fraction_digits = 0;
    if (i < rest.size() && rest[i] == '.') {
      for (++i; i < rest.size() && IsDigit(rest[i]); ++i, ++fraction_digits) {
        // Digits past nanosecond precision of a day cannot change the result.
        if (fraction_digits < 18) {
          fraction = fraction * 10 + static_cast<unsigned>(rest[i] - '0');
          fraction_scale *= 10;
        }
      }
    }
    if (whole_digits == 0 && fraction_digits == 0) {
      return Invalid(text, "expected a number before \"" + std::string(rest) + "\"");
    }
    const std::size_t unit_start = i;
    while (i < rest.size() && !IsDigit(rest[i]) && rest[i] != '.') ++i;
    const std::string_view number = rest.substr(0, unit_start);
    const std::string_view unit = rest.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      return Invalid(text, "missing unit after \"" + std::string(number) + "\" (" +
                               std::string(kUnitHint) + ")");
    }
    const uint64_t unit_nanos = UnitNanos(unit);
    if (unit_nanos == 0) {
      return Invalid(text,
                     "unknown unit \"" + std::string(unit) + "\" (" + std::string(kUnitHint) + ")");
    }
    total_nanos += whole * unit_nanos + fraction * unit_nanos / fraction_scale;
    if (total_nanos > kMaxNanos) return TooLarge(text);
    rest.remove_prefix(i);
  }
  // Rounds down: sub-second parts are dropped (see the header).
  return std::chrono::seconds(static_cast<int64_t>(total_nanos / 1'000'000'000));
}

std::string FormatDuration(std::chrono::seconds duration) {
  int64_t seconds = duration.count();
  if (seconds == 0) return "0s";
  std::string sign;
  // Negate in unsigned arithmetic so that the minimum int64 does not overflow.
  uint64_t magnitude = static_cast<uint64_t>(seconds);
  if (seconds < 0) {
    sign = "-";
    magnitude = ~magnitude + 1;
  }
  const uint64_t hours = magnitude / 3600;
  const uint64_t minutes = magnitude / 60 % 60;
  const uint64_t secs = magnitude % 60;
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(secs) + "s";
  return out;
}

}  // namespace tresor
