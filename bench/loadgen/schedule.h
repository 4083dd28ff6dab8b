// The open-loop send schedule (--rate): when each request of each connection
// is due.
//
// Connection calls these from its event-loop thread; they are pure
// functions of their arguments (no clock, no state), so tests check the
// schedule exactly.
//
// With a total rate R over C connections, each connection sends every
// C / R seconds, and connection c starts c / R seconds after the others'
// common start, so the C streams interleave evenly instead of arriving in
// bursts of C. A request is due at its scheduled time whatever happened to
// the one before: when an answer comes late, the next request is sent as
// soon as it arrives and its latency still counts from its own scheduled
// time. That is the coordinated-omission correction: a stalled server is
// charged for the requests it kept waiting, not only for the one it stalled.
#ifndef TRESOR_BENCH_LOADGEN_SCHEDULE_H_
#define TRESOR_BENCH_LOADGEN_SCHEDULE_H_

#include <chrono>
#include <cstdint>

namespace tresor::bench {

struct OpenLoopSchedule {
  std::chrono::steady_clock::time_point start;  // the run's common start
  std::chrono::nanoseconds interval;            // between one connection's requests
  std::chrono::nanoseconds offset;              // this connection's stagger
};

// The schedule of connection `connection` of `connections` at `total_rate`
// requests per second in all, starting at `start`.
// REQUIRES: total_rate > 0, 0 <= connection < connections.
OpenLoopSchedule MakeOpenLoopSchedule(std::chrono::steady_clock::time_point start,
                                      double total_rate, int connections, int connection);

// When the `sequence`-th request (from 0) of the schedule is due:
// start + offset + sequence * interval.
std::chrono::steady_clock::time_point ScheduledSendTime(const OpenLoopSchedule& schedule,
                                                        int64_t sequence);

// When to actually send a request due at `due` if the connection is free at
// `now`: at `due`, or at once when it is already late.
std::chrono::steady_clock::time_point ActualSendTime(std::chrono::steady_clock::time_point due,
                                                     std::chrono::steady_clock::time_point now);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_SCHEDULE_H_
