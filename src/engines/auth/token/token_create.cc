// auth/token/create, create-orphan and create/<role>: Vault's rules for what
// a caller may give a child token (handleCreateCommon), with a role's rules
// when one is named, over TokenStore::Create. Every field is read and
// checked before the store is touched, so a bad request creates nothing.

#include <algorithm>

#include "engines/auth/token/token_engine.h"
#include "engines/auth/token/token_responses.h"

namespace tresor::engines::token {
namespace {

using std::chrono::seconds;

// Everything create reads from the body, parsed and type-checked.
struct CreateFields {
  std::string id;
  std::optional<std::vector<std::string>> policies;
  std::map<std::string, std::string> meta;
  bool no_parent = false;
  bool no_default_policy = false;
  bool renewable = true;
  seconds ttl{0};
  seconds explicit_max_ttl{0};
  seconds period{0};
  std::string display_name;
  long long num_uses = 0;
  std::string type;       // "", "service" or "batch"
  std::string role_name;  // from the body
};

StatusOr<CreateFields> ReadCreateFields(FieldReader& fields) {
  CreateFields out;
  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
  out.type = type.value_or("");
  if (!out.type.empty() && out.type != "service" && out.type != "batch") {
    return InvalidArgumentError("invalid 'token_type' value: expected \"service\" or \"batch\"");
  }
  TRESOR_ASSIGN_OR_RETURN(auto role_name, fields.String("role_name"));
  out.role_name = role_name.value_or("");
  TRESOR_ASSIGN_OR_RETURN(auto entity_alias, fields.String("entity_alias"));
  if (entity_alias.has_value() && !entity_alias->empty()) {
    return InvalidArgumentError("entity_alias is not supported: Tresor has no identity store");
  }
  TRESOR_ASSIGN_OR_RETURN(auto id, fields.String("id"));
  out.id = id.value_or("");
  TRESOR_ASSIGN_OR_RETURN(out.policies, fields.StringList("policies"));
  TRESOR_ASSIGN_OR_RETURN(auto meta, fields.StringMap("meta"));
  out.meta = meta.value_or(std::map<std::string, std::string>());
  TRESOR_ASSIGN_OR_RETURN(auto no_parent, fields.Bool("no_parent"));
  out.no_parent = no_parent.value_or(false);
  TRESOR_ASSIGN_OR_RETURN(auto no_default, fields.Bool("no_default_policy"));
  out.no_default_policy = no_default.value_or(false);
  TRESOR_ASSIGN_OR_RETURN(auto renewable, fields.Bool("renewable"));
  out.renewable = renewable.value_or(true);
  TRESOR_ASSIGN_OR_RETURN(auto ttl, fields.Duration("ttl"));
  // "lease" is Vault's deprecated spelling of ttl; ttl wins when both are set.
  TRESOR_ASSIGN_OR_RETURN(auto lease, fields.Duration("lease"));
  out.ttl = ttl.value_or(lease.value_or(seconds(0)));
  TRESOR_ASSIGN_OR_RETURN(auto explicit_max, fields.Duration("explicit_max_ttl"));
  out.explicit_max_ttl = explicit_max.value_or(seconds(0));
  TRESOR_ASSIGN_OR_RETURN(auto period, fields.Duration("period"));
  out.period = period.value_or(seconds(0));
  TRESOR_ASSIGN_OR_RETURN(auto display_name, fields.String("display_name"));
  out.display_name = display_name.value_or("");
  TRESOR_ASSIGN_OR_RETURN(auto num_uses, fields.Int("num_uses"));
  out.num_uses = num_uses.value_or(0);
  if (out.num_uses < 0) return InvalidArgumentError("number of uses cannot be negative");
  fields.String("format").status().IgnoreError();  // a CLI query flag Vault accepts
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// "service" or "batch": the caller's type, unless the role fixes one (or
// gives the default when the caller gives none). A batch token cannot have
// what only a stored token can keep.
StatusOr<std::string> ChildType(const CreateFields& in, const TokenRole* role) {
  std::string type = in.type;
  if (role != nullptr) {
    const std::string& fixed = role->token_type;
    if ((fixed == "service" || fixed == "batch") && !type.empty() && type != fixed) {
      return InvalidArgumentError("type \"" + type + "\": role \"" + role->name + "\" makes " +
                                  fixed + " tokens only");
    }
    if (fixed == "service" || fixed == "batch") type = fixed;
    if (fixed == "default-batch" && type.empty()) type = "batch";
  }
  if (type.empty()) type = "service";
  if (type == "batch") {
    const char* field = nullptr;
    if (in.explicit_max_ttl.count() > 0) field = "explicit_max_ttl";
    if (in.num_uses != 0) field = "num_uses";
    if (in.period.count() > 0) field = "period";
    if (field != nullptr) {
      return InvalidArgumentError(std::string("batch tokens cannot have \"") + field +
                                  "\" set: they are never renewed and nothing counts their uses");
    }
  }
  return type;
}

// The child's policies under Vault's rules. A role that lists policies
// decides on its own (RolePolicies). Otherwise a non-root parent may only
// pass on policies it holds ("default" aside, which the child gets only
// when the parent has it).
StatusOr<std::vector<std::string>> ChildPolicies(const CreateFields& in, bool no_default_policy,
                                                 const TokenEntry& parent, const TokenRole* role) {
  const bool parent_is_root = parent.IsRoot();
  bool add_default = false;
  std::vector<std::string> requested;
  if (role != nullptr && RoleRestrictsPolicies(*role)) {
    TRESOR_ASSIGN_OR_RETURN(requested,
                            RolePolicies(*role, in.policies.value_or(std::vector<std::string>()),
                                         no_default_policy, parent.policies));
  } else if (!in.policies.has_value() || in.policies->empty()) {
    requested = SanitizePolicies(parent.policies, false);
  } else if (!parent_is_root) {
    requested = SanitizePolicies(*in.policies, false);
    std::vector<std::string> held = SanitizePolicies(parent.policies, false);
    for (const std::string& p : requested) {
      if (!Contains(held, p)) {
        return InvalidArgumentError("child policies must be subset of parent");
      }
    }
    add_default = !no_default_policy && Contains(parent.policies, "default");
  } else {
    requested = *in.policies;
    add_default = !no_default_policy;
  }
  std::vector<std::string> policies = SanitizePolicies(requested, add_default);
  if (no_default_policy) {
    policies.erase(std::remove(policies.begin(), policies.end(), "default"), policies.end());
  }
  if (Contains(policies, "root") && !parent_is_root) {
    return InvalidArgumentError("root tokens may not be created without parent token being root");
  }
  return policies;
}

// The lesser of what the call asks and what the role sets, with Vault's
// warning when both do.
seconds LesserOf(seconds requested, seconds from_role, const char* what,
                 std::vector<std::string>* warnings) {
  if (from_role.count() == 0) return requested;
  if (requested.count() == 0) return from_role;
  seconds lesser = std::min(requested, from_role);
  warnings->push_back(std::string(what) +
                      " specified both during creation call and in role; using the lesser "
                      "value of " +
                      std::to_string(lesser.count()) + " seconds");
  return lesser;
}

}  // namespace

StatusOr<logical::Response> TokenEngine::Create(const logical::Request& request,
                                                FieldReader& fields, bool orphan_path,
                                                std::string role_name) {
  TRESOR_ASSIGN_OR_RETURN(CreateFields in, ReadCreateFields(fields));
  if (!in.role_name.empty()) {
    if (orphan_path) {
      return InvalidArgumentError(
          "role_name is not accepted on create-orphan: use auth/token/create/<role> with a role "
          "that has orphan set");
    }
    if (!role_name.empty() && in.role_name != role_name) {
      return InvalidArgumentError("role_name \"" + in.role_name +
                                  "\" differs from the role in the path");
    }
    role_name = in.role_name;
  }
  std::optional<TokenRole> role;
  if (!role_name.empty()) {
    TRESOR_ASSIGN_OR_RETURN(role, store_.ReadRole(role_name));
    if (!role.has_value()) return InvalidArgumentError("unknown role " + role_name);
  }
  const TokenRole* role_ptr = role.has_value() ? &*role : nullptr;

  TRESOR_ASSIGN_OR_RETURN(auto parent, store_.Lookup(request.client_token));
  if (!parent.has_value()) {
    return InvalidArgumentError("parent token lookup failed: no parent found");
  }
  if (parent->type == "batch")
    return InvalidArgumentError("batch tokens cannot create more tokens");
  // Otherwise a child would outlive the parent's use limit.
  if (parent->num_uses > 0) {
    return InvalidArgumentError("restricted use token cannot generate child tokens");
  }
  const bool parent_is_root = parent->IsRoot();
  if (!in.id.empty() && !parent_is_root) {
    return InvalidArgumentError("root privileges required to specify token id");
  }
  if (in.no_parent && role_ptr != nullptr && !role_ptr->orphan) {
    return InvalidArgumentError("no_parent cannot be used with role \"" + role_ptr->name +
                                "\", whose tokens have a parent: set orphan on the role instead");
  }
  if (in.no_parent && role_ptr == nullptr && !parent_is_root) {
    return InvalidArgumentError("root privileges required to create orphan token");
  }
  if (in.period > seconds(0) && !parent_is_root) {
    return InvalidArgumentError("root privileges required to create periodic token");
  }
  TRESOR_ASSIGN_OR_RETURN(std::string type, ChildType(in, role_ptr));
  const bool batch = type == "batch";
  const bool no_default =
      in.no_default_policy || (role_ptr != nullptr && role_ptr->token_no_default_policy);
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> policies,
                          ChildPolicies(in, no_default, *parent, role_ptr));
  // Nothing could ever revoke it.
  if (batch && Contains(policies, "root")) {
    return InvalidArgumentError("batch tokens cannot be root tokens");
  }

