#include "loadgen/schedule.h"

#include <algorithm>
#include <cmath>

namespace tresor::bench {

OpenLoopSchedule MakeOpenLoopSchedule(std::chrono::steady_clock::time_point start,
                                      double total_rate, int connections, int connection) {
  // Rounded to the nearest nanosecond rather than truncated, so a rate that
  // does not divide a second evenly is off by under half a nanosecond per
  // request.
  double interval_ns = 1e9 * static_cast<double>(connections) / total_rate;
  double offset_ns = 1e9 * static_cast<double>(connection) / total_rate;
  return OpenLoopSchedule{start, std::chrono::nanoseconds(std::llround(interval_ns)),
                          std::chrono::nanoseconds(std::llround(offset_ns))};
}

std::chrono::steady_clock::time_point ScheduledSendTime(const OpenLoopSchedule& schedule,
                                                        int64_t sequence) {
  return schedule.start + schedule.offset + schedule.interval * sequence;
}

std::chrono::steady_clock::time_point ActualSendTime(std::chrono::steady_clock::time_point due,
                                                     std::chrono::steady_clock::time_point now) {
  return std::max(due, now);
}

}  // namespace tresor::bench
