#include "engines/secrets/transit/transit_keys.h"

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/encoding.h"
#include "common/random.h"

namespace tresor::engines::transit {
namespace {

constexpr char kPolicyPrefix[] = "policy/";
constexpr std::size_t kKeyBytes = 32;

std::string PolicyKey(std::string_view name) { return kPolicyPrefix + std::string(name); }

StatusOr<Clock::TimePoint> ParseTime(const std::string& text) {
  std::tm tm{};
  if (strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) {
    return CorruptionError("transit key version has a malformed creation time");
  }
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

}  // namespace

StatusOr<ParsedCiphertext> ParseCiphertext(std::string_view text) {
  constexpr std::string_view kPrefix = "vault:v";
  if (text.substr(0, kPrefix.size()) != kPrefix) {
    return InvalidArgumentError("invalid ciphertext: no prefix (expected \"vault:v<N>:...\")");
  }
  std::string_view rest = text.substr(kPrefix.size());
  std::size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 9) {
    return InvalidArgumentError("invalid ciphertext: no version (expected \"vault:v<N>:...\")");
  }
  ParsedCiphertext parsed;
  for (char c : rest.substr(0, colon)) {
    if (c < '0' || c > '9') return InvalidArgumentError("invalid ciphertext: version is not a number");
    parsed.version = parsed.version * 10 + (c - '0');
  }
  auto bytes = Base64Decode(rest.substr(colon + 1));
  if (!bytes.ok()) return InvalidArgumentError("invalid ciphertext: the payload is not base64");
  parsed.bytes = std::move(*bytes);
  return parsed;
}

StatusOr<std::optional<TransitKey>> TransitKeys::Get(std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, storage_.Get(PolicyKey(name)));
  if (!stored.has_value()) return std::optional<TransitKey>();
  TransitKey key;
  key.name = std::string(name);
  try {
    auto j = nlohmann::json::parse(*stored);
    key.type = j.at("type").get<std::string>();
    key.latest_version = j.at("latest_version").get<int>();
    key.min_decryption_version = j.at("min_decryption_version").get<int>();
    key.min_encryption_version = j.at("min_encryption_version").get<int>();
    key.deletion_allowed = j.at("deletion_allowed").get<bool>();
    for (const auto& [v, entry] : j.at("versions").items()) {
      auto material = Base64Decode(entry.at("key").get<std::string>());
      if (!material.ok() || material->size() != kKeyBytes) {
        return CorruptionError("transit key \"" + key.name + "\" has malformed key material");
      }
      TRESOR_ASSIGN_OR_RETURN(auto created, ParseTime(entry.at("created").get<std::string>()));
      key.versions[std::stoi(v)] = KeyVersion{ToSecureBytes(*material), created};
      SecureWipe(*material);
    }
  } catch (const std::exception&) {
    return CorruptionError("transit key \"" + std::string(name) + "\" cannot be parsed");
  }
  SecureWipe(*stored);
  return std::optional<TransitKey>(std::move(key));
}

StatusOr<std::vector<std::string>> TransitKeys::List() { return storage_.List(kPolicyPrefix); }

void TransitKeys::Rotate(TransitKey& key) {
  key.latest_version += 1;
  key.versions[key.latest_version] = KeyVersion{RandomSecureBytes(kKeyBytes), clock_.Now()};
}

StatusOr<TransitKey> TransitKeys::Create(std::string_view name, std::string_view type) {
  if (type != "aes256-gcm96") {
    return InvalidArgumentError("key type \"" + std::string(type) +
                                "\" is not supported: Tresor's transit engine makes "
                                "aes256-gcm96 keys only");
  }
  TransitKey key;
  key.name = std::string(name);
  Rotate(key);
  TRESOR_RETURN_IF_ERROR(Put(key));
  return key;
}

Status TransitKeys::Put(const TransitKey& key) {
  nlohmann::json versions = nlohmann::json::object();
  for (const auto& [v, version] : key.versions) {
    versions[std::to_string(v)] = {{"key", Base64Encode(AsStringView(version.key))},
                                   {"created", FormatRfc3339(version.created)}};
  }
  nlohmann::json j = {{"type", key.type},
                      {"latest_version", key.latest_version},
                      {"min_decryption_version", key.min_decryption_version},
                      {"min_encryption_version", key.min_encryption_version},
                      {"deletion_allowed", key.deletion_allowed},
                      {"versions", std::move(versions)}};
  std::string serialised = j.dump();
  Status put = storage_.Put(PolicyKey(key.name), serialised);
  SecureWipe(serialised);
  for (auto& [v, entry] : j["versions"].items()) SecureWipe(entry["key"].get_ref<std::string&>());
  return put;
}

Status TransitKeys::Delete(std::string_view name) { return storage_.Delete(PolicyKey(name)); }

StatusOr<std::string> TransitKeys::Encrypt(const TransitKey& key, std::string_view plaintext,
                                           std::string_view aad, int version) {
  if (version == 0) version = key.latest_version;
  if (version < key.min_encryption_version) {
    return InvalidArgumentError("requested version for encryption is less than the minimum "
                                "encryption key version");
  }
  auto found = key.versions.find(version);
  if (found == key.versions.end()) {
    return InvalidArgumentError("requested version for encryption does not exist: " +
                                std::to_string(version));
  }
  TRESOR_ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(found->second.key, plaintext, aad));
  return "vault:v" + std::to_string(version) + ":" + Base64Encode(sealed);
}

StatusOr<std::string> TransitKeys::Decrypt(const TransitKey& key, std::string_view ciphertext,
                                           std::string_view aad) {
  TRESOR_ASSIGN_OR_RETURN(ParsedCiphertext parsed, ParseCiphertext(ciphertext));
  if (parsed.version < key.min_decryption_version) {
    return InvalidArgumentError("ciphertext or signature version is disallowed by policy (too "
                                "old): version " + std::to_string(parsed.version) +
                                " is below min_decryption_version " +
                                std::to_string(key.min_decryption_version));
  }
  auto found = key.versions.find(parsed.version);
  if (found == key.versions.end()) {
    return InvalidArgumentError("invalid ciphertext: key version " +
                                std::to_string(parsed.version) + " does not exist");
  }
  auto plaintext = AesGcmOpen(found->second.key, parsed.bytes, aad);
  if (!plaintext.ok()) {
    return InvalidArgumentError("cipher: message authentication failed");
  }
  return plaintext;
}

}  // namespace tresor::engines::transit
