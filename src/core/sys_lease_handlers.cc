// sys/leases/* and the legacy sys/renew, sys/revoke, sys/revoke-prefix and
// sys/revoke-force (docs/leases.md), over core/leases.h. A lease ID comes
// from the body's lease_id or, as in Vault, from the rest of the path
// (sys/leases/renew/<lease_id>); giving both, different, is refused.
#include "core/leases.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

// What follows `base` + "/" in the request's path ("" when nothing does).
std::string LeasePathRest(const Request& request, std::string_view base) {
  std::string_view path = request.path;
  if (path.size() <= base.size() + 1) return "";
  return std::string(path.substr(base.size() + 1));
}

Status RefuseUnknownLeaseFields(const FieldReader& fields) {
  if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
    return InvalidArgumentError(*unknown);
  }
  return Status::Ok();
}

// The lease ID of a request to `base` or `base`/<lease_id>.
StatusOr<std::string> LeaseIdOf(const Request& request, std::string_view base,
                                FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(auto in_body, fields.String("lease_id"));
  std::string in_path = LeasePathRest(request, base);
  if (in_body.has_value() && !in_body->empty() && !in_path.empty() && *in_body != in_path) {
    return InvalidArgumentError("lease_id: the body and the path name different leases");
  }
  std::string id = !in_path.empty() ? in_path : in_body.value_or("");
  if (id.empty()) return InvalidArgumentError("lease_id: missing (the lease to act on)");
  return id;
}

nlohmann::json LeaseLookupData(const LeaseInfo& info) {
  auto time_or_null = [](const std::optional<Clock::TimePoint>& t) {
    return t.has_value() ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {{"id", info.id},
          {"issue_time", FormatRfc3339(info.issue_time)},
          {"expire_time", time_or_null(info.expire_time)},
          {"last_renewal", time_or_null(info.last_renewal)},
          {"renewable", info.renewable},
          {"ttl", info.ttl_seconds}};
}

}  // namespace

