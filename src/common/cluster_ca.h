// The cluster CA record (docs/cluster-security.md, "TLS"): what the barrier
// keeps at core/raft/cluster-tls, as
//   {"cas": [{"cert": PEM, "key": PEM, "created": unix seconds}, ...]}
// newest first, at most two. Pure X.509 and JSON: core makes, rotates and
// describes records; the cluster transport (raft/cluster_tls.h) trusts
// every CA in one and has the signing CA sign its node certificate.
// Threads: functions only, thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor {

inline constexpr int kClusterCaValidDays = 3650;
inline constexpr int kNodeCertValidDays = 30;
// How long a new CA waits before it signs node certificates; nodes re-read
// the record well within it.
inline constexpr std::chrono::seconds kCaActivationDelay{30};
// How often a node re-reads the record (core/ha.cc).
inline constexpr std::chrono::seconds kClusterTlsRefreshInterval{5};

using SystemTime = std::chrono::system_clock::time_point;

// A record with one new CA.
StatusOr<std::string> NewClusterTlsRecord(SystemTime now);
// The record with a new CA in front and at most one older CA behind it.
// FailedPrecondition while the newest CA does not sign yet (a rotation in
// progress: rotating again would drop a CA that nodes may still present).
StatusOr<std::string> RotateClusterTlsRecord(std::string_view record, SystemTime now);

// What an operator sees of a record (no keys): per CA, newest first.
struct ClusterCaInfo {
  std::string serial_hex;
  SystemTime created;
  SystemTime not_after;
  bool signing = false;  // signs node certificates now
};
StatusOr<std::vector<ClusterCaInfo>> DescribeClusterTlsRecord(std::string_view record,
                                                              SystemTime now);

// One CA of a record.
struct ClusterCa {
  std::string cert_pem;
  SecureBytes key_pem;
  std::int64_t created = 0;  // unix seconds
};
// The CAs of a record, newest first; Corruption when it is malformed.
StatusOr<std::vector<ClusterCa>> ParseClusterCaRecord(std::string_view record);
// The newest CA that signs at `now`: one created at least the activation
// delay ago, else (a rotation in progress) the one behind it.
std::size_t ClusterCaSigningIndex(const std::vector<ClusterCa>& cas, SystemTime now);

}  // namespace tresor
