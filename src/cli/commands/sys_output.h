// How the sys/ status responses print, shared by `status`, `operator unseal`,
// `operator key-status` and `operator rotate`. Rows and field names follow
// Vault's command/format.go so that output is interchangeable.
//
// Who calls it: the commands in this folder, and tests with canned JSON.
// Thread-safe, stateless.
#pragma once

#include <string>
#include <string_view>

#include "cli/http_client.h"

namespace tresor::cli {

// GET /v1/sys/leader, or null when it fails: the HA rows then print "n/a"
// rather than failing the whole status (a sealed or older server may refuse).
Json FetchLeader(HttpClient& client);

// Vault's seal status table: Seal Type, Initialized, Sealed, Total Shares,
// Threshold, (when sealed) Unseal Progress "P/T" and Unseal Nonce, Version,
// Build Date, Storage Type, (when set) Cluster Name / ID, HA Enabled and, for
// an unsealed HA node, HA Cluster, HA Mode, Active Node Address / Active
// Since, and the raft indexes when reported. `leader` may be null.
std::string FormatSealStatusTable(const Json& seal_status, const Json& leader);

// The seal status with the leader's HA fields merged in (Vault's
// SealStatusOutput): ha_enabled, and the non-empty of is_self, active_time,
// leader_address, leader_cluster_address, raft_committed_index,
// raft_applied_index. Without a leader, the seal status unchanged.
Json SealStatusJson(const Json& seal_status, const Json& leader);

// sys/key-status answers with the fields at top level and again under "data";
// this returns {"term","install_time","encryptions"} from either.
Json KeyStatusFields(const Json& response);

// Vault's key status lines (no header): Key Term, Install Time (RFC 822 in
// UTC, "02 Jan 26 15:04 UTC"), Encryption Count.
std::string FormatKeyStatus(const Json& key_status);

// The quorum flows' status tables, as Vault's `operator rekey` and
// `operator generate-root` print them: from sys/rekey/init, from
// sys/rekey/verify, and from sys/generate-root/attempt (or update).
std::string FormatRekeyStatusTable(const Json& status);
std::string FormatRekeyVerifyStatusTable(const Json& status);
std::string FormatGenerateRootStatusTable(const Json& status);
// The new shares of a completed rekey ("Key 1: ..."), then what to do next:
// distribute them, or verify them first when verification is required.
std::string FormatRekeyKeys(const Json& result, int64_t shares, int64_t threshold);

// An RFC 3339 time ("2026-01-02T15:04:05.123Z", "...+01:00") as Go's
// time.RFC822 in UTC ("02 Jan 26 14:04 UTC"); the input unchanged when it
// does not parse.
std::string Rfc3339ToRfc822Utc(std::string_view text);

}  // namespace tresor::cli
