#include "core/in_flight.h"

#include <cctype>

namespace tresor::core {

InFlightRequests::Guard InFlightRequests::Track(const Request& request) {
  std::string method(OperationName(request.operation));
  for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  Entry entry{request.request_id, clock_.Now(), request.remote_address, "/v1/" + request.path,
              std::move(method)};
  std::lock_guard lock(mu_);
  const std::uint64_t key = next_++;
  entries_.emplace(key, std::move(entry));
  return Guard(*this, key);
}

void InFlightRequests::Remove(std::uint64_t key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

nlohmann::json InFlightRequests::Describe() const {
  nlohmann::json out = nlohmann::json::object();
  std::lock_guard lock(mu_);
  for (const auto& [key, entry] : entries_) {
    out[entry.id.empty() ? std::to_string(key) : entry.id] = {
        {"start_time", FormatRfc3339(entry.start)},
        {"client_remote_address", entry.remote_address},
        {"request_path", entry.path},
        {"request_method", entry.method},
        {"client_id", ""}};
  }
  return out;
}

}  // namespace tresor::core
