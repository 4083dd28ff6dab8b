// LogStream: fans the server's log lines out to live subscribers, for
// GET sys/monitor (core/sys_monitor_handlers.cc). It is a spdlog sink added
// to one logger (LogStream::Default(): spdlog's default logger, through
// which all of Tresor logs).
//
// Levels: the logger's own sinks (stderr) keep the server's configured level
// (SetServerLevel, which common/logging.h's SetLogLevel calls). While a
// subscriber wants a more verbose level than that, the logger's level is
// lowered to it so that the subscriber gets those lines, and the other sinks
// filter them out; the last such subscriber leaving restores it. With no
// subscriber the sink's own level is `off`, so logging costs what it did
// without it: no line is formatted for the stream.
//
// Memory: each subscriber has a bounded queue (Limits). A subscriber that
// does not keep up never slows logging: lines that do not fit are dropped
// and counted, and the subscriber's next batch ends with a line saying how
// many were lost. At most Limits::max_subscribers subscribe at once.
//
// Lines never hold more than the log message itself, and Tresor never logs
// a secret, a token or a request body (common/logging.h).
//
// Threads: everything is thread-safe. Logging threads only take the
// stream's mutex and a subscriber's, never block on a reader.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor {

enum class LogFormat {
  kStandard,  // "2026-12-07T09:49:31.123Z [INFO]  core: message", as Vault's hclog
  kJson,      // {"@level":"info","@message":"...","@module":"core","@timestamp":"..."}
};

// Vault's monitor levels: trace, debug, info, warn, error (any case); "" is
// info. InvalidArgument naming the allowed values for anything else.
StatusOr<spdlog::level::level_enum> ParseMonitorLogLevel(std::string_view name);
// "standard" or "json" (any case); "" is standard. InvalidArgument otherwise.
StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// One line as a subscriber in `format` receives it, ending in '\n'.
std::string FormatLogLine(spdlog::level::level_enum level,
                          std::chrono::system_clock::time_point time, std::string_view message,
                          LogFormat format);
// Vault's name of a level: trace, debug, info, warn, error (spdlog's err and
// critical are both error).
std::string_view LogLevelName(spdlog::level::level_enum level);

class LogStream {
 public:
  struct Limits {
    std::size_t max_lines = 1000;         // per subscriber
    std::size_t max_bytes = 1024 * 1024;  // per subscriber
    std::size_t max_subscribers = 16;
  };

  // Adds the stream's sink to `logger` and takes the logger's current level
  // as the server's. REQUIRES: no thread logs through `logger` during the
  // call (spdlog's sink list is not guarded). The stream must outlive the
  // logger's use, or the logger must be dropped first.
  explicit LogStream(std::shared_ptr<spdlog::logger> logger, Limits limits);
  explicit LogStream(std::shared_ptr<spdlog::logger> logger) : LogStream(std::move(logger), {}) {}
  ~LogStream();

  LogStream(const LogStream&) = delete;
  LogStream& operator=(const LogStream&) = delete;

  // The stream on spdlog's default logger, created on first use (which
  // must come before other threads log: the server's start and the core's
  // construction both call it). Never destroyed.
  static LogStream& Default();

  // The configured level: the logger's other sinks get it, and the logger
  // gets it or a subscriber's more verbose one.
  void SetServerLevel(spdlog::level::level_enum level);
  spdlog::level::level_enum server_level() const;

  class Subscription;
  // A new subscriber receiving the lines at `level` or above, formatted as
  // `format`. Unavailable while closed (CloseAll) and when max_subscribers
  // already subscribe. The subscription ends when it is destroyed.
  StatusOr<std::unique_ptr<Subscription>> Subscribe(spdlog::level::level_enum level,
                                                    LogFormat format);

  // For the server's shutdown: ends every subscription (Next returns false
  // at once) and refuses new ones until Open. Does not block.
  void CloseAll();
  void Open();

  std::size_t SubscriberCount() const;

 private:
  class Hub;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<Hub> hub_;
};

class LogStream::Subscription {
 public:
  ~Subscription();  // unsubscribes; restores the logger's level if needed
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Blocks until at least one line is queued, then moves every queued line
  // (each ending in '\n', followed by a dropped-lines notice when some were
  // lost) into *lines and returns true. Once the stream is closed
  // (CloseAll) it returns what was queued before, then false without
  // waiting.
  bool Next(std::string* lines);

  struct Queue;  // implementation detail, shared with the sink

 private:
  friend class LogStream;
  Subscription(std::shared_ptr<Hub> hub, std::shared_ptr<Queue> queue)
      : hub_(std::move(hub)), queue_(std::move(queue)) {}
  std::shared_ptr<Hub> hub_;
  std::shared_ptr<Queue> queue_;
};

}  // namespace tresor
