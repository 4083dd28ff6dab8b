// GET sys/monitor: streams this node's log lines to the client, at the level
// and in the format it asks for, until it goes away or the server shuts
// down (common/log_stream.h; docs/observability.md, "Log streaming").
//
// As in Vault it needs `read` on sys/monitor (not sudo), and every node
// answers for itself (a standby streams its own lines, never forwards).
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>

#include "common/log_stream.h"
#include "core/sys_handlers.h"

namespace tresor::core {
namespace {

std::string QueryParam(const Request& request, const char* name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

}  // namespace

void RegisterMonitorHandlers(SysRouter& router) {
  LogStream& stream = LogStream::Default();
  SysRoute monitor;
  monitor.handlers[Operation::kRead] = [&stream](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(spdlog::level::level_enum level,
                            ParseMonitorLogLevel(QueryParam(request, "log_level")));
    TRESOR_ASSIGN_OR_RETURN(LogFormat format, ParseLogFormat(QueryParam(request, "log_format")));
    // Subscribed before answering, so that no line logged after the
    // response began is missed, and so that a refusal (too many monitors,
    // shutting down) is a proper error response.
    TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<LogStream::Subscription> subscription,
                            stream.Subscribe(level, format));
    std::shared_ptr<LogStream::Subscription> shared(std::move(subscription));
    Response response;
    response.content_type = format == LogFormat::kJson ? "application/json" : "text/plain";
    response.body_stream = [shared, level, format](
                               const std::function<Status(std::string_view)>& write) -> Status {
      // The first line is the stream's own: it sends the response header at
      // once, so that the client knows it is connected before the server
      // logs anything.
      std::string lines = FormatLogLine(
          spdlog::level::info, std::chrono::system_clock::now(),
          std::string("monitor: streaming log lines at level ") +
              std::string(LogLevelName(level)) + " and above",
          format);
      do {
        // A failed write is the client leaving (or not reading for the
        // listener's write timeout): the stream ends without an error.
        if (!write(lines).ok()) {
          spdlog::debug("monitor: the client left; its stream at level {} ended",
                        LogLevelName(level));
          return Status::Ok();
        }
      } while (shared->Next(&lines));
      spdlog::debug("monitor: the server is shutting down; a stream at level {} ended",
                    LogLevelName(level));
      return Status::Ok();
    };
    return response;
  };
  router.Add("sys/monitor", std::move(monitor));
}

}  // namespace tresor::core
