#include "core/response_wrapping.h"

namespace tresor::core {
namespace {

using nlohmann::json;

constexpr char kNotValid[] = "wrapping token is not valid or does not exist";
// Where a wrapping token's cubbyhole keeps the answer (Vault's name).
constexpr char kResponseKey[] = "/response";

// The answer, as kept in the cubbyhole: everything the client would have
// seen, so that unwrapping gives back the same answer.
json StoredForm(const Response& response) {
  return {{"shape", static_cast<int>(response.shape)},
          {"http_status", response.http_status},
          {"data", response.data},
          {"auth", response.auth},
          {"warnings", response.warnings},
          {"lease_id", response.lease_id},
          {"renewable", response.renewable},
          {"lease_duration", response.lease_duration}};
}

StatusOr<Response> FromStoredForm(const json& stored) {
  try {
    Response response;
    const int shape = stored.at("shape").get<int>();
    if (shape < 0 || shape > static_cast<int>(Response::Shape::kEnvelopeWithTopLevelData)) {
      return CorruptionError("a wrapped response has an unknown shape");
    }
    response.shape = static_cast<Response::Shape>(shape);
    response.http_status = stored.at("http_status").get<int>();
    response.data = stored.at("data");
    response.auth = stored.at("auth");
    response.warnings = stored.at("warnings").get<std::vector<std::string>>();
    response.lease_id = stored.at("lease_id").get<std::string>();
    response.renewable = stored.at("renewable").get<bool>();
    response.lease_duration = stored.at("lease_duration").get<long long>();
    return response;
  } catch (const json::exception&) {
    return CorruptionError("a wrapped response cannot be parsed");
  }
}

bool IsEmptyJson(const json& value) {
  return value.is_null() || (value.is_object() && value.empty());
}

}  // namespace

bool IsWrappingToken(const engines::token::TokenEntry& entry) {
  return entry.policies.size() == 1 && entry.policies.front() == kResponseWrappingPolicy;
}

bool HasWrappableContent(const Response& response) {
  return !IsEmptyJson(response.data) || !IsEmptyJson(response.auth);
}

ResponseWrapping::ResponseWrapping(engines::token::TokenStore& tokens, CubbyholeView cubbyhole)
    : tokens_(tokens), cubbyhole_(std::move(cubbyhole)) {}

StatusOr<Response> ResponseWrapping::Wrap(const Response& response, std::chrono::seconds ttl,
                                          const std::string& creation_path) {
  if (response.body_stream) {
    return InvalidArgumentError(
        "this answer is streamed and cannot be wrapped: send the request without "
        "X-Vault-Wrap-TTL");
  }
  std::string wrapped_accessor;
  if (response.auth.is_object() && response.auth.contains("accessor") &&
      response.auth["accessor"].is_string()) {
    wrapped_accessor = response.auth["accessor"].get<std::string>();
  }
  return Store(StoredForm(response), ttl, creation_path, wrapped_accessor);
}

StatusOr<Response> ResponseWrapping::Store(const json& stored, std::chrono::seconds ttl,
                                           const std::string& creation_path,
                                           const std::string& wrapped_accessor) {
  auto cubbyhole = cubbyhole_();
  if (cubbyhole == nullptr) return SealedError();
  engines::token::NewToken spec;
  spec.policies = {kResponseWrappingPolicy};
  spec.ttl = ttl;
  spec.explicit_max_ttl = ttl;
  spec.renewable = false;
  spec.path = creation_path;
  TRESOR_ASSIGN_OR_RETURN(auto created, tokens_.Create(spec));
  Status kept = cubbyhole->Put(created.entry.id_hash + kResponseKey, stored.dump());
  if (!kept.ok()) {
    // A token without its answer must not linger.
    tokens_.Revoke(created.entry.id_hash).IgnoreError();
    return kept;
  }
  Response wrapped;
  wrapped.wrap_info = {{"token", created.token},
                       {"accessor", created.entry.accessor},
                       {"ttl", ttl.count()},
                       {"creation_time", FormatRfc3339(created.entry.creation_time)},
                       {"creation_path", creation_path},
                       {"wrapped_accessor", wrapped_accessor}};
  return wrapped;
}

StatusOr<engines::token::TokenEntry> ResponseWrapping::FindWrapping(std::string_view token) {
  if (token.empty()) return InvalidArgumentError("token: missing (the wrapping token to use)");
  TRESOR_ASSIGN_OR_RETURN(auto entry, tokens_.Lookup(token));
  if (!entry.has_value() || !IsWrappingToken(*entry)) return InvalidArgumentError(kNotValid);
  return std::move(*entry);
}

StatusOr<json> ResponseWrapping::ReadStored(const engines::token::TokenEntry& entry) {
  auto cubbyhole = cubbyhole_();
  if (cubbyhole == nullptr) return SealedError();
  TRESOR_ASSIGN_OR_RETURN(auto text, cubbyhole->Get(entry.id_hash + kResponseKey));
  if (!text.has_value()) return InvalidArgumentError(kNotValid);
  json stored = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!stored.is_object()) return CorruptionError("a wrapped response cannot be parsed");
  return stored;
}

StatusOr<Response> ResponseWrapping::Unwrap(std::string_view token) {
  std::lock_guard lock(consume_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto entry, FindWrapping(token));
  TRESOR_ASSIGN_OR_RETURN(json stored, ReadStored(entry));
  TRESOR_ASSIGN_OR_RETURN(Response response, FromStoredForm(stored));
  // Gone before it is handed out: a second unwrap finds nothing.
  TRESOR_RETURN_IF_ERROR(tokens_.Revoke(entry.id_hash));
  return response;
}

StatusOr<Response> ResponseWrapping::Lookup(std::string_view token) {
  TRESOR_ASSIGN_OR_RETURN(auto entry, FindWrapping(token));
  return Response::Data({{"creation_path", entry.path},
                         {"creation_time", FormatRfc3339(entry.creation_time)},
                         {"creation_ttl", entry.creation_ttl.count()}});
}

StatusOr<Response> ResponseWrapping::Rewrap(std::string_view token) {
  std::lock_guard lock(consume_mu_);
  TRESOR_ASSIGN_OR_RETURN(auto entry, FindWrapping(token));
  TRESOR_ASSIGN_OR_RETURN(json stored, ReadStored(entry));
  std::string wrapped_accessor;
  if (stored.contains("auth") && stored["auth"].is_object() &&
      stored["auth"].value("accessor", json()).is_string()) {
    wrapped_accessor = stored["auth"]["accessor"].get<std::string>();
  }
  TRESOR_ASSIGN_OR_RETURN(Response rewrapped,
                          Store(stored, entry.creation_ttl, entry.path, wrapped_accessor));
  // The new token holds the answer before the old one goes; a failure here
  // leaves both valid until the old one expires, never neither.
  TRESOR_RETURN_IF_ERROR(tokens_.Revoke(entry.id_hash));
  return rewrapped;
}

}  // namespace tresor::core