void RegisterLeaseHandlers(SysRouter& router, Leases& leases) {
  SysRoute lookup;
  lookup.handlers[Operation::kUpdate] = [&leases](const Request& request) -> StatusOr<Response> {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(std::string id, LeaseIdOf(request, "sys/leases/lookup", fields));
    TRESOR_RETURN_IF_ERROR(RefuseUnknownLeaseFields(fields));
    TRESOR_ASSIGN_OR_RETURN(LeaseInfo info, leases.Lookup(id));
    return Response::Data(LeaseLookupData(info));
  };
  router.Add("sys/leases/lookup", std::move(lookup));

  // LIST sys/leases/lookup/<prefix>/: needs sudo, as in Vault.
  SysRoute list;
  list.sudo = true;
  list.handlers[Operation::kList] = [&leases](const Request& request) -> StatusOr<Response> {
    std::string prefix = LeasePathRest(request, "sys/leases/lookup");
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    TRESOR_ASSIGN_OR_RETURN(auto keys, leases.List(prefix));
    if (keys.empty()) return NotFoundError("");
    return Response::Data({{"keys", keys}});
  };
  router.AddPrefix("sys/leases/lookup/", std::move(list));

  for (std::string base : {"sys/leases/renew", "sys/renew"}) {
    SysRoute renew;
    renew.handlers[Operation::kUpdate] = [&leases,
                                          base](const Request& request) -> StatusOr<Response> {
      TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
      TRESOR_ASSIGN_OR_RETURN(std::string id, LeaseIdOf(request, base, fields));
      TRESOR_ASSIGN_OR_RETURN(auto increment, fields.Duration("increment"));
      TRESOR_RETURN_IF_ERROR(RefuseUnknownLeaseFields(fields));
      TRESOR_ASSIGN_OR_RETURN(LeaseInfo info,
                              leases.Renew(id, increment.value_or(std::chrono::seconds(0))));
      Response response;
      response.lease_id = info.id;
      response.renewable = info.renewable;
      response.lease_duration = info.ttl_seconds;
      // Vault's envelope is a 200 with the lease fields, not a 204.
      response.http_status = 200;
      return response;
    };
    router.Add(base, renew);
    router.AddPrefix(base + "/", std::move(renew));
  }

  for (std::string base : {"sys/leases/revoke", "sys/revoke"}) {
    SysRoute revoke;
    revoke.handlers[Operation::kUpdate] = [&leases,
                                           base](const Request& request) -> StatusOr<Response> {
      TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
      TRESOR_ASSIGN_OR_RETURN(std::string id, LeaseIdOf(request, base, fields));
      // Revocation is always synchronous here; sync=false is accepted and
      // answered once the lease is gone all the same.
      TRESOR_ASSIGN_OR_RETURN(auto sync, fields.Bool("sync"));
      (void)sync;
      TRESOR_RETURN_IF_ERROR(RefuseUnknownLeaseFields(fields));
      TRESOR_RETURN_IF_ERROR(leases.Revoke(id));
      return Response::Empty();
    };
    router.Add(base, revoke);
    router.AddPrefix(base + "/", std::move(revoke));
  }

  struct PrefixRoute {
    const char* base;
    bool force;
  };
  for (PrefixRoute which : {PrefixRoute{"sys/leases/revoke-prefix", false},
                            PrefixRoute{"sys/revoke-prefix", false},
                            PrefixRoute{"sys/leases/revoke-force", true},
                            PrefixRoute{"sys/revoke-force", true}}) {
    SysRoute route;
    route.sudo = true;
    route.handlers[Operation::kUpdate] = [&leases,
                                          which](const Request& request) -> StatusOr<Response> {
      TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
      TRESOR_ASSIGN_OR_RETURN(auto sync, fields.Bool("sync"));
      (void)sync;  // always synchronous, as for revoke
      // hvac repeats the path's prefix in the body.
      TRESOR_ASSIGN_OR_RETURN(auto in_body, fields.String("prefix"));
      TRESOR_RETURN_IF_ERROR(RefuseUnknownLeaseFields(fields));
      std::string prefix = LeasePathRest(request, which.base);
      // The path lost its trailing '/' to normalisation; it matters here
      // ("auth/user/" is not "auth/user" followed by anything).
      if (!prefix.empty() && request.trailing_slash) prefix += '/';
      auto bare = [](std::string_view p) {
        while (!p.empty() && p.back() == '/') p.remove_suffix(1);
        return p;
      };
      if (in_body.has_value() && !in_body->empty() && *in_body != prefix) {
        // hvac drops the path's trailing '/' but keeps it in the body.
        if (!prefix.empty() && bare(*in_body) != bare(prefix)) {
          return InvalidArgumentError("prefix: the body and the path name different prefixes");
        }
        prefix = *in_body;
      }
      if (prefix.empty()) {
        return InvalidArgumentError("prefix: missing: give it in the path (" +
                                    std::string(which.base) + "/auth/userpass/)");
      }
      std::size_t failed = 0;
      TRESOR_ASSIGN_OR_RETURN(std::size_t revoked,
                              leases.RevokePrefix(prefix, which.force, &failed));
      Response response;
      if (failed > 0) {
        response.warnings.push_back(std::to_string(failed) + " of " +
                                    std::to_string(failed + revoked) +
                                    " leases could not be revoked; see the server log");
      }
      return response;
    };
    router.AddPrefix(std::string(which.base) + "/", route);
    router.Add(which.base, std::move(route));
  }

  SysRoute tidy;
  tidy.handlers[Operation::kUpdate] = [&leases](const Request&) -> StatusOr<Response> {
    TRESOR_RETURN_IF_ERROR(leases.Tidy());
    return Response::TidyStarted();
  };
  router.Add("sys/leases/tidy", std::move(tidy));
}

}  // namespace tresor::core
