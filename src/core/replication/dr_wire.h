// The DR channel's messages, framed by TlsChannel (docs/replication.md,
// "The channel"). The secondary asks, the primary answers:
//
//   secondary -> primary
//     'A' activate   JSON {"id", "secret"}: buys the client certificate
//     'P' pull       JSON {"index", "hash" (hex), "wait_ms", "max_bytes",
//                    "resync"}: where the secondary stands; also its ack
//   primary -> secondary
//     'C' credentials  JSON {"cert", "key", "cluster_id"}
//     'W' entries      u64 the primary's last index, u64 the primary's wall
//                      time (ms) by which every write it acknowledged was
//                      in its log up to that index, then per entry: u64
//                      index, 32-byte hash, u32 length, the entry. No
//                      entry: a heartbeat after wait_ms without writes.
//     'R' resync       JSON {"index", "hash"}: the state at that position
//                      follows in 'K' frames (u32 key length, key, u32
//                      value length, value; about 1 MiB each), then
//     'Z' resync end   JSON {"records"}
//     'L' elsewhere    JSON {"active"}: this node is not the active one
//     'E' refused      the reason, text
//
// Integers big endian. Threads: stateless functions.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "storage/replication_log.h"

namespace tresor::core::replication::wire {

inline constexpr char kActivate = 'A';
inline constexpr char kPull = 'P';
inline constexpr char kCredentials = 'C';
inline constexpr char kEntries = 'W';
inline constexpr char kResync = 'R';
inline constexpr char kRecords = 'K';
inline constexpr char kResyncEnd = 'Z';
inline constexpr char kElsewhere = 'L';
inline constexpr char kRefused = 'E';

inline constexpr std::size_t kRecordsFrameBytes = 1 << 20;

struct Entries {
  std::uint64_t primary_last = 0;
  std::uint64_t primary_time_ms = 0;
  std::vector<storage::ReplicationLog::LoggedEntry> entries;
};
std::string EncodeEntries(const Entries& entries);
StatusOr<Entries> DecodeEntries(std::string_view payload);

// Whether key is under one of the prefixes (the keys a channel never
// carries: core/cluster_local_keys.h).
bool UnderAnyPrefix(std::string_view key, const std::vector<std::string>& prefixes);

void AppendRecord(std::string* frame, std::string_view key, std::string_view value);
// Calls visit for every record of a 'K' frame.
Status ForEachRecord(std::string_view frame,
                     const std::function<Status(std::string_view, std::string_view)>& visit);

}  // namespace tresor::core::replication::wire
