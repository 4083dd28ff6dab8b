// The token auth method, mounted at auth/token/: Vault's token endpoints
// over a TokenStore.
//
//   create, create-orphan      POST   new child / orphan token (token_create.cc)
//   create/<role>              POST   a token against a role (token_create.cc)
//   roles                      LIST   role names (token_roles.cc)
//   roles/<role>               GET, POST/PUT (create or update), DELETE
//   lookup                     POST {token}, GET ?token= (caller's own if absent)
//   lookup-self                GET/POST
//   lookup-accessor            POST {accessor}
//   renew, renew-self          POST {token, increment} / {increment}
//   renew-accessor             POST {accessor, increment}
//   revoke, revoke-self        POST {token} / -     (the token and its tree)
//   revoke-accessor            POST {accessor}
//   revoke-orphan              POST {token}         (sudo; children orphaned)
//   accessors                  LIST                 (sudo)
//   tidy                       POST                 (202 with a warning)
// Bad input is a 400 naming the field, checked before anything changes.
// What a token may do on these paths is core's ACL decision; the engine adds
// only Vault's own rules (policy subset, root-only options, the roles'
// rules, what batch tokens may not do).
//
// Who calls it: core's router, for requests under auth/token/ (request.path
// relative to the mount). The store is shared with core, which uses it to
// authenticate every request.
// Threads: Handle is safe to call concurrently (the store is thread-safe).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engines/field_reader.h"
#include "engines/auth/token/token_store.h"
#include "engines/logical.h"

namespace tresor::engines::token {

class TokenEngine final : public logical::Engine {
 public:
  // store outlives the engine.
  explicit TokenEngine(TokenStore& store) : store_(store) {}

  StatusOr<logical::Response> Handle(const logical::Request& request) override;
  // Whether roles/<name> exists (create vs update for ACL policy).
  StatusOr<std::optional<bool>> Exists(const logical::Request& request) override;
  // Vault's root-protected token paths.
  std::vector<std::string> SudoPaths() const override { return {"accessors*", "revoke-orphan*"}; }

 private:
  // role_name: from create/<role>; "" on create and create-orphan (where a
  // body role_name may name one).
  StatusOr<logical::Response> Create(const logical::Request& request, FieldReader& fields,
                                     bool orphan_path, std::string role_name);
  // roles and roles/<name> (token_roles.cc).
  StatusOr<logical::Response> HandleRoles(const logical::Request& request);
  // revoke, revoke-self: the token and its tree; 400 for a batch token.
  StatusOr<logical::Response> RevokeTree(const std::string& token);
  // The token mount's tuned TTLs when the request came through the mount,
  // the store's otherwise.
  TtlLimits LimitsFor(const logical::Request& request) const;
  StatusOr<logical::Response> Lookup(const std::string& token, const std::string& id_to_show);
  StatusOr<logical::Response> LookupAccessor(FieldReader& fields);
  StatusOr<logical::Response> Renew(const std::optional<TokenEntry>& entry,
                                    const std::string& client_token, FieldReader& fields);
  StatusOr<logical::Response> RevokeAccessor(FieldReader& fields);
  StatusOr<logical::Response> RevokeOrphan(FieldReader& fields);
  StatusOr<logical::Response> ListAccessors();
  StatusOr<logical::Response> Tidy();

  TokenStore& store_;
};

// For core's mount table.
std::unique_ptr<logical::Engine> NewTokenEngine(TokenStore& store);

}  // namespace tresor::engines::token
