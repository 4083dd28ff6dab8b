// Progress of a long transfer (a snapshot save or restore) for a person
// watching: one line on stderr that rewrites itself in place,
//
//   saved 12.3 MiB of 40.0 MiB, 8.1 MiB/s, ETA 4s     (total known)
//   saved 12.3 MiB, 8.1 MiB/s                          (total unknown)
//
// redrawn at most four times a second, then replaced by a summary that ends
// the line: `saved 40.0 MiB in 5.0s (8.0 MiB/s)`. Each redraw starts with
// "\r" and the terminal's clear-to-end-of-line (ESC [K).
//
// It is for a terminal only: when stderr is not one (a pipe, a file, a CI
// log) nothing at all is printed, so scripts and logs see exactly what they
// saw before. TRESOR_PROGRESS=1 turns it on anyway, TRESOR_PROGRESS=0 off
// (ProgressWanted).
//
// Who calls it: commands that stream a large body through HttpClient's
// Download() or Upload() (operator raft snapshot save, restore), feeding
// Callback() to the transfer. Time comes from an injected Clock so tests
// advance a FakeClock instead of sleeping.
// Thread safety: one thread (the command's); not for concurrent use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>

#include "common/clock.h"

namespace tresor::cli {

// Whether to show progress on stderr: TRESOR_PROGRESS=1 yes, TRESOR_PROGRESS=0
// no; otherwise (unset, empty, any other value) exactly when stderr (fd 2)
// is a terminal (IsTerminal, terminal.h). Reads the environment.
bool ProgressWanted();

class ProgressReporter {
 public:
  // The shortest time between two redraws of the line.
  static constexpr std::chrono::milliseconds kRedrawInterval{250};

  // Reports to `out` when `enabled`, and prints nothing at all otherwise.
  // `verb` starts every line ("saved", "uploaded"); `total` is the size of
  // the transfer in bytes, when known. The time starts now.
  // REQUIRES: `out` and `clock` outlive the reporter.
  ProgressReporter(std::string verb, std::optional<std::uint64_t> total, std::ostream& out,
                   bool enabled, const Clock& clock);
  // For a command: reports to `err`, which must be the process's stderr,
  // when ProgressWanted(), timed by the system clock.
  ProgressReporter(std::string verb, std::optional<std::uint64_t> total, std::ostream& err);
  // Clears a line left drawn without Finish().
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  // `done` bytes have moved so far; `total`, when given, replaces the total
  // (a download learns it from Content-Length). Redraws the line when at
  // least kRedrawInterval has passed since the start or the last redraw;
  // otherwise only records `done`. Does nothing after Finish().
  void Update(std::uint64_t done, std::optional<std::uint64_t> total = std::nullopt);

  // Update() as a transfer callback (HttpClient's TransferProgress), valid
  // as long as this reporter.
  std::function<void(std::uint64_t, std::optional<std::uint64_t>)> Callback();

  // The transfer is over. On success, prints the summary line (ending in
  // "\n") over the progress line if one was drawn: the bytes of the last
  // Update() and the time from the start to it, so that what came after
  // the last byte (a server installing a restore) does not lower the rate.
  // On failure, clears a drawn line, so that the error message printed next
  // starts at the beginning of an empty line. Only the first call counts.
  void Finish(bool succeeded);

 private:
  // Draws `text` over the current line.
  void Draw(const std::string& text);
  // Seconds from the start to `t`.
  double SecondsSinceStart(Clock::MonotonicTimePoint t) const;

  const std::string verb_;
  std::optional<std::uint64_t> total_;
  std::ostream& out_;
  const bool enabled_;
  const Clock& clock_;
  const Clock::MonotonicTimePoint start_;
  Clock::MonotonicTimePoint last_draw_;
  Clock::MonotonicTimePoint last_update_;  // of the last Update() (enabled only)
  std::uint64_t done_ = 0;
  bool drawn_ = false;     // a progress line is on the screen
  bool finished_ = false;  // Finish() was called
};

}  // namespace tresor::cli
