#include "common/log_stream.h"

#include <spdlog/sinks/sink.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>
#include <vector>

#include <nlohmann/json.hpp>

namespace tresor {

struct LogStream::Subscription::Queue {
  Queue(spdlog::level::level_enum l, LogFormat f) : level(l), format(f) {}
  const spdlog::level::level_enum level;
  const LogFormat format;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> lines;  // GUARDED_BY(mu)
  std::size_t bytes = 0;          // GUARDED_BY(mu); the size of `lines`
  // Lines lost since the reader last took its batch. While non-zero every
  // new line is dropped too, so that the notice sits where the gap is.
  std::uint64_t dropped = 0;  // GUARDED_BY(mu)
  bool closed = false;        // GUARDED_BY(mu)
};

namespace {

using Queue = LogStream::Subscription::Queue;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string Timestamp(std::chrono::system_clock::time_point t) {
  const auto since_epoch = t.time_since_epoch();
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since_epoch - secs);
  const std::time_t tt = static_cast<std::time_t>(secs.count());
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>(micros.count()));
  return buf;
}

// Tresor's messages start with their subsystem ("http: GET ..."): that is
// the module of hclog's JSON. Empty when the message has no such prefix.
std::string_view ModuleOf(std::string_view message) {
  const std::size_t colon = message.find(": ");
  if (colon == std::string_view::npos || colon == 0 || colon > 32) return {};
  for (char c : message.substr(0, colon)) {
    const bool ok = std::islower(static_cast<unsigned char>(c)) ||
                    std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                    c == '.' || c == '/';
    if (!ok) return {};
  }
  return message.substr(0, colon);
}

}  // namespace

std::string_view LogLevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
      return "trace";
    case spdlog::level::debug:
      return "debug";
    case spdlog::level::info:
      return "info";
    case spdlog::level::warn:
      return "warn";
    default:
      return "error";
  }
}

std::string FormatLogLine(spdlog::level::level_enum level,
                          std::chrono::system_clock::time_point time, std::string_view message,
                          LogFormat format) {
  if (format == LogFormat::kJson) {
    nlohmann::json line = {{"@level", LogLevelName(level)}, {"@timestamp", Timestamp(time)}};
    std::string_view module = ModuleOf(message);
    if (!module.empty()) {
      line["@module"] = module;
      message.remove_prefix(module.size() + 2);
    }
    line["@message"] = message;
    // A message is not always valid UTF-8 (a path a client sent): replace,
    // never throw on a logging thread.
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string upper(LogLevelName(level));
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string tag = "[" + upper + "]";
  tag.resize(7, ' ');  // "[INFO] " lines up with "[DEBUG]", as hclog's
  std::string out = Timestamp(time);
  out += ' ';
  out += tag;
  out += ' ';
  out += message;
  out += '\n';
  return out;
}

namespace {

std::string DroppedNotice(std::uint64_t dropped, LogFormat format) {
  return FormatLogLine(spdlog::level::warn, std::chrono::system_clock::now(),
                       "monitor: " + std::to_string(dropped) +
                           " log lines were dropped because this client reads too slowly",
                       format);
}

}  // namespace

StatusOr<spdlog::level::level_enum> ParseMonitorLogLevel(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "trace") return spdlog::level::trace;
  if (n == "debug") return spdlog::level::debug;
  if (n == "info" || n.empty()) return spdlog::level::info;
  if (n == "warn") return spdlog::level::warn;
  if (n == "error") return spdlog::level::err;
  return InvalidArgumentError("log_level: unknown log level \"" + std::string(name) +
                              "\"; use trace, debug, info, warn or error");
}

StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  const std::string n = Lower(name);
  if (n == "standard" || n.empty()) return LogFormat::kStandard;
  if (n == "json") return LogFormat::kJson;
  return InvalidArgumentError("log_format: unknown log format \"" + std::string(name) +
                              "\"; use standard or json");
}

// The sink, and every subscriber's queue. One mutex (mu_) guards the list
// of queues and the levels; each queue has its own for its lines.
class LogStream::Hub final : public spdlog::sinks::sink {
 public:
  Hub(std::weak_ptr<spdlog::logger> logger, Limits limits)
      : logger_(std::move(logger)), limits_(limits) {
    set_level(spdlog::level::off);
  }

