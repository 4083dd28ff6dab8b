#include "engines/auth/token/token_role.h"

#include <algorithm>
#include <cctype>

#include "common/cidr.h"

namespace tresor::engines::token {
namespace {

using std::chrono::seconds;

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

bool RoleContains(const std::vector<std::string>& list, std::string_view item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

bool AnyGlobMatches(const std::vector<std::string>& patterns, std::string_view name) {
  return std::any_of(patterns.begin(), patterns.end(),
                     [&](const std::string& p) { return PolicyGlobMatch(p, name); });
}

// Trimmed, lower-cased, sorted, unique, empties dropped: what Vault's
// RemoveDuplicates(list, lowercase) makes of disallowed policy lists. Unlike
// SanitizePolicies, "root" does not swallow the others.
std::vector<std::string> NormalizeNames(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& name : names) {
    for (std::string& clean : SanitizePolicies({name}, false)) out.push_back(std::move(clean));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// Segments of [A-Za-z0-9_.-] separated by '/', none empty, no "..".
Status ValidatePathSuffix(std::string_view suffix) {
  bool ok = suffix.find("..") == std::string_view::npos && !suffix.starts_with('/') &&
            !suffix.ends_with('/') && suffix.find("//") == std::string_view::npos;
  for (char c : suffix) ok = ok && (IsWordChar(c) || c == '-' || c == '.' || c == '/');
  if (ok && suffix != ".") return Status::Ok();
  return InvalidArgumentError(
      "path_suffix: use letters, digits, '_', '-' and '.', with '/' between segments, and no "
      "\"..\"");
}

// A field and its deprecated alias (token_period and period): the token_
// name wins, with Vault's warning when both are given.
template <typename T, typename Read>
StatusOr<std::optional<T>> Aliased(FieldReader& fields, std::string_view name,
                                   std::string_view alias, Read read,
                                   std::vector<std::string>* warnings) {
  TRESOR_ASSIGN_OR_RETURN(std::optional<T> current, read(fields, name));
  TRESOR_ASSIGN_OR_RETURN(std::optional<T> deprecated, read(fields, alias));
  if (current.has_value() && deprecated.has_value()) {
    warnings->push_back("Both '" + std::string(name) + "' and deprecated '" + std::string(alias) +
                        "' value supplied, ignoring the deprecated value");
  }
  return current.has_value() ? current : deprecated;
}

std::string QuotedList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) out += (out.size() > 1 ? " \"" : "\"") + item + "\"";
  return out + "]";
}

}  // namespace

Status ValidateRoleName(std::string_view name) {
  bool ok = !name.empty() && IsWordChar(name.front()) && IsWordChar(name.back());
  for (char c : name) ok = ok && (IsWordChar(c) || c == '-' || c == '.');
  if (ok) return Status::Ok();
  return InvalidArgumentError(
      "invalid role name: use letters, digits, '_', '-' and '.', starting and ending with a "
      "letter, digit or '_'");
}

bool PolicyGlobMatch(std::string_view pattern, std::string_view name) {
  // Greedy match with backtracking to the last '*': linear in practice.
  std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
  while (n < name.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = n;
    } else if (p < pattern.size() && pattern[p] == name[n]) {
      ++p;
      ++n;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      n = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

StatusOr<std::vector<std::string>> ApplyRoleFields(FieldReader& fields, seconds max_ttl,
                                                   TokenRole* role) {
  std::vector<std::string> warnings;
  TRESOR_ASSIGN_OR_RETURN(auto orphan, fields.Bool("orphan"));
  if (orphan.has_value()) role->orphan = *orphan;
  TRESOR_ASSIGN_OR_RETURN(auto renewable, fields.Bool("renewable"));
  if (renewable.has_value()) role->renewable = *renewable;
  TRESOR_ASSIGN_OR_RETURN(auto path_suffix, fields.String("path_suffix"));
  if (path_suffix.has_value()) {
    if (!path_suffix->empty()) TRESOR_RETURN_IF_ERROR(ValidatePathSuffix(*path_suffix));
    role->path_suffix = *path_suffix;
  }

  TRESOR_ASSIGN_OR_RETURN(auto allowed, fields.StringList("allowed_policies"));
  if (allowed.has_value()) role->allowed_policies = SanitizePolicies(*allowed, false);
  TRESOR_ASSIGN_OR_RETURN(auto disallowed, fields.StringList("disallowed_policies"));
  if (disallowed.has_value()) role->disallowed_policies = NormalizeNames(*disallowed);
  TRESOR_ASSIGN_OR_RETURN(auto allowed_glob, fields.StringList("allowed_policies_glob"));
  if (allowed_glob.has_value())
    role->allowed_policies_glob = SanitizePolicies(*allowed_glob, false);
  TRESOR_ASSIGN_OR_RETURN(auto disallowed_glob, fields.StringList("disallowed_policies_glob"));
  if (disallowed_glob.has_value())
    role->disallowed_policies_glob = NormalizeNames(*disallowed_glob);
  TRESOR_ASSIGN_OR_RETURN(auto aliases, fields.StringList("allowed_entity_aliases"));
  if (aliases.has_value() && !aliases->empty()) {
    return InvalidArgumentError(
        "allowed_entity_aliases is not supported: Tresor has no identity store");
  }

  TRESOR_ASSIGN_OR_RETURN(auto type, fields.String("token_type"));
  if (type.has_value()) {
    if (*type != "service" && *type != "batch" && *type != "default-service" &&
        *type != "default-batch") {
      return InvalidArgumentError(
          "token_type: expected \"service\", \"batch\", \"default-service\" or "
          "\"default-batch\"");
    }
    role->token_type = *type;
  }

  auto duration = [](FieldReader& f, std::string_view name) { return f.Duration(name); };
  auto list = [](FieldReader& f, std::string_view name) { return f.StringList(name); };
  TRESOR_ASSIGN_OR_RETURN(auto period,
                          Aliased<seconds>(fields, "token_period", "period", duration, &warnings));
  if (period.has_value()) role->token_period = *period;
  TRESOR_ASSIGN_OR_RETURN(
      auto explicit_max,
      Aliased<seconds>(fields, "token_explicit_max_ttl", "explicit_max_ttl", duration, &warnings));
  if (explicit_max.has_value()) role->token_explicit_max_ttl = *explicit_max;
  TRESOR_ASSIGN_OR_RETURN(
      auto cidrs, (Aliased<std::vector<std::string>>(fields, "token_bound_cidrs", "bound_cidrs",
                                                     list, &warnings)));
  if (cidrs.has_value()) {
    Status valid = ValidateCidrList(*cidrs);
    if (!valid.ok()) return InvalidArgumentError("token_bound_cidrs: " + valid.message());
    role->token_bound_cidrs = std::move(*cidrs);
  }
  TRESOR_ASSIGN_OR_RETURN(auto num_uses, fields.Int("token_num_uses"));
  if (num_uses.has_value()) {
    if (*num_uses < 0) return InvalidArgumentError("token_num_uses cannot be negative");
    role->token_num_uses = *num_uses;
  }
  TRESOR_ASSIGN_OR_RETURN(auto no_default, fields.Bool("token_no_default_policy"));
  if (no_default.has_value()) role->token_no_default_policy = *no_default;

  if (role->token_explicit_max_ttl > max_ttl) {
    warnings.push_back(
        "Given explicit max TTL of " + std::to_string(role->token_explicit_max_ttl.count()) +
        " is greater than system/mount allowed value of " + std::to_string(max_ttl.count()) +
        " seconds; tokens created against this role are capped at the latter");
  }
  if (role->token_type == "batch") {
    const char* reason = nullptr;
    if (!role->orphan)
      reason = "non-orphan";
    else if (role->token_period.count() > 0)
      reason = "periodic";
    else if (role->renewable)
      reason = "renewable";
    else if (role->token_explicit_max_ttl.count() > 0)
      reason = "explicit max TTL";
    else if (role->token_num_uses > 0)
      reason = "use-limited";
    if (reason != nullptr) {
      return InvalidArgumentError(std::string("'token_type' cannot be 'batch' when role is set "
                                              "to generate ") +
                                  reason +
                                  " tokens: batch tokens are orphans, never renewed, and have "
                                  "no period, explicit max TTL or use limit");
    }
  }
  return warnings;
}

std::string SerializeTokenRole(const TokenRole& r) {
  nlohmann::json j = {
      {"name", r.name},
      {"allowed_policies", r.allowed_policies},
      {"disallowed_policies", r.disallowed_policies},
      {"allowed_policies_glob", r.allowed_policies_glob},
      {"disallowed_policies_glob", r.disallowed_policies_glob},
      {"orphan", r.orphan},
      {"renewable", r.renewable},
      {"path_suffix", r.path_suffix},
      {"token_period", r.token_period.count()},
      {"token_explicit_max_ttl", r.token_explicit_max_ttl.count()},
      {"token_type", r.token_type},
      {"token_bound_cidrs", r.token_bound_cidrs},
      {"token_num_uses", r.token_num_uses},
      {"token_no_default_policy", r.token_no_default_policy},
  };
  return j.dump();
}

StatusOr<TokenRole> ParseTokenRole(std::string_view text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    TokenRole r;
    r.name = j.at("name").get<std::string>();
    r.allowed_policies = j.at("allowed_policies").get<std::vector<std::string>>();
    r.disallowed_policies = j.at("disallowed_policies").get<std::vector<std::string>>();
    r.allowed_policies_glob = j.at("allowed_policies_glob").get<std::vector<std::string>>();
    r.disallowed_policies_glob = j.at("disallowed_policies_glob").get<std::vector<std::string>>();
    r.orphan = j.at("orphan").get<bool>();
    r.renewable = j.at("renewable").get<bool>();
    r.path_suffix = j.at("path_suffix").get<std::string>();
    r.token_period = seconds(j.at("token_period").get<long long>());
    r.token_explicit_max_ttl = seconds(j.at("token_explicit_max_ttl").get<long long>());
    r.token_type = j.at("token_type").get<std::string>();
    r.token_bound_cidrs = j.at("token_bound_cidrs").get<std::vector<std::string>>();
    r.token_num_uses = j.at("token_num_uses").get<long long>();
    r.token_no_default_policy = j.at("token_no_default_policy").get<bool>();
    return r;
  } catch (const nlohmann::json::exception& ex) {
    return CorruptionError(std::string("token role cannot be parsed: ") + ex.what());
  }
}

nlohmann::json TokenRoleData(const TokenRole& r) {
  // Vault answers the deprecated names too, with the same values here.
  nlohmann::json data = {
      {"name", r.name},
      {"allowed_policies", r.allowed_policies},
      {"disallowed_policies", r.disallowed_policies},
      {"allowed_policies_glob", r.allowed_policies_glob},
      {"disallowed_policies_glob", r.disallowed_policies_glob},
      {"allowed_entity_aliases", nlohmann::json::array()},
      {"orphan", r.orphan},
      {"renewable", r.renewable},
      {"path_suffix", r.path_suffix},
      {"period", r.token_period.count()},
      {"token_period", r.token_period.count()},
      {"explicit_max_ttl", r.token_explicit_max_ttl.count()},
      {"token_explicit_max_ttl", r.token_explicit_max_ttl.count()},
      {"token_type", r.token_type},
      {"token_no_default_policy", r.token_no_default_policy},
  };
  if (!r.token_bound_cidrs.empty()) data["token_bound_cidrs"] = r.token_bound_cidrs;
  if (r.token_num_uses > 0) data["token_num_uses"] = r.token_num_uses;
  return data;
}

bool RoleRestrictsPolicies(const TokenRole& role) {
  return !role.allowed_policies.empty() || !role.disallowed_policies.empty() ||
         !role.allowed_policies_glob.empty() || !role.disallowed_policies_glob.empty();
}

StatusOr<std::vector<std::string>> RolePolicies(const TokenRole& role,
                                                const std::vector<std::string>& requested,
                                                bool no_default_policy,
                                                const std::vector<std::string>& parent_policies) {
  // A role that lists policies hands out a set of its own, apart from the
  // parent's; "default" comes with it unless something says no.
  const bool add_default = !no_default_policy && !role.token_no_default_policy &&
                           !RoleContains(role.disallowed_policies, "default") &&
                           !AnyGlobMatches(role.disallowed_policies_glob, "default");
  std::vector<std::string> policies;
  if (!requested.empty()) policies = SanitizePolicies(requested, add_default);
  if (!role.allowed_policies.empty() || !role.allowed_policies_glob.empty()) {
    std::vector<std::string> allowed = SanitizePolicies(role.allowed_policies, add_default);
    if (policies.empty()) {
      policies = allowed;
    } else {
      for (const std::string& p : policies) {
        if (!RoleContains(allowed, p) && !AnyGlobMatches(role.allowed_policies_glob, p)) {
          return InvalidArgumentError("token policies " + QuotedList(policies) +
                                      " must be subset of the role's allowed policies " +
                                      QuotedList(allowed) + " or glob policies " +
                                      QuotedList(role.allowed_policies_glob));
        }
      }
    }
  } else if (policies.empty()) {
    policies = SanitizePolicies(parent_policies, add_default);
  }
  for (const std::string& p : policies) {
    if (RoleContains(role.disallowed_policies, p) ||
        AnyGlobMatches(role.disallowed_policies_glob, p)) {
      return InvalidArgumentError("token policy \"" + p + "\" is disallowed by this role");
    }
  }
  return policies;
}

}  // namespace tresor::engines::token
