// The cubbyhole secrets engine (Vault's "cubbyhole/"): a small key/value
// store private to each token. Whoever holds a token can read, write, list
// and delete under cubbyhole/, and sees only what that same token wrote; no
// policy, not even root's, reaches another token's cubbyhole. When a token
// is revoked, core calls DestroyCubbyhole and everything it kept is gone.
//
// Storage layout, inside the mount's barrier view:
//   <client_token_hash>/<path>  ->  the written JSON object, serialised
// client_token_hash is set by core (a hex HMAC of the token under the
// cluster's token salt), so storage never holds the token itself, and a
// token hash is never a path segment an engine path could climb out of:
// core normalises request paths ("." and ".." refused, see
// core/path_normalize.h), and the storage layer refuses such keys again.
//
// Operations, as Vault's cubbyhole (docs/cubbyhole.md for the details):
//   read    GET    cubbyhole/<path>        the object, or 404 {"errors":[]}
//   write   POST/PUT cubbyhole/<path>      any non-empty JSON object, 204
//   list    LIST   cubbyhole/<folder>/     {"keys": [...]}, or 404
//   delete  DELETE cubbyhole/<path>        204, also when nothing was there
//
// Threads: the engine keeps no state of its own beyond a reference to its
// storage view (which is thread-safe), so Handle and Exists may be called
// concurrently. DestroyCubbyhole is safe to call concurrently with requests
// of other tokens.
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "engines/logical.h"
#include "storage/backend.h"

namespace tresor::engines::cubbyhole {

// Creates the engine over context.storage, which must outlive it. Mount
// options are ignored (Vault's cubbyhole has none).
//
// Every request must carry a client_token_hash: an empty one is
// PermissionDenied (there is no anonymous cubbyhole). Errors of Handle:
//   InvalidArgument       empty path on read/write/delete ("missing path"),
//                         a body that is not a JSON object, an empty object
//                         ("missing data fields"), a write to a path ending
//                         in '/', or a path storage refuses as a key
//   NotFound("")          read of a missing entry, list with no entries
//   UnsupportedOperation  patch
//   Corruption            a stored entry that is not a JSON object
//   storage errors        as the storage view returns them
std::unique_ptr<logical::Engine> NewCubbyholeEngine(const logical::EngineContext& context);

// Deletes every entry kept for the token whose hash is token_hash, from
// `view`, the cubbyhole mount's storage view (the same one given to the
// engine). Core calls it when the token is revoked, after the token can no
// longer be used, so no new entry can appear concurrently.
//
// Returns OK when nothing remains (also when there was nothing).
// InvalidArgument when token_hash is empty or is not a single key segment:
// an empty hash must never widen the deletion to other tokens' entries.
// On a storage error some entries may already be deleted; the call is
// idempotent, so calling it again finishes the job.
Status DestroyCubbyhole(storage::Backend& view, const std::string& token_hash);

}  // namespace tresor::engines::cubbyhole
