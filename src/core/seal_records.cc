#include "core/seal_records.h"

#include <nlohmann/json.hpp>

#include "barrier/barrier.h"

namespace tresor::core {

bool IsPhysicalOnlyKey(std::string_view key) {
  return key == barrier::kKeyringPath || key == kRootKeyKey || key == kSealConfigKey ||
         key == kRecoveryKeyKey;
}

std::string SealConfigJson(const SealConfig& config) {
  nlohmann::json j = {{"type", config.type},
                      {"secret_shares", config.secret_shares},
                      {"secret_threshold", config.secret_threshold}};
  if (!config.IsShamir()) {
    j["recovery_shares"] = config.recovery_shares;
    j["recovery_threshold"] = config.recovery_threshold;
  }
  return j.dump();
}

StatusOr<SealConfig> ParseSealConfig(std::string_view stored) {
  try {
    auto j = nlohmann::json::parse(stored);
    SealConfig config;
    config.secret_shares = j.at("secret_shares").get<int>();
    config.secret_threshold = j.at("secret_threshold").get<int>();
    config.type = j.value("type", "shamir");
    config.recovery_shares = j.value("recovery_shares", 0);
    config.recovery_threshold = j.value("recovery_threshold", 0);
    if (!ValidateSealConfig(config.quorum_shares(), config.quorum_threshold()).ok()) {
      return CorruptionError("stored seal configuration is out of range");
    }
    return config;
  } catch (const nlohmann::json::exception& e) {
    return CorruptionError(std::string("stored seal configuration cannot be parsed: ") + e.what());
  }
}

}  // namespace tresor::core
