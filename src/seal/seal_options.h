// Reading a seal block's options with Vault's environment fallbacks: the
// helpers every provider in this folder shares.
#pragma once

#include <string>

#include "seal/seal_block.h"

namespace tresor::seal {

// The option when set and non-empty, else the environment variable `env`
// (when not null and set), else `fallback`.
std::string OptionOrEnv(const SealBlock& block, const std::string& key, const char* env,
                        const std::string& fallback = "");
// Whether the option (or `env`) says true ("true", "1").
bool OptionIsTrue(const SealBlock& block, const std::string& key, const char* env = nullptr);

}  // namespace tresor::seal
