// An audit device: where audit lines go. The broker (audit_broker.h) formats
// one JSON line per request and per response and hands it to every enabled
// device; a device only writes it.
//
// Devices (docs/audit.md):
//   file    file_path (a path, "stdout" or "discard"), mode (octal, "0600")
//   socket  address ("host:port"), socket_type ("tcp" or "udp"),
//           write_timeout (a duration, "2s"): a peer that stops reading
//           fails the write after that long instead of hanging requests
//   syslog  facility ("AUTH", "LOCAL0", ...), tag ("tresor")
//
// Threads: Write and Reopen are safe to call concurrently; each device
// serialises its own writes.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::core::audit {

class Device {
 public:
  virtual ~Device() = default;
  // Writes `line` followed by a newline. OK once the line was handed to the
  // OS; IOError (with the reason) when it could not be, within the device's
  // timeout.
  [[nodiscard]] virtual Status Write(std::string_view line) = 0;
  // Closes and opens the output again (file rotation on SIGHUP). Other
  // devices do nothing.
  [[nodiscard]] virtual Status Reopen() { return Status::Ok(); }
};

// The device of `type` with its own options. `options` holds only the
// device's keys (the broker removes hmac_accessor, log_raw,
// elide_list_responses and format first); an unknown key, a bad value or an
// output that cannot be opened is InvalidArgument, saying which.
StatusOr<std::unique_ptr<Device>> NewDevice(const std::string& type,
                                            std::map<std::string, std::string> options);

}  // namespace tresor::core::audit
