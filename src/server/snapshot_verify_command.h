// `tresor operator raft snapshot verify FILE (-unseal-key=K ... |
// -key-file=PATH | -config=SERVER.hcl) [-format=json]`: the disaster-recovery drill for a
// snapshot archive. Without any server, it proves that the archive is a
// backup one could actually restore from:
//   1. the archive is intact (ReadArchive without the seal: gzip, tar
//      layout, meta.json, state.bin, SHA256SUMS), its records staged in a
//      throwaway in-memory storage;
//   2. the given keys unseal a core::Core over that storage (no listener,
//      no raft), which loads the token store and the mount table; with
//      -config, the server config's seal (auto-unseal) does instead, with
//      no shares at all, as the restored cluster would unseal;
//   3. SHA256SUMS.sealed opens under the root key just unsealed (the sums
//      were not rewritten after the snapshot was taken);
//   4. every entry decrypts through the barrier (all but the physical-only
//      records: core/keyring, core/root-key, core/seal-config).
// It then reports counts (entries, decrypted, mounts by type, tokens,
// policies) and the archive's meta. Nothing is written to disk; the whole
// state is held in memory while it runs (docs/backup.md).
//
// Who calls it: the registry (NewSnapshotVerifyCommand, server/commands.h);
// tests call VerifySnapshotArchive directly.
// Thread safety: runs on the calling thread; the throwaway Core is private
// to the call.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "command/command.h"
#include "common/secure_memory.h"
#include "seal/key_wrapper.h"
#include "snapshot/meta.h"

namespace tresor::server {

// Exit codes, documented for cron jobs in docs/backup.md.
enum VerifyExitCode : int {
  kVerifyOk = 0,           // verified
  kVerifyDamaged = 1,      // unreadable, damaged or not a snapshot archive
  kVerifyUsage = 2,        // bad command line
  kVerifyKeysRefused = 3,  // the keys do not unseal the snapshot's state
  kVerifyStateBroken = 4,  // entries fail to decrypt, or mounts/tokens do not load
};

struct VerifyReport {
  bool meta_read = false;
  snapshot::Meta meta;
  std::uint64_t entries = 0;        // records in state.bin
  std::uint64_t physical_only = 0;  // of which not barrier values
  std::uint64_t decrypted = 0;      // of which decrypted and authenticated
  // Of which removed by the unseal itself before they could be read: data
  // of mounts no longer in the mount table (a crash during an unmount),
  // which a restored server sweeps the same way.
  std::uint64_t swept = 0;
  std::map<std::string, int> secrets_mounts;  // engine type -> count
  std::map<std::string, int> auth_mounts;     // auth method type -> count
  std::uint64_t tokens = 0;
  std::uint64_t policies = 0;  // stored ones plus "default"; not "root"
};

struct VerifyOutcome {
  int exit_code = kVerifyOk;
  std::string error;  // empty when verified; never holds a key or a value
  VerifyReport report;
};

// Runs steps 1-4 above on the archive at `path` with the unseal key shares
// `keys`, or, when `seals` is not empty, through the auto-unseal provider
// among them whose type is the snapshot's seal (a config's seal blocks,
// enabled or disabled). Never throws; every failure is an exit code and a
// message.
VerifyOutcome VerifySnapshotArchive(
    const std::string& path, const std::vector<SecureBytes>& keys,
    const std::vector<std::shared_ptr<seal::KeyWrapper>>& seals = {});

// `operator raft snapshot verify FILE ...`: prints the report (a table, or
// one JSON object with -format=json, also on failure) and exits with one of
// VerifyExitCode.
std::unique_ptr<command::Command> NewSnapshotVerifyCommand();

}  // namespace tresor::server
