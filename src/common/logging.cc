#include "common/logging.h"

#include "common/log_stream.h"

#include <string>

namespace tresor {

StatusOr<spdlog::level::level_enum> ParseLogLevel(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "trace") return spdlog::level::trace;
  if (n == "debug") return spdlog::level::debug;
  if (n == "info" || n.empty()) return spdlog::level::info;
  if (n == "warn" || n == "warning") return spdlog::level::warn;
  if (n == "error" || n == "err") return spdlog::level::err;
  if (n == "off") return spdlog::level::off;
  return InvalidArgumentError("unknown log level \"" + std::string(name) +
                              "\"; use trace, debug, info, warn, error or off");
}

Status SetLogLevel(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto level, ParseLogLevel(name));
  // The stream keeps the logger more verbose while a sys/monitor client
  // asks for it, and the stderr sink at this level.
  LogStream::Default().SetServerLevel(level);
  return Status::Ok();
}

}  // namespace tresor
