#include "seal/seal_options.h"

#include <cstdlib>

namespace tresor::seal {

std::string OptionOrEnv(const SealBlock& block, const std::string& key, const char* env,
                        const std::string& fallback) {
  auto found = block.options.find(key);
  if (found != block.options.end() && !found->second.empty()) return found->second;
  if (env != nullptr) {
    if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  }
  return fallback;
}

bool OptionIsTrue(const SealBlock& block, const std::string& key, const char* env) {
  std::string value = OptionOrEnv(block, key, env);
  return value == "true" || value == "1" || value == "TRUE" || value == "True";
}

}  // namespace tresor::seal
