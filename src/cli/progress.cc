#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <utility>

#include "cli/environment.h"
#include "cli/terminal.h"
#include "common/duration.h"

namespace tresor::cli {
namespace {

// Back to the start of the line, then erase to its end (ANSI "EL").
constexpr char kRewriteLine[] = "\r\x1b[K";

// "512 B", "12.3 MiB": binary units, one decimal from KiB on.
std::string ProgressBytes(double bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(static_cast<std::uint64_t>(bytes)) + " B";
  double value = bytes / 1024;
  std::size_t unit = 0;
  // 1023.96 KiB would print as "1024.0 KiB": call it 1.0 MiB.
  while (value >= 1023.95 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit]);
  return text;
}

// "5.0s" under a minute, then Go's "2m5s", "1h0m3s" (FormatDuration).
std::string ProgressSeconds(double seconds) {
  if (seconds < 59.95) {
    char text[16];
    std::snprintf(text, sizeof(text), "%.1fs", seconds);
    return text;
  }
  return FormatDuration(std::chrono::seconds(std::llround(seconds)));
}

}  // namespace

bool ProgressWanted() {
  std::optional<std::string> forced = FirstEnv({"TRESOR_PROGRESS"});
  if (forced == "1") return true;
  if (forced == "0") return false;
  return IsTerminal(STDERR_FILENO);
}

ProgressReporter::ProgressReporter(std::string verb, std::optional<std::uint64_t> total,
                                   std::ostream& out, bool enabled, const Clock& clock)
    : verb_(std::move(verb)),
      total_(total),
      out_(out),
      enabled_(enabled),
      clock_(clock),
      start_(clock.MonotonicNow()),
      last_draw_(start_),
      last_update_(start_) {}

ProgressReporter::ProgressReporter(std::string verb, std::optional<std::uint64_t> total,
                                   std::ostream& err)
    : ProgressReporter(std::move(verb), total, err, ProgressWanted(), SystemClock::Get()) {}

ProgressReporter::~ProgressReporter() {
  if (!finished_) Finish(false);
}

void ProgressReporter::Update(std::uint64_t done, std::optional<std::uint64_t> total) {
  if (finished_) return;
  done_ = done;
  if (total) total_ = total;
  if (!enabled_) return;
  const Clock::MonotonicTimePoint now = clock_.MonotonicNow();
  last_update_ = now;
  if (now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;

  // The average since the start: steadier to read than the last piece's.
  const double rate = static_cast<double>(done_) / SecondsSinceStart(now);
  std::string line = verb_ + " " + ProgressBytes(static_cast<double>(done_));
  if (total_) line += " of " + ProgressBytes(static_cast<double>(*total_));
  line += ", " + ProgressBytes(rate) + "/s";
  if (total_ && rate > 0) {
    const double left = static_cast<double>(*total_ > done_ ? *total_ - done_ : 0);
    // Capped so that a crawl of a few bytes a second cannot overflow.
    const double eta = std::min(std::ceil(left / rate), static_cast<double>(kMaxDuration.count()));
    line += ", ETA " + FormatDuration(std::chrono::seconds(static_cast<std::int64_t>(eta)));
  }
  Draw(line);
  drawn_ = true;
}

std::function<void(std::uint64_t, std::optional<std::uint64_t>)> ProgressReporter::Callback() {
  return [this](std::uint64_t done, std::optional<std::uint64_t> total) { Update(done, total); };
}

void ProgressReporter::Finish(bool succeeded) {
  if (finished_) return;
  finished_ = true;
  if (!enabled_) return;
  if (!succeeded) {
    if (drawn_) out_ << kRewriteLine << std::flush;
    return;
  }
  // The time of the transfer itself, without what followed its last byte
  // (the server installing a restore, the client verifying a save).
  const double elapsed = SecondsSinceStart(last_update_);
  std::string line =
      verb_ + " " + ProgressBytes(static_cast<double>(done_)) + " in " + ProgressSeconds(elapsed);
  if (elapsed > 0) line += " (" + ProgressBytes(static_cast<double>(done_) / elapsed) + "/s)";
  Draw(line + "\n");
}

void ProgressReporter::Draw(const std::string& text) { out_ << kRewriteLine << text << std::flush; }

double ProgressReporter::SecondsSinceStart(Clock::MonotonicTimePoint t) const {
  return std::chrono::duration<double>(t - start_).count();
}

}  // namespace tresor::cli
