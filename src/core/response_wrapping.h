// Response wrapping (Vault's "cubbyhole response wrapping"): instead of an
// answer, the client gets a single-use wrapping token; whoever unwraps that
// token once gets the answer, and nobody can after.
//
// A wrapping token is an ordinary orphan service token of the token store
// with the policy "response-wrapping" alone, a TTL of the requested wrap TTL
// (capped by its explicit max TTL, the same value), not renewable, and its
// creation path set to the path whose answer it wraps. The answer is kept
// in that token's cubbyhole, under the key "response" (so inside the
// encryption barrier, keyed by the token's hash, never by the token), and
// goes with the token: revoking or reaping it deletes its cubbyhole through
// the token store's revoke hook. Core lets a wrapping token do nothing but
// sys/wrapping/unwrap, lookup and rewrap on itself (IsWrappingToken).
//
// Unwrap is single-use: unwraps are serialised, and the token is revoked
// before the answer is handed back; if the revocation fails, the answer is
// not handed back either. A crash between the two leaves the token valid
// (it can still be unwrapped once), never an answer handed out twice.
//
// Who calls it: core (Wrap after a request that asked for it, and the
// sys/wrapping/* handlers). Threads: every method is thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "core/request.h"
#include "engines/auth/token/token_store.h"
#include "storage/backend.h"

namespace tresor::core {

inline constexpr char kResponseWrappingPolicy[] = "response-wrapping";
// The TTL of sys/wrapping/wrap when the request carries no X-Vault-Wrap-TTL
// (what Vault's clients send by default for that path).
inline constexpr std::chrono::seconds kDefaultWrapTtl{300};

// Whether `entry` is a wrapping token (its policies are exactly
// ["response-wrapping"], as Vault decides).
bool IsWrappingToken(const engines::token::TokenEntry& entry);

// Whether the answer to a request can be wrapped: not a streamed body.
// An answer with nothing in it (no data, no auth) is passed through as it
// is: there is nothing to hand out.
bool HasWrappableContent(const Response& response);

class ResponseWrapping {
 public:
  // The cubbyhole mount's storage view, or nullptr when it is not mounted
  // (sealed). Called per operation: mounts come and go with unseal.
  using CubbyholeView = std::function<std::shared_ptr<storage::Backend>()>;

  ResponseWrapping(engines::token::TokenStore& tokens, CubbyholeView cubbyhole);

  // The answer to `request` wrapped: a new wrapping token holds `response`,
  // and the answer holds only wrap_info. `ttl` > 0.
  StatusOr<Response> Wrap(const Response& response, std::chrono::seconds ttl,
                          const std::string& creation_path);

  // sys/wrapping/unwrap: the wrapped answer, once. InvalidArgument
  // ("wrapping token is not valid or does not exist") for any token that is
  // not a live wrapping token.
  StatusOr<Response> Unwrap(std::string_view token);
  // sys/wrapping/lookup: creation_path, creation_time, creation_ttl.
  StatusOr<Response> Lookup(std::string_view token);
  // sys/wrapping/rewrap: the same answer under a new wrapping token with the
  // same TTL and creation path; the old token is revoked.
  StatusOr<Response> Rewrap(std::string_view token);

 private:
  // The live wrapping token's entry, or the InvalidArgument above.
  StatusOr<engines::token::TokenEntry> FindWrapping(std::string_view token);
  StatusOr<Response> Store(const nlohmann::json& stored, std::chrono::seconds ttl,
                           const std::string& creation_path, const std::string& wrapped_accessor);
  StatusOr<nlohmann::json> ReadStored(const engines::token::TokenEntry& entry);

  engines::token::TokenStore& tokens_;
  CubbyholeView cubbyhole_;
  // Serialises unwrap and rewrap, so that two of them cannot both read an
  // answer before either revokes its token. Only the active node runs them
  // (standbys forward), so a process-wide lock is enough.
  std::mutex consume_mu_;
};

}  // namespace tresor::core
