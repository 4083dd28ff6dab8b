#include "engines/auth/approle/approle_role.h"

#include <algorithm>
#include <cctype>

#include "common/cidr.h"

namespace tresor::engines::approle {
namespace {

bool IsApproleNameEdge(unsigned char c) { return std::isalnum(c) || c == '_'; }

}  // namespace

StatusOr<std::string> RoleName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("role_name: missing in the path");
  if (name.size() > kMaxHmacInput) {
    return InvalidArgumentError("role_name is longer than maximum of 4096 bytes");
  }
  bool valid = IsApproleNameEdge(name.front()) && IsApproleNameEdge(name.back()) &&
               std::all_of(name.begin(), name.end(), [](unsigned char c) {
                 return IsApproleNameEdge(c) || c == '-' || c == '.';
               });
  if (!valid) {
    return InvalidArgumentError(
        "role_name: only letters, digits, '_', '-' and '.' are allowed, and it must begin and "
        "end with a letter, digit or '_'");
  }
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

Status RoleNotFoundError(std::string_view name) {
  return NotFoundError("role \"" + std::string(name) + "\" does not exist");
}

Status ApplyRoleFields(FieldReader& fields, bool creating, Role& role,
                       std::vector<std::string>& warnings) {
  TRESOR_ASSIGN_OR_RETURN(auto role_id, fields.String("role_id"));
  if (role_id.has_value()) {
    if (role_id->empty()) return InvalidArgumentError("role_id: must not be empty");
    role.role_id = std::move(*role_id);
  }
  TRESOR_ASSIGN_OR_RETURN(auto bind, fields.Bool("bind_secret_id"));
  if (bind.has_value()) role.bind_secret_id = *bind;

  // bound_cidr_list is the name Vault had before secret_id_bound_cidrs.
  TRESOR_ASSIGN_OR_RETURN(auto cidrs, fields.StringList("secret_id_bound_cidrs"));
  std::string_view cidr_field = "secret_id_bound_cidrs";
  TRESOR_ASSIGN_OR_RETURN(auto legacy_cidrs, fields.StringList("bound_cidr_list"));
  if (!cidrs.has_value() && legacy_cidrs.has_value()) {
    cidrs = std::move(legacy_cidrs);
    cidr_field = "bound_cidr_list";
  }
  if (cidrs.has_value()) {
    TRESOR_ASSIGN_OR_RETURN(role.secret_id_bound_cidrs,
                            auth::CidrListField(cidr_field, std::move(*cidrs)));
  }

  TRESOR_ASSIGN_OR_RETURN(auto num_uses, fields.Int("secret_id_num_uses"));
  if (num_uses.has_value()) role.secret_id_num_uses = *num_uses;
  TRESOR_ASSIGN_OR_RETURN(auto ttl, fields.Duration("secret_id_ttl"));
  if (ttl.has_value()) role.secret_id_ttl = *ttl;

  TRESOR_ASSIGN_OR_RETURN(auto local, fields.Bool("local_secret_ids"));
  if (local.has_value() && *local != role.local_secret_ids) {
    if (!creating) {
      return InvalidArgumentError("local_secret_ids can only be modified during role creation");
    }
    role.local_secret_ids = *local;
  }

  TRESOR_RETURN_IF_ERROR(
      auth::ParseTokenFields(fields, auth::kAppRoleTokenAliases, role.token, warnings));
  return ValidateRole(role);
}

Status ValidateRole(const Role& role) {
  if (role.role_id.size() > kMaxHmacInput) {
    return InvalidArgumentError("role_id is longer than maximum of 4096 bytes");
  }
  if (role.secret_id_num_uses < 0) {
    return InvalidArgumentError("secret_id_num_uses cannot be negative");
  }
  Status cidrs = ValidateCidrList(role.secret_id_bound_cidrs);
  if (!cidrs.ok()) return InvalidArgumentError("secret_id_bound_cidrs: " + cidrs.message());
  TRESOR_RETURN_IF_ERROR(auth::ValidateTokenParams(role.token));
  if (!role.bind_secret_id && role.secret_id_bound_cidrs.empty() &&
      role.token.bound_cidrs.empty()) {
    return InvalidArgumentError("at least one constraint should be enabled on the role");
  }
  return Status::Ok();
}

nlohmann::json RoleReadData(const Role& role) {
  nlohmann::json data = {{"bind_secret_id", role.bind_secret_id},
                         {"secret_id_bound_cidrs", role.secret_id_bound_cidrs},
                         {"secret_id_num_uses", role.secret_id_num_uses},
                         {"secret_id_ttl", role.secret_id_ttl.count()},
                         {"local_secret_ids", role.local_secret_ids}};
  auth::WriteTokenFields(role.token, data);
  data["policies"] = role.token.policies;
  data["period"] = role.token.period.count();
  return data;
}

std::string SerializeRole(const Role& role) {
  nlohmann::json stored = {{"name", role.name},
                           {"role_id", role.role_id},
                           {"bind_secret_id", role.bind_secret_id},
                           {"secret_id_bound_cidrs", role.secret_id_bound_cidrs},
                           {"secret_id_num_uses", role.secret_id_num_uses},
                           {"secret_id_ttl", role.secret_id_ttl.count()},
                           {"local_secret_ids", role.local_secret_ids}};
  auth::WriteTokenFields(role.token, stored);
  return stored.dump();
}

StatusOr<Role> ParseRole(std::string_view text) {
  auto stored = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  Role role;
  try {
    role.name = stored.at("name").get<std::string>();
    role.role_id = stored.at("role_id").get<std::string>();
    role.bind_secret_id = stored.at("bind_secret_id").get<bool>();
    role.secret_id_bound_cidrs = stored.at("secret_id_bound_cidrs").get<std::vector<std::string>>();
    role.secret_id_num_uses = stored.at("secret_id_num_uses").get<long long>();
    role.secret_id_ttl = std::chrono::seconds(stored.at("secret_id_ttl").get<long long>());
    role.local_secret_ids = stored.at("local_secret_ids").get<bool>();
  } catch (const nlohmann::json::exception&) {
    return CorruptionError("a stored AppRole role cannot be parsed");
  }
  auto token = auth::ReadTokenFields(stored);
  if (!token.ok()) return CorruptionError("a stored AppRole role cannot be parsed");
  role.token = std::move(*token);
  return role;
}

}  // namespace tresor::engines::approle