  std::vector<std::string> warnings;
  long long num_uses = in.num_uses;
  seconds explicit_max_ttl = in.explicit_max_ttl;
  seconds period = in.period;
  bool renewable = in.renewable && !batch;
  bool orphan = orphan_path || in.no_parent;
  std::vector<std::string> bound_cidrs;
  std::string path = "auth/token/" + request.path;
  if (role_ptr != nullptr) {
    // 0 is unlimited, so any role limit is lower than none.
    if (role_ptr->token_num_uses > 0 && (num_uses == 0 || role_ptr->token_num_uses < num_uses)) {
      num_uses = role_ptr->token_num_uses;
    }
    if (batch && num_uses != 0) {
      return InvalidArgumentError("batch tokens cannot have \"num_uses\" set: role \"" +
                                  role_ptr->name + "\" sets token_num_uses");
    }
    renewable = renewable && role_ptr->renewable;
    orphan = role_ptr->orphan;
    bound_cidrs = role_ptr->token_bound_cidrs;
    path = "auth/token/create/" + role_ptr->name;
    if (!role_ptr->path_suffix.empty()) path += "/" + role_ptr->path_suffix;
    if (!batch) {
      explicit_max_ttl = LesserOf(explicit_max_ttl, role_ptr->token_explicit_max_ttl,
                                  "Explicit max TTL", &warnings);
      period = LesserOf(period, role_ptr->token_period, "Period", &warnings);
    }
  } else if (!orphan) {
    bound_cidrs = parent->bound_cidrs;  // a child is no less bound than its parent
  }

