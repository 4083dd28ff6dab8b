// The AppRole auth method (Vault's auth/approle): machines log in with a
// role ID and a secret ID and get a token carrying their role's policies.
// docs/auth-approle.md is the user's guide. Paths, relative to the mount:
//
//   role                           LIST      role names
//   role/<name>                    GET POST DELETE: bind_secret_id,
//                                  secret_id_bound_cidrs, secret_id_num_uses,
//                                  secret_id_ttl, local_secret_ids, role_id,
//                                  and the token_* fields (token_params.h,
//                                  aliases policies and period)
//   role/<name>/role-id            GET; POST {role_id} sets a custom one
//   role/<name>/<field path>       GET POST DELETE one field (policies,
//                                  secret-id-num-uses, secret-id-ttl,
//                                  token-ttl, token-max-ttl, token-num-uses,
//                                  bind-secret-id, secret-id-bound-cidrs,
//                                  token-bound-cidrs, period); DELETE resets
//                                  it to its default
//   role/<name>/local-secret-ids   GET
//   role/<name>/secret-id          POST issues one {metadata, cidr_list,
//                                  token_bound_cidrs, num_uses, ttl}; LIST
//                                  its accessors
//   role/<name>/custom-secret-id   POST {secret_id, ...as above}
//   role/<name>/secret-id/lookup   POST {secret_id}
//   role/<name>/secret-id/destroy  POST or DELETE {secret_id}
//   role/<name>/secret-id-accessor/lookup   POST {secret_id_accessor}
//   role/<name>/secret-id-accessor/destroy  POST or DELETE {secret_id_accessor}
//   login                          POST {role_id, secret_id}: no token needed;
//                                  answers a Login that core makes a token of
//   tidy/secret-id                 POST: removes expired and dangling entries
//
// Storage layout and the locking model: approle_store.h. Secret IDs exist
// in plaintext only in the response that issues them.
//
// Login refuses with 400 "invalid role or secret ID" whether the role ID or
// the secret ID is wrong, expired or used up, as Vault does; a client
// outside the secret ID's cidr_list or the role's secret_id_bound_cidrs
// gets Vault's "source address ... unauthorized ..." 400. The CIDR checks
// come before a use is consumed, so a refused login costs no use.
//
// Who calls it: core's mount table (type "approle", kind auth).
// Threads: Handle is safe to call concurrently (see approle_store.h).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engines/auth/approle/approle_store.h"
#include "engines/field_reader.h"
#include "engines/logical.h"

namespace tresor::engines::approle {

class AppRoleEngine final : public logical::Engine {
 public:
  explicit AppRoleEngine(const logical::EngineContext& context)
      : store_(context.storage, context.clock) {}

  StatusOr<logical::Response> Handle(const logical::Request& request) override;
  // Whether role/<name> exists, so that policy can tell create from update.
  StatusOr<std::optional<bool>> Exists(const logical::Request& request) override;
  std::vector<std::string> UnauthenticatedPaths() const override { return {"login"}; }

 private:
  // approle_roles.cc
  StatusOr<logical::Response> ListRoles();
  StatusOr<logical::Response> HandleRole(const std::string& name, const logical::Request& request);
  StatusOr<logical::Response> HandleRoleId(const std::string& name,
                                           const logical::Request& request);
  // nullopt: `sub` is not a field path.
  std::optional<StatusOr<logical::Response>> HandleRoleField(const std::string& name,
                                                             std::string_view sub,
                                                             const logical::Request& request);
  // approle_secret_ids.cc
  // nullopt: `sub` is not a secret ID path.
  std::optional<StatusOr<logical::Response>> HandleSecretIds(const std::string& name,
                                                             std::string_view sub,
                                                             const logical::Request& request);
  StatusOr<logical::Response> IssueSecretId(const std::string& name,
                                            const logical::Request& request, bool custom);
  StatusOr<logical::Response> ListSecretIds(const std::string& name);
  StatusOr<logical::Response> SecretIdByValue(const std::string& name,
                                              const logical::Request& request, bool destroy);
  StatusOr<logical::Response> SecretIdByAccessor(const std::string& name,
                                                 const logical::Request& request, bool destroy);
  StatusOr<logical::Response> Tidy();
  // approle_login.cc
  StatusOr<logical::Response> Login(const logical::Request& request);

  AppRoleStore store_;
};

// For core's mount table.
std::unique_ptr<logical::Engine> NewAppRoleEngine(const logical::EngineContext& context);

}  // namespace tresor::engines::approle
