#include "engines/auth/token_params.h"

#include <algorithm>

#include "common/cidr.h"
#include "engines/auth/token/token_entry.h"

namespace tresor::engines::auth {
namespace {

// The token_ field when given, else its alias when allowed: Vault's
// tokenutil.UpgradeValue precedence. Both are read, so neither is reported
// as unrecognised.
template <typename T, typename Reader>
StatusOr<std::optional<T>> TokenFieldOrAlias(FieldReader& fields, std::string_view name,
                                             bool alias_allowed, std::string_view alias,
                                             Reader read) {
  TRESOR_ASSIGN_OR_RETURN(std::optional<T> value, (fields.*read)(name));
  if (!alias_allowed) return value;
  TRESOR_ASSIGN_OR_RETURN(std::optional<T> legacy, (fields.*read)(alias));
  return value.has_value() ? value : legacy;
}

// "default-service" and "default-batch" name the mount's default type in
// Vault, which Tresor's mounts do not set: they are stored as what they fall
// back to, with Vault's warning.
Status ParseTokenType(std::string_view text, std::string& type,
                      std::vector<std::string>& warnings) {
  if (text.empty() || text == "default" || text == "service" || text == "batch") {
    type = text.empty() ? "default" : std::string(text);
    return Status::Ok();
  }
  if (text == "default-service" || text == "default-batch") {
    type = text.substr(std::string_view("default-").size());
    warnings.push_back(std::string(text) + " has no useful meaning; adjusting to " + type);
    return Status::Ok();
  }
  return InvalidArgumentError(
      "token_type: invalid value \"" + std::string(text.substr(0, 64)) +
      "\"; expected service, batch, default, default-service or default-batch");
}

}  // namespace

StatusOr<std::vector<std::string>> CidrListField(std::string_view field,
                                                 std::vector<std::string> cidrs) {
  for (std::string& cidr : cidrs) {
    cidr.erase(0, cidr.find_first_not_of(" \t"));
    cidr.erase(cidr.find_last_not_of(" \t") + 1);
  }
  std::erase(cidrs, "");
  Status valid = ValidateCidrList(cidrs);
  if (!valid.ok()) return InvalidArgumentError(std::string(field) + ": " + valid.message());
  return cidrs;
}

StatusOr<bool> ParseTokenPolicies(FieldReader& fields, bool allow_alias, TokenParams& params) {
  TRESOR_ASSIGN_OR_RETURN(auto policies, TokenFieldOrAlias<std::vector<std::string>>(
                                             fields, "token_policies", allow_alias, "policies",
                                             &FieldReader::StringList));
  if (!policies.has_value()) return false;
  params.policies = token::SanitizePolicies(*policies, /*add_default=*/false);
  return true;
}

Status ParseTokenFields(FieldReader& fields, const TokenFieldAliases& aliases, TokenParams& params,
                        std::vector<std::string>& warnings) {
  TRESOR_RETURN_IF_ERROR(ParseTokenPolicies(fields, aliases.policies, params).status());
  for (auto [name, alias_allowed, alias, target] :
       {std::tuple{"token_ttl", aliases.ttl, "ttl", &params.ttl},
        {"token_max_ttl", aliases.max_ttl, "max_ttl", &params.max_ttl},
        {"token_explicit_max_ttl", false, "", &params.explicit_max_ttl},
        {"token_period", aliases.period, "period", &params.period}}) {
    TRESOR_ASSIGN_OR_RETURN(
        auto value, TokenFieldOrAlias<std::chrono::seconds>(fields, name, alias_allowed, alias,
                                                            &FieldReader::Duration));
    if (value.has_value()) *target = *value;
  }
  TRESOR_ASSIGN_OR_RETURN(auto num_uses, fields.Int("token_num_uses"));
  if (num_uses.has_value()) params.num_uses = *num_uses;
  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("token_type"));
  if (type.has_value()) TRESOR_RETURN_IF_ERROR(ParseTokenType(*type, params.type, warnings));
  // Read apart, so that an error names the field that was given.
  TRESOR_ASSIGN_OR_RETURN(auto cidrs, fields.StringList("token_bound_cidrs"));
  std::string_view cidr_field = "token_bound_cidrs";
  if (aliases.bound_cidrs) {
    TRESOR_ASSIGN_OR_RETURN(auto legacy, fields.StringList("bound_cidrs"));
    if (!cidrs.has_value() && legacy.has_value()) {
      cidrs = std::move(legacy);
      cidr_field = "bound_cidrs";
    }
  }
  if (cidrs.has_value()) {
    TRESOR_ASSIGN_OR_RETURN(params.bound_cidrs, CidrListField(cidr_field, std::move(*cidrs)));
  }
  TRESOR_ASSIGN_OR_RETURN(auto no_default, fields.Bool("token_no_default_policy"));
  if (no_default.has_value()) params.no_default_policy = *no_default;
  return ValidateTokenParams(params);
}

