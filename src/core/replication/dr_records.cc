#include "core/replication/dr_records.h"

#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "core/simple_name.h"

namespace tresor::core::replication {
namespace {

constexpr std::string_view kTokenPrefix = "trdr1.";

StatusOr<nlohmann::json> ParseStored(const std::string& text, std::string_view what) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return CorruptionError("DR replication: " + std::string(what) + " is malformed");
  return j;
}

}  // namespace

const char* ModeName(Mode mode) {
  switch (mode) {
    case Mode::kPrimary:
      return "primary";
    case Mode::kSecondary:
      return "secondary";
    case Mode::kDisabled:
      break;
  }
  return "disabled";
}

StatusOr<LocalRecord> ReadLocalRecord(storage::Backend& physical) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, physical.Get(kLocalRecordKey));
  LocalRecord record;
  if (!stored.has_value()) return record;
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json j, ParseStored(*stored, "the local DR record"));
  const std::string mode = j.value("mode", "");
  record.mode = mode == "primary" ? Mode::kPrimary : mode == "secondary" ? Mode::kSecondary
                                                                         : Mode::kDisabled;
  record.cluster_id = j.value("cluster_id", "");
  record.primary_cluster_addr = j.value("primary_cluster_addr", "");
  record.secondary_id = j.value("secondary_id", "");
  record.primary_addrs = j.value("primary_addrs", std::vector<std::string>{});
  record.ca_cert = j.value("ca_cert", "");
  record.primary_api_addr = j.value("primary_api_addr", "");
  record.synchronous = j.value("synchronous", false);
  record.synchronous_timeout_ms = j.value("synchronous_timeout_ms", std::int64_t{5000});
  return record;
}

Status WriteLocalRecord(storage::Backend& physical, const LocalRecord& record) {
  if (record.mode == Mode::kDisabled) return physical.Delete(kLocalRecordKey);
  nlohmann::json j = {{"mode", ModeName(record.mode)},
                      {"cluster_id", record.cluster_id},
                      {"primary_cluster_addr", record.primary_cluster_addr},
                      {"secondary_id", record.secondary_id},
                      {"primary_addrs", record.primary_addrs},
                      {"ca_cert", record.ca_cert},
                      {"primary_api_addr", record.primary_api_addr},
                      {"synchronous", record.synchronous},
                      {"synchronous_timeout_ms", record.synchronous_timeout_ms}};
  return physical.Put(kLocalRecordKey, j.dump());
}

StatusOr<std::optional<SecondaryRecord>> ReadSecondary(storage::Backend& barrier,
                                                       const std::string& id) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier.Get(kSecondariesPrefix + id));
  if (!stored.has_value()) return std::optional<SecondaryRecord>();
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json j, ParseStored(*stored, "a DR secondary record"));
  SecondaryRecord record;
  record.id = j.value("id", "");
  record.secret_sha256 = j.value("secret_sha256", "");
  record.expires = j.value("expires", std::int64_t{0});
  record.activated = j.value("activated", false);
  record.revoked = j.value("revoked", false);
  record.cert = j.value("cert", "");
  std::string key = j.value("key", "");
  record.key = ToSecureBytes(key);
  std::fill(key.begin(), key.end(), '\0');
  return std::optional<SecondaryRecord>(std::move(record));
}

Status WriteSecondary(storage::Backend& barrier, const SecondaryRecord& record) {
  nlohmann::json j = {{"id", record.id},
                      {"secret_sha256", record.secret_sha256},
                      {"expires", record.expires},
                      {"activated", record.activated},
                      {"revoked", record.revoked},
                      {"cert", record.cert},
                      {"key", std::string(AsStringView(record.key))}};
  std::string text = j.dump();
  Status written = barrier.Put(kSecondariesPrefix + record.id, text);
  std::fill(text.begin(), text.end(), '\0');
  return written;
}

StatusOr<std::optional<KeyPair>> ReadCa(storage::Backend& barrier) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, barrier.Get(kCaKey));
  if (!stored.has_value()) return std::optional<KeyPair>();
  TRESOR_ASSIGN_OR_RETURN(nlohmann::json j, ParseStored(*stored, "the DR CA"));
  KeyPair ca;
  ca.cert_pem = j.value("cert", "");
  std::string key = j.value("key", "");
  ca.key_pem = ToSecureBytes(key);
  std::fill(key.begin(), key.end(), '\0');
  std::fill(stored->begin(), stored->end(), '\0');
  return std::optional<KeyPair>(std::move(ca));
}

Status WriteCa(storage::Backend& barrier, const KeyPair& ca) {
  nlohmann::json j = {{"cert", ca.cert_pem}, {"key", std::string(AsStringView(ca.key_pem))}};
  std::string text = j.dump();
  Status written = barrier.Put(kCaKey, text);
  std::fill(text.begin(), text.end(), '\0');
  return written;
}

std::string EncodeToken(const ActivationToken& token) {
  nlohmann::json j = {{"id", token.id},         {"cluster_id", token.cluster_id},
                      {"addrs", token.addrs},   {"ca", token.ca_cert},
                      {"secret", token.secret}, {"exp", token.expires}};
  return std::string(kTokenPrefix) + Base64Encode(j.dump());
}

StatusOr<ActivationToken> DecodeToken(std::string_view text) {
  const Status malformed = InvalidArgumentError(
      "the token is not a DR activation token: use the token that "
      "sys/replication/dr/primary/secondary-token returned on the primary (wrap_info.token)");
  if (text.substr(0, kTokenPrefix.size()) != kTokenPrefix) return malformed;
  auto decoded = Base64Decode(text.substr(kTokenPrefix.size()));
  if (!decoded.ok()) return malformed;
  nlohmann::json j = nlohmann::json::parse(*decoded, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return malformed;
  ActivationToken token;
  try {
    token.id = j.at("id").get<std::string>();
    token.cluster_id = j.at("cluster_id").get<std::string>();
    token.addrs = j.at("addrs").get<std::vector<std::string>>();
    token.ca_cert = j.at("ca").get<std::string>();
    token.secret = j.at("secret").get<std::string>();
    token.expires = j.at("exp").get<std::int64_t>();
  } catch (const nlohmann::json::exception&) {
    return malformed;
  }
  if (token.addrs.empty() || token.secret.empty() || token.ca_cert.empty()) return malformed;
  return token;
}

Status ValidateSecondaryId(std::string_view id) { return ValidateSimpleName(id, "id"); }

}  // namespace tresor::core::replication