  // Called by spdlog on the logging thread, only while some subscriber's
  // level lets the line through (the sink's level is the lowest of them).
  void log(const spdlog::details::log_msg& msg) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    std::string formatted[2];
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::shared_ptr<Queue>& queue : queues_) {
      if (msg.level < queue->level) continue;
      std::string& line = formatted[queue->format == LogFormat::kJson ? 1 : 0];
      if (line.empty()) line = FormatLogLine(msg.level, msg.time, message, queue->format);
      Offer(*queue, line);
    }
  }
  void flush() override {}
  void set_pattern(const std::string&) override {}
  void set_formatter(std::unique_ptr<spdlog::formatter>) override {}

  void SetServerLevel(spdlog::level::level_enum level) {
    std::lock_guard<std::mutex> lock(mu_);
    server_level_ = level;
    if (auto logger = logger_.lock()) {
      for (const spdlog::sink_ptr& sink : logger->sinks()) {
        if (sink.get() != this) sink->set_level(level);
      }
    }
    ApplyLevels();
  }

  spdlog::level::level_enum server_level() const {
    std::lock_guard<std::mutex> lock(mu_);
    return server_level_;
  }

  StatusOr<std::shared_ptr<Queue>> Add(spdlog::level::level_enum level, LogFormat format) {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return UnavailableError("the server is shutting down");
    if (queues_.size() >= limits_.max_subscribers) {
      return UnavailableError("too many log monitors: at most " +
                              std::to_string(limits_.max_subscribers) + " may stream at once");
    }
    auto queue = std::make_shared<Queue>(level, format);
    queues_.push_back(queue);
    ApplyLevels();
    return queue;
  }

  void Remove(const std::shared_ptr<Queue>& queue) {
    std::lock_guard<std::mutex> lock(mu_);
    queues_.erase(std::remove(queues_.begin(), queues_.end(), queue), queues_.end());
    ApplyLevels();
  }

  void SetClosed(bool closed) {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = closed;
    if (!closed) return;
    for (const std::shared_ptr<Queue>& queue : queues_) {
      std::lock_guard<std::mutex> queue_lock(queue->mu);
      queue->closed = true;
      queue->cv.notify_all();
    }
  }

  std::size_t Count() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queues_.size();
  }

 private:
  // REQUIRES: mu_ held.
  void Offer(Queue& queue, const std::string& line) {
    std::lock_guard<std::mutex> lock(queue.mu);
    if (queue.closed) return;
    if (queue.dropped > 0 || queue.lines.size() >= limits_.max_lines ||
        queue.bytes + line.size() > limits_.max_bytes) {
      ++queue.dropped;
    } else {
      queue.lines.push_back(line);
      queue.bytes += line.size();
    }
    queue.cv.notify_one();
  }

  // The sink passes the most verbose subscriber's level (off with none);
  // the logger passes that or the server's, whichever is more verbose.
  // REQUIRES: mu_ held.
  void ApplyLevels() {
    spdlog::level::level_enum wanted = spdlog::level::off;
    for (const std::shared_ptr<Queue>& queue : queues_) wanted = std::min(wanted, queue->level);
    set_level(wanted);
    if (auto logger = logger_.lock()) logger->set_level(std::min(wanted, server_level_));
  }

  const std::weak_ptr<spdlog::logger> logger_;
  const Limits limits_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Queue>> queues_;                    // GUARDED_BY(mu_)
  spdlog::level::level_enum server_level_ = spdlog::level::info;  // GUARDED_BY(mu_)
  bool closed_ = false;                                           // GUARDED_BY(mu_)
};

LogStream::LogStream(std::shared_ptr<spdlog::logger> logger, Limits limits)
    : logger_(std::move(logger)), hub_(std::make_shared<Hub>(logger_, limits)) {
  logger_->sinks().push_back(hub_);
  SetServerLevel(logger_->level());
}

LogStream::~LogStream() {
  hub_->SetClosed(true);
  auto& sinks = logger_->sinks();
  sinks.erase(std::remove(sinks.begin(), sinks.end(), hub_), sinks.end());
  logger_->set_level(hub_->server_level());
}

LogStream& LogStream::Default() {
  static LogStream* const stream = new LogStream(spdlog::default_logger());
  return *stream;
}

void LogStream::SetServerLevel(spdlog::level::level_enum level) { hub_->SetServerLevel(level); }

spdlog::level::level_enum LogStream::server_level() const { return hub_->server_level(); }

StatusOr<std::unique_ptr<LogStream::Subscription>> LogStream::Subscribe(
    spdlog::level::level_enum level, LogFormat format) {
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<Queue> queue, hub_->Add(level, format));
  return std::unique_ptr<Subscription>(new Subscription(hub_, std::move(queue)));
}

void LogStream::CloseAll() { hub_->SetClosed(true); }
void LogStream::Open() { hub_->SetClosed(false); }
std::size_t LogStream::SubscriberCount() const { return hub_->Count(); }

LogStream::Subscription::~Subscription() { hub_->Remove(queue_); }

bool LogStream::Subscription::Next(std::string* lines) {
  std::unique_lock<std::mutex> lock(queue_->mu);
  queue_->cv.wait(lock, [this] {
    return queue_->closed || !queue_->lines.empty() || queue_->dropped > 0;
  });
  // Closing delivers what was queued before it (the server's last lines).
  if (queue_->lines.empty() && queue_->dropped == 0) return false;
  lines->clear();
  lines->reserve(queue_->bytes);
  for (const std::string& line : queue_->lines) lines->append(line);
  queue_->lines.clear();
  queue_->bytes = 0;
  const std::uint64_t dropped = queue_->dropped;
  queue_->dropped = 0;
  lock.unlock();
  if (dropped > 0) lines->append(DroppedNotice(dropped, queue_->format));
  return true;
}

}  // namespace tresor