Status ValidateTokenParams(const TokenParams& params) {
  if (params.num_uses < 0) return InvalidArgumentError("token_num_uses cannot be negative");
  if (params.max_ttl.count() > 0 && params.ttl > params.max_ttl) {
    return InvalidArgumentError("token_ttl cannot be greater than token_max_ttl");
  }
  if (params.type == "batch" && params.period.count() != 0) {
    return InvalidArgumentError(
        "token_type cannot be batch when token_period is set: batch tokens are never periodic");
  }
  if (params.type == "batch" && params.num_uses != 0) {
    return InvalidArgumentError(
        "token_type cannot be batch when token_num_uses is set: batch tokens have no use count");
  }
  Status cidrs = ValidateCidrList(params.bound_cidrs);
  if (!cidrs.ok()) return InvalidArgumentError("token_bound_cidrs: " + cidrs.message());
  return Status::Ok();
}

void WriteTokenFields(const TokenParams& params, nlohmann::json& out) {
  out["token_policies"] = params.policies;
  out["token_ttl"] = params.ttl.count();
  out["token_max_ttl"] = params.max_ttl.count();
  out["token_explicit_max_ttl"] = params.explicit_max_ttl.count();
  out["token_period"] = params.period.count();
  out["token_num_uses"] = params.num_uses;
  out["token_type"] = params.type;
  out["token_bound_cidrs"] = params.bound_cidrs;
  out["token_no_default_policy"] = params.no_default_policy;
}

StatusOr<TokenParams> ReadTokenFields(const nlohmann::json& stored) {
  TokenParams params;
  try {
    params.policies = stored.value("token_policies", std::vector<std::string>{});
    params.ttl = std::chrono::seconds(stored.value("token_ttl", 0LL));
    params.max_ttl = std::chrono::seconds(stored.value("token_max_ttl", 0LL));
    params.explicit_max_ttl = std::chrono::seconds(stored.value("token_explicit_max_ttl", 0LL));
    params.period = std::chrono::seconds(stored.value("token_period", 0LL));
    params.num_uses = stored.value("token_num_uses", 0LL);
    params.type = stored.value("token_type", std::string("default"));
    params.bound_cidrs = stored.value("token_bound_cidrs", std::vector<std::string>{});
    params.no_default_policy = stored.value("token_no_default_policy", false);
  } catch (const nlohmann::json::exception&) {
    return CorruptionError("stored token parameters cannot be parsed");
  }
  return params;
}

void FillLogin(const TokenParams& params, logical::Response::Login& login) {
  login.policies = token::SanitizePolicies(params.policies, !params.no_default_policy);
  login.no_default_policy = params.no_default_policy;
  login.ttl_seconds = params.ttl.count();
  long long max_ttl = params.max_ttl.count();
  long long explicit_max = params.explicit_max_ttl.count();
  if (explicit_max > 0) max_ttl = max_ttl > 0 ? std::min(max_ttl, explicit_max) : explicit_max;
  login.max_ttl_seconds = max_ttl;
  login.num_uses = params.num_uses;
  login.period_seconds = params.period.count();
  login.token_type = params.type;
  login.bound_cidrs = params.bound_cidrs;
}

}  // namespace tresor::engines::auth
