#include "engines/auth/token/token_batch.h"

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/encoding.h"

namespace tresor::engines::token {
namespace {

// Binds a ciphertext to its use: a value sealed under the same key for any
// other purpose can never be read as a batch token.
constexpr std::string_view kBatchTokenAad = "tresor batch token v1";
constexpr int kBatchTokenVersion = 1;

// Tokens travel in headers, JSON and query strings: the URL-safe alphabet
// without padding, as Vault's batch tokens.
std::string ToBase64Url(std::string_view bytes) {
  std::string text = Base64Encode(bytes);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

std::optional<std::string> FromBase64Url(std::string_view text) {
  std::string standard(text);
  for (char& c : standard) {
    if (c == '-') {
      c = '+';
    } else if (c == '_') {
      c = '/';
    } else if (c == '+' || c == '/' || c == '=') {
      return std::nullopt;  // only the URL-safe alphabet, unpadded
    }
  }
  if (standard.size() % 4 == 1) return std::nullopt;
  standard.append((4 - standard.size() % 4) % 4, '=');
  auto decoded = Base64Decode(standard);
  if (!decoded.ok()) return std::nullopt;
  // The last character may carry bits the decoder drops: accept only the
  // canonical spelling, so one token has one text (and one id hash).
  if (!ConstantTimeEquals(ToBase64Url(*decoded), text)) return std::nullopt;
  return std::move(*decoded);
}

}  // namespace

StatusOr<std::string> SealBatchToken(const SecureBytes& key, const TokenEntry& entry) {
  nlohmann::json plain = {
      {"v", kBatchTokenVersion},
      {"parent", entry.parent},
      {"policies", entry.policies},
      {"meta", entry.meta},
      {"display_name", entry.display_name},
      {"creation_time", UnixSeconds(entry.creation_time)},
      {"ttl", entry.ttl.count()},
      {"path", entry.path},
      {"bound_cidrs", entry.bound_cidrs},
      {"role", entry.role},
  };
  std::string text = plain.dump();
  auto sealed = AesGcmSeal(key, text, kBatchTokenAad);
  SecureWipe(text);  // metadata may be sensitive
  if (!sealed.ok()) return sealed.status();
  std::string token = std::string(kBatchTokenPrefix) + ToBase64Url(*sealed);
  if (token.size() > kMaxBatchTokenBytes) {
    return InvalidArgumentError("the batch token would be " + std::to_string(token.size()) +
                                " bytes, more than the " + std::to_string(kMaxBatchTokenBytes) +
                                " allowed: give it fewer policies or less metadata, or create a "
                                "service token");
  }
  return token;
}

std::optional<TokenEntry> OpenBatchToken(const SecureBytes& key, std::string_view token) {
  if (!IsBatchToken(token) || token.size() > kMaxBatchTokenBytes) return std::nullopt;
  std::optional<std::string> sealed = FromBase64Url(token.substr(kBatchTokenPrefix.size()));
  if (!sealed.has_value()) return std::nullopt;
  auto opened = AesGcmOpen(key, *sealed, kBatchTokenAad);
  if (!opened.ok()) return std::nullopt;  // tampered with, or another key's
  std::string text = std::move(*opened);
  std::optional<TokenEntry> out;
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    if (j.at("v").get<int>() == kBatchTokenVersion) {
      TokenEntry e;
      e.type = "batch";
      e.renewable = false;
      e.parent = j.at("parent").get<std::string>();
      e.policies = j.at("policies").get<std::vector<std::string>>();
      e.meta = j.at("meta").get<std::map<std::string, std::string>>();
      e.display_name = j.at("display_name").get<std::string>();
      e.creation_time =
          Clock::TimePoint(std::chrono::seconds(j.at("creation_time").get<long long>()));
      e.ttl = std::chrono::seconds(j.at("ttl").get<long long>());
      e.creation_ttl = e.ttl;
      e.path = j.at("path").get<std::string>();
      e.bound_cidrs = j.at("bound_cidrs").get<std::vector<std::string>>();
      e.role = j.at("role").get<std::string>();
      // A batch token always expires; one that claims otherwise is not ours.
      if (e.ttl.count() > 0) out = std::move(e);
    }
  } catch (const nlohmann::json::exception&) {
    out.reset();  // authenticated but unreadable: a future format, say
  }
  SecureWipe(text);
  return out;
}

}  // namespace tresor::engines::token
