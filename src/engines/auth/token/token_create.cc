// auth/token/create and auth/token/create-orphan: Vault's rules for what a
// caller may give a child token (handleCreateCommon), over TokenStore::Create.
// Every field is read and checked before the store is touched, so a bad
// request creates nothing.

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
};

StatusOr<CreateFields> ReadCreateFields(FieldReader& fields) {
  CreateFields out;
  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("type"));
  if (type.has_value() && *type == "batch") {
    return InvalidArgumentError("batch tokens are not supported; omit type or use \"service\"");
  }
  if (type.has_value() && !type->empty() && *type != "service") {
    return InvalidArgumentError("invalid 'token_type' value");
  }
  TRESOR_ASSIGN_OR_RETURN(auto role_name, fields.String("role_name"));
  if (role_name.has_value() && !role_name->empty()) {
    return InvalidArgumentError("token roles are not supported");
  }
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

// The child's policies under Vault's rules. A non-root parent may only pass
// on policies it holds ("default" aside, which the child gets only when the
// parent has it).
StatusOr<std::vector<std::string>> ChildPolicies(const CreateFields& in, const TokenEntry& parent) {
  const bool parent_is_root = parent.IsRoot();
  bool add_default = false;
  std::vector<std::string> requested;
  if (!in.policies.has_value() || in.policies->empty()) {
    requested = SanitizePolicies(parent.policies, false);
  } else if (!parent_is_root) {
    requested = SanitizePolicies(*in.policies, false);
    std::vector<std::string> held = SanitizePolicies(parent.policies, false);
    for (const std::string& p : requested) {
      if (!Contains(held, p)) {
        return InvalidArgumentError("child policies must be subset of parent");
      }
    }
    add_default = !in.no_default_policy && Contains(parent.policies, "default");
  } else {
    requested = *in.policies;
    add_default = !in.no_default_policy;
  }
  std::vector<std::string> policies = SanitizePolicies(requested, add_default);
  if (in.no_default_policy) {
    policies.erase(std::remove(policies.begin(), policies.end(), "default"), policies.end());
  }
  if (Contains(policies, "root") && !parent_is_root) {
    return InvalidArgumentError("root tokens may not be created without parent token being root");
  }
  return policies;
}

}  // namespace

StatusOr<logical::Response> TokenEngine::Create(const logical::Request& request,
                                                FieldReader& fields, bool orphan_path) {
  TRESOR_ASSIGN_OR_RETURN(CreateFields in, ReadCreateFields(fields));

  TRESOR_ASSIGN_OR_RETURN(auto parent, store_.Lookup(request.client_token));
  if (!parent.has_value()) {
    return InvalidArgumentError("parent token lookup failed: no parent found");
  }
  // Otherwise a child would outlive the parent's use limit.
  if (parent->num_uses > 0) {
    return InvalidArgumentError("restricted use token cannot generate child tokens");
  }
  const bool parent_is_root = parent->IsRoot();
  if (!in.id.empty() && !parent_is_root) {
    return InvalidArgumentError("root privileges required to specify token id");
  }
  if (in.no_parent && !parent_is_root) {
    return InvalidArgumentError("root privileges required to create orphan token");
  }
  if (in.period > seconds(0) && !parent_is_root) {
    return InvalidArgumentError("root privileges required to create periodic token");
  }
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> policies, ChildPolicies(in, *parent));

  TtlDecision ttl = CreationTtl(store_.limits(), in.ttl, in.period, in.explicit_max_ttl,
                                Contains(policies, "root"));
  bool renewable = in.renewable;
  if (ttl.ttl == seconds(0)) {
    if (parent->ttl != seconds(0)) {
      return InvalidArgumentError("expiring root tokens cannot create non-expiring root tokens");
    }
    renewable = false;  // Vault refuses to renew a token that never expires.
  }

  NewToken spec;
  spec.id = in.id;
  spec.parent_hash = (orphan_path || in.no_parent) ? "" : parent->id_hash;
  spec.policies = std::move(policies);
  spec.meta = std::move(in.meta);
  spec.display_name = TokenDisplayName(in.display_name);
  spec.num_uses = in.num_uses;
  spec.ttl = ttl.ttl;
  spec.explicit_max_ttl = in.explicit_max_ttl;
  spec.period = ttl.period;
  spec.renewable = renewable;
  spec.path = "auth/token/" + request.path;
  TRESOR_ASSIGN_OR_RETURN(CreatedToken created, store_.Create(spec));

  logical::Response response;
  response.auth = AuthData(created.entry, created.token, created.entry.ttl.count());
  response.warnings = std::move(ttl.warnings);
  if (auto unused = fields.UnusedFieldsWarning()) response.warnings.push_back(*unused);
  return response;
}

}  // namespace tresor::engines::token