  TtlDecision ttl =
      CreationTtl(LimitsFor(request), in.ttl, period, explicit_max_ttl, Contains(policies, "root"));
  if (ttl.ttl == seconds(0)) {
    if (parent->ttl != seconds(0)) {
      return InvalidArgumentError("expiring root tokens cannot create non-expiring root tokens");
    }
    renewable = false;    // Vault refuses to renew a token that never expires,
    bound_cidrs.clear();  // and does not bind one to addresses.
  }

  NewToken spec;
  spec.id = in.id;
  spec.parent_hash = orphan ? "" : parent->id_hash;
  spec.policies = std::move(policies);
  spec.meta = std::move(in.meta);
  spec.display_name = TokenDisplayName(in.display_name);
  spec.num_uses = num_uses;
  spec.ttl = ttl.ttl;
  spec.explicit_max_ttl = explicit_max_ttl;
  spec.period = ttl.period;
  spec.renewable = renewable;
  spec.path = std::move(path);
  spec.type = type;
  spec.bound_cidrs = std::move(bound_cidrs);
  spec.role = role_name;
  TRESOR_ASSIGN_OR_RETURN(CreatedToken created, store_.Create(spec));

  logical::Response response;
  response.auth = AuthData(created.entry, created.token, created.entry.ttl.count());
  response.warnings = std::move(warnings);
  response.warnings.insert(response.warnings.end(), ttl.warnings.begin(), ttl.warnings.end());
  if (auto unused = fields.UnusedFieldsWarning()) response.warnings.push_back(*unused);
  return response;
}

}  // namespace tresor::engines::token
