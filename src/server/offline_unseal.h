// Unseal keys for the offline commands (`operator raft snapshot verify`,
// `operator backup save|restore`), which run without a server and so take
// the keys on their command line: `-unseal-key=K` (repeatable) and/or
// `-key-file=PATH` (one key per line; blank lines and lines starting with
// '#' are skipped). A key is a share as `operator unseal` prints it, hex or
// base64, decoded the way sys/unseal decodes it.
//
// UnsealWithKeys then feeds the decoded shares to a core::Lifecycle over
// some storage, as `operator unseal` would feed a server.
//
// Who calls it: server/snapshot_verify_command.cc, server/backup_*.cc.
// Thread safety: stateless functions; a Lifecycle is thread-safe itself.
// Key material: decoded shares are SecureBytes (wiped when freed); the
// key file's text is wiped after decoding. No message names a key.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "command/flags.h"
#include "common/secure_memory.h"
#include "common/status.h"
#include "core/lifecycle.h"

namespace tresor::server {

// Where the keys come from, as given on the command line.
struct UnsealKeyFlags {
  std::vector<std::string> keys;       // each -unseal-key=K
  std::vector<std::string> key_files;  // each -key-file=PATH (one is allowed)

  bool empty() const { return keys.empty() && key_files.empty(); }
};

// Binds -unseal-key (repeatable) and -key-file to `values`.
void AddUnsealKeyFlags(command::FlagSet& flags, UnsealKeyFlags* values);

// One share from its text: hex when it decodes as hex to 33 bytes, base64
// otherwise (sys/unseal's rule). InvalidArgument "... is not a valid hex or
// base64 unseal key" (saying which one by position, never its text).
StatusOr<SecureBytes> DecodeUnsealKey(std::string_view text, std::string_view which);

// The keys of a key file's text: one per line, surrounding whitespace
// trimmed, blank lines and '#' comments skipped. InvalidArgument naming the
// line of a bad key.
StatusOr<std::vector<SecureBytes>> ParseKeyFileText(std::string_view text);

// Every key of `flags`, -unseal-key ones first, then the key file's.
// Errors: InvalidArgument for an empty value, a second -key-file, when
// there is no key or one does not decode; NotFound / IOError when the key
// file cannot be read.
StatusOr<std::vector<SecureBytes>> CollectUnsealKeys(const UnsealKeyFlags& flags);

// Submits `keys` one by one to `lifecycle` until it unseals.
// Returns Ok once unsealed. Errors, by code, so that callers can tell the
// operator which problem they have:
//   FailedPrecondition  the storage is not initialised (nothing to unseal);
//   InvalidArgument     the keys are wrong, too few for the threshold (the
//                       message says how many of how many), or repeated;
//   anything else       the keys are right but the state does not load
//                       (keyring, token store, cluster identity, the unseal
//                       hooks such as the mount table): the lifecycle's own
//                       error, unchanged.
Status UnsealWithKeys(core::Lifecycle& lifecycle, const std::vector<SecureBytes>& keys);

}  // namespace tresor::server
