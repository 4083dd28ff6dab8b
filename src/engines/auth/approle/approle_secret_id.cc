#include "engines/auth/approle/approle_secret_id.h"

#include "common/cidr.h"
#include "engines/auth/token_params.h"

namespace tresor::engines::approle {
namespace {

constexpr char kApproleBadMetadata[] =
    "metadata: expected a JSON object of string values, or key=value pairs separated by commas";

long long ApproleUnixNanos(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

Clock::TimePoint ApproleFromUnixNanos(long long ns) {
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

// Vault's strutil.ParseArbitraryKeyValues, less its base64 form.
StatusOr<std::map<std::string, std::string>> ApproleMetadata(const nlohmann::json& raw) {
  std::map<std::string, std::string> out;
  if (raw.is_null()) return out;
  nlohmann::json object = raw;
  if (raw.is_string()) {
    const std::string& text = raw.get_ref<const std::string&>();
    std::string_view trimmed = text;
    while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
    if (trimmed.empty()) return out;
    if (!trimmed.starts_with('{')) {
      while (!trimmed.empty()) {
        std::size_t comma = trimmed.find(',');
        std::string_view pair = trimmed.substr(0, comma);
        std::size_t eq = pair.find('=');
        if (eq == 0 || eq == std::string_view::npos)
          return InvalidArgumentError(kApproleBadMetadata);
        out[std::string(pair.substr(0, eq))] = std::string(pair.substr(eq + 1));
        if (comma == std::string_view::npos) break;
        trimmed.remove_prefix(comma + 1);
      }
      return out;
    }
    object = nlohmann::json::parse(trimmed, nullptr, /*allow_exceptions=*/false);
  }
  if (!object.is_object()) return InvalidArgumentError(kApproleBadMetadata);
  for (const auto& [key, value] : object.items()) {
    if (!value.is_string()) return InvalidArgumentError(kApproleBadMetadata);
    out[key] = value.get<std::string>();
  }
  return out;
}

StatusOr<std::vector<std::string>> ApproleCidrsWithin(FieldReader& fields, std::string_view name,
                                                      const std::vector<std::string>& outer,
                                                      std::string_view outer_name) {
  TRESOR_ASSIGN_OR_RETURN(auto given, fields.StringList(name));
  if (!given.has_value()) return std::vector<std::string>{};
  TRESOR_ASSIGN_OR_RETURN(auto cidrs, auth::CidrListField(name, std::move(*given)));
  TRESOR_ASSIGN_OR_RETURN(bool within, CidrsWithin(cidrs, outer));
  if (!within) {
    return InvalidArgumentError(std::string(name) +
                                ": every CIDR block must lie within the role's " +
                                std::string(outer_name));
  }
  return cidrs;
}

std::string ApproleTimeText(const std::optional<Clock::TimePoint>& t) {
  return t.has_value() ? FormatRfc3339(*t) : "0001-01-01T00:00:00Z";
}

}  // namespace

StatusOr<SecretIdEntry> ReadSecretIdRequest(FieldReader& fields, const Role& role,
                                            std::chrono::seconds mount_max_ttl) {
  SecretIdEntry entry;
  TRESOR_ASSIGN_OR_RETURN(entry.metadata, ApproleMetadata(fields.Raw("metadata")));
  TRESOR_ASSIGN_OR_RETURN(
      entry.cidr_list,
      ApproleCidrsWithin(fields, "cidr_list", role.secret_id_bound_cidrs, "secret_id_bound_cidrs"));
  TRESOR_ASSIGN_OR_RETURN(
      entry.token_bound_cidrs,
      ApproleCidrsWithin(fields, "token_bound_cidrs", role.token.bound_cidrs, "token_bound_cidrs"));

  TRESOR_ASSIGN_OR_RETURN(auto num_uses, fields.Int("num_uses"));
  entry.num_uses = num_uses.value_or(role.secret_id_num_uses);
  if (entry.num_uses < 0) return InvalidArgumentError("num_uses cannot be negative");
  if (role.secret_id_num_uses > 0 &&
      (entry.num_uses == 0 || entry.num_uses > role.secret_id_num_uses)) {
    return InvalidArgumentError("num_uses cannot be higher than the role's secret_id_num_uses");
  }

  TRESOR_ASSIGN_OR_RETURN(auto ttl, fields.Duration("ttl"));
  entry.ttl = ttl.value_or(role.secret_id_ttl);
  if (role.secret_id_ttl.count() > 0 &&
      (entry.ttl.count() == 0 || entry.ttl > role.secret_id_ttl)) {
    return InvalidArgumentError("ttl cannot be longer than the role's secret_id_ttl");
  }
  if (mount_max_ttl.count() > 0 && entry.ttl > mount_max_ttl) entry.ttl = mount_max_ttl;
  return entry;
}

nlohmann::json SecretIdLookupData(const SecretIdEntry& entry) {
  return {{"secret_id_accessor", entry.accessor},
          {"secret_id_num_uses", entry.num_uses},
          {"secret_id_ttl", entry.ttl.count()},
          {"creation_time", FormatRfc3339(entry.creation_time)},
          {"expiration_time", ApproleTimeText(entry.expiration_time)},
          {"last_updated_time", FormatRfc3339(entry.last_updated_time)},
          {"metadata", entry.metadata},
          {"cidr_list", entry.cidr_list},
          {"token_bound_cidrs", entry.token_bound_cidrs}};
}

std::string SerializeSecretId(const SecretIdEntry& entry) {
  return nlohmann::json{
      {"secret_id_hmac", entry.secret_id_hmac},
      {"secret_id_accessor", entry.accessor},
      {"secret_id_num_uses", entry.num_uses},
      {"secret_id_ttl", entry.ttl.count()},
      {"creation_time_ns", ApproleUnixNanos(entry.creation_time)},
      {"last_updated_time_ns", ApproleUnixNanos(entry.last_updated_time)},
      {"expiration_time_ns",
       entry.expiration_time.has_value() ? ApproleUnixNanos(*entry.expiration_time) : 0},
      {"metadata", entry.metadata},
      {"cidr_list", entry.cidr_list},
      {"token_bound_cidrs", entry.token_bound_cidrs}}
      .dump();
}

StatusOr<SecretIdEntry> ParseSecretId(std::string_view text) {
  auto stored = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  SecretIdEntry entry;
  try {
    entry.secret_id_hmac = stored.at("secret_id_hmac").get<std::string>();
    entry.accessor = stored.at("secret_id_accessor").get<std::string>();
    entry.num_uses = stored.at("secret_id_num_uses").get<long long>();
    entry.ttl = std::chrono::seconds(stored.at("secret_id_ttl").get<long long>());
    entry.creation_time = ApproleFromUnixNanos(stored.at("creation_time_ns").get<long long>());
    entry.last_updated_time =
        ApproleFromUnixNanos(stored.at("last_updated_time_ns").get<long long>());
    if (long long expires = stored.at("expiration_time_ns").get<long long>(); expires != 0) {
      entry.expiration_time = ApproleFromUnixNanos(expires);
    }
    entry.metadata = stored.at("metadata").get<std::map<std::string, std::string>>();
    entry.cidr_list = stored.at("cidr_list").get<std::vector<std::string>>();
    entry.token_bound_cidrs = stored.at("token_bound_cidrs").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception&) {
    return CorruptionError("a stored AppRole secret ID entry cannot be parsed");
  }
  return entry;
}

}  // namespace tresor::engines::approle
