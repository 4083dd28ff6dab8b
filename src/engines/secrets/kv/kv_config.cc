#include "engines/secrets/kv/kv_config.h"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace tresor::engines::kv {

std::string EncodeConfig(const Config& config) {
  nlohmann::json j = {{"max_versions", config.max_versions},
                      {"cas_required", config.cas_required},
                      {"delete_version_after_s", config.delete_version_after_s}};
  return j.dump();
}

StatusOr<Config> DecodeConfig(std::string_view bytes) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  try {
    if (!j.is_object()) throw std::runtime_error("not an object");
    Config config;
    config.max_versions = j.at("max_versions").get<std::uint32_t>();
    config.cas_required = j.at("cas_required").get<bool>();
    config.delete_version_after_s = j.at("delete_version_after_s").get<std::int64_t>();
    return config;
  } catch (const std::exception&) {
    return CorruptionError("kv config is malformed");
  }
}

std::uint32_t EffectiveMaxVersions(const Config& config, const Record& record) {
  std::uint32_t a = config.max_versions;
  std::uint32_t b = record.max_versions;
  if (a == 0 && b == 0) return kDefaultMaxVersions;
  if (a == 0) return b;
  if (b == 0) return a;
  return std::min(a, b);
}

std::optional<Nanos> ScheduledDeletion(Nanos now, const Config& config, const Record& record) {
  if (config.delete_version_after_s < 0) return std::nullopt;
  std::int64_t seconds = 0;
  for (std::int64_t candidate : {config.delete_version_after_s, record.delete_version_after_s}) {
    if (candidate > 0 && (seconds == 0 || candidate < seconds)) seconds = candidate;
  }
  if (seconds == 0) return std::nullopt;
  constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
  // Durations are capped at ~292 years by the parser; still, never overflow.
  if (seconds > (std::numeric_limits<Nanos>::max() - now) / kNanosPerSecond) {
    return std::numeric_limits<Nanos>::max();
  }
  return now + seconds * kNanosPerSecond;
}

}  // namespace tresor::engines::kv
