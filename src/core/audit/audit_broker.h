// The audit broker: the table of enabled audit devices and the one place
// that writes audit entries (docs/audit.md). Core calls LogRequest after it
// has authenticated a request and before the request runs, and LogResponse
// once it has the answer; both fail (and core fails the request) when
// devices are enabled and none of them took the entry: audit fails closed.
//
// Entries are Vault's: one JSON line per request and per response, with the
// client token, accessors and every string value of request and response
// data HMAC-SHA256'd under the device's own salt ("hmac-sha256:<hex>").
// The device table, salts included, lives in the barrier at "core/audit":
// Load reads it at unseal and when a node becomes active.
//
// Threads: every method is safe to call concurrently. Enable, Disable and
// Load take the table's mutex exclusively; logging takes it shared.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "core/audit/audit_device.h"
#include "core/request.h"
#include "engines/auth/token/token_entry.h"
#include "storage/backend.h"

namespace tresor::core::audit {

// An enabled device as stored and as sys/audit lists it.
struct DeviceConfig {
  std::string path;  // with its trailing '/': "file/"
  std::string type;
  std::string description;
  std::map<std::string, std::string> options;  // as given, device and format options
  bool local = false;
  std::string salt;  // 32 random bytes, hex
};

// What core knows of one request when it writes its entries.
struct AuditRecord {
  const Request* request = nullptr;                 // as the client sent it (full path)
  std::string mount_type;                           // the engine's type; "" for sys/
  std::optional<engines::token::TokenEntry> token;  // the authenticated caller
  bool request_logged = false;                      // set by LogRequest
};

class Broker {
 public:
  // barrier and clock outlive the broker.
  Broker(storage::Backend& barrier, Clock& clock);

  // Reads the device table and opens every device. A device that cannot
  // be opened now stays in the table and fails its writes (so requests
  // fail closed until it recovers). Errors are those of the barrier.
  [[nodiscard]] Status Load();
  // Forgets every device (at seal).
  void Unload();

  // Enables a device at `path` ("file", "file/" and "a/b" all work).
  // InvalidArgument for a bad path, type or option, or an output that
  // cannot be opened; InvalidArgument when the path is taken.
  [[nodiscard]] Status Enable(DeviceConfig config);
  // NotFound-free: disabling a path with no device is OK, as in Vault.
  [[nodiscard]] Status Disable(const std::string& path);
  std::vector<DeviceConfig> List() const;
  // Whether any device is enabled (cheap: asked on every request).
  bool Enabled() const { return enabled_.load(std::memory_order_relaxed); }

  // The request entry, before the request runs. With no device enabled,
  // OK. Internal ("audit logging failed: ...") when no device wrote it.
  [[nodiscard]] Status LogRequest(AuditRecord& record, const Status& error = Status::Ok());
  // The response entry, with the answer or the error.
  [[nodiscard]] Status LogResponse(const AuditRecord& record, const StatusOr<Response>& result);

  // "hmac-sha256:<hex>" of input under the salt of the device at path.
  StatusOr<std::string> Hash(const std::string& path, const std::string& input) const;

  // Reopens every device's output (SIGHUP, for log rotation).
  void Reopen();
  // Whether the last write of some device failed (sys/health).
  bool Failing() const;

  // The entries one device receives (as written, without the newline).
  static nlohmann::json FormatRequest(const DeviceConfig& config, const AuditRecord& record,
                                      const std::string& time, const Status& error);
  static nlohmann::json FormatResponse(const DeviceConfig& config, const AuditRecord& record,
                                       const std::string& time, const StatusOr<Response>& result);

 private:
  struct Live {
    DeviceConfig config;
    std::unique_ptr<Device> device;  // null when it could not be opened
    std::string open_error;
    std::atomic<bool> failing{false};
  };
  Status Persist(const std::vector<DeviceConfig>& table);
  Status WriteAll(const std::function<nlohmann::json(const DeviceConfig&)>& format);

  storage::Backend& barrier_;
  Clock& clock_;
  mutable std::shared_mutex mu_;
  std::vector<std::unique_ptr<Live>> devices_;  // GUARDED_BY(mu_)
  std::atomic<bool> enabled_{false};            // !devices_.empty()
};

}  // namespace tresor::core::audit
