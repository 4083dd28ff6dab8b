// What DR replication keeps (docs/replication.md, "What is stored"):
//
//   core/replication/local/dr   this cluster's role, in the physical storage
//                               as plain JSON (no secret in it), so that a
//                               sealed node knows it; cluster-local (never
//                               shipped to a secondary, kept by restores).
//   core/replication/dr/ca      the primary's CA certificate and key
//                               (barrier; replicated, so a promoted
//                               secondary serves with the same CA).
//   core/replication/dr/secondaries/<id>
//                               each secondary's activation (a SHA-256 of its
//                               one-time secret, expiry, whether used or
//                               revoked) and, once activated, its client
//                               certificate and key (barrier; replicated,
//                               so the secondary reads its own credentials
//                               once unsealed with the primary's keys).
//
// The activation token a primary hands out for a secondary: "trdr1." and
// base64 of JSON {id, cluster_id, addrs, ca, secret, exp}.
// It holds no key: the one-time secret buys the secondary its credentials
// over the TLS channel, once, before `exp` (unix seconds).
//
// Threads: stateless functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "core/replication/dr_tls.h"
#include "storage/backend.h"

namespace tresor::core::replication {

inline constexpr char kLocalRecordKey[] = "core/replication/local/dr";
inline constexpr char kCaKey[] = "core/replication/dr/ca";
inline constexpr char kSecondariesPrefix[] = "core/replication/dr/secondaries/";

enum class Mode { kDisabled, kPrimary, kSecondary };
const char* ModeName(Mode mode);

struct LocalRecord {
  Mode mode = Mode::kDisabled;
  std::string cluster_id;            // the replication set's (the first primary's)
  std::string primary_cluster_addr;  // primary: what it advertises
  // Secondary: who it is and where its primary is (none after a demotion:
  // the cluster waits for update-primary).
  std::string secondary_id;
  std::vector<std::string> primary_addrs;
  std::string ca_cert;  // the primary's CA certificate, PEM
  std::string primary_api_addr;
  // Primary: Tresor's synchronous mode (DrReplication::AwaitReplicated).
  bool synchronous = false;
  std::int64_t synchronous_timeout_ms = 5000;
};
// An absent record is Mode::kDisabled.
StatusOr<LocalRecord> ReadLocalRecord(storage::Backend& physical);
Status WriteLocalRecord(storage::Backend& physical, const LocalRecord& record);

struct SecondaryRecord {
  std::string id;
  std::string secret_sha256;  // hex
  std::int64_t expires = 0;   // unix seconds
  bool activated = false;
  bool revoked = false;
  std::string cert;      // PEM, once activated
  SecureBytes key;       // PEM, once activated
};
StatusOr<std::optional<SecondaryRecord>> ReadSecondary(storage::Backend& barrier,
                                                       const std::string& id);
Status WriteSecondary(storage::Backend& barrier, const SecondaryRecord& record);

StatusOr<std::optional<KeyPair>> ReadCa(storage::Backend& barrier);
Status WriteCa(storage::Backend& barrier, const KeyPair& ca);

struct ActivationToken {
  std::string id;
  std::string cluster_id;
  std::vector<std::string> addrs;
  std::string ca_cert;
  std::string secret;  // base64
  std::int64_t expires = 0;
};
std::string EncodeToken(const ActivationToken& token);
// InvalidArgument saying what is wrong with a string that is not a token.
StatusOr<ActivationToken> DecodeToken(std::string_view text);

// A secondary id as Vault accepts one: 1..128 of [A-Za-z0-9_.-].
Status ValidateSecondaryId(std::string_view id);

}  // namespace tresor::core::replication
