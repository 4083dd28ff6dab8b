// The replication log: what a DR primary ships to its secondaries
// (docs/replication.md). StateStore keeps it (raft/state_store_wal.cc) when
// it is switched on, in the same LMDB transaction as the state it
// describes, so that every node of a cluster holds the same log and a new
// active node carries on where the old one stopped.
//
// Entries. Every raft entry whose puts and deletes change the state (keys
// under the excluded prefix left out) becomes one log entry: the ops,
// encoded as a raft command (raft/command.h), under a log index that counts
// log entries (not raft entries: each cluster has its own raft indexes, the
// log's are the same on a primary and its secondaries), and a hash that
// chains it to every entry before it:
//   hash(n) = SHA-256(hash(n-1) || encoded ops of n)
// so that two clusters agree on a log index only if they agree on the whole
// history up to it. A whole-state restore is a break in the history: the
// log starts again after it (index + 1, hash of "restore") with nothing
// before it kept.
//
// Control ops: raft entries carry the log's settings and the position of
// replicated entries as ordinary puts under two '/' keys, which the store
// consumes and never keeps as state:
//   kWalConfigKey  u64 retained entries (0 switches the log off), 32 random
//                  bytes (the hash the log starts from), then the
//                  excluded key prefixes, NUL-separated (each cluster's
//                  own keys, never logged).
//   kWalNextKey    u64 index, 32-byte hash: the position the entry's ops
//                  must land at (a DR secondary applying the primary's
//                  entry; the store checks the chain and refuses the entry
//                  otherwise). Alone in an entry, it moves the log to that
//                  position with no entries (a secondary that installed the
//                  primary's state at that position).
//   kWalTimeKey    u64 unix nanoseconds: when the entry was proposed (the
//                  leader's clock; Node adds it to every write while the
//                  log is on, StateStore::WalOn). Kept with
//                  the log entry as its stamp, with the raft index, for a
//                  point-in-time restore (docs/snapshots.md): an entry
//                  acknowledged before time T was proposed before T, and so
//                  was every entry before it in the log.
//
// Stored entries: hash, then a stamp (kWalStampTag, u64 raft index, u64
// unix ns), then the encoded ops; entries written before stamps existed
// have none (their stamp reads as zeros).
//
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::raft {

struct StateOp;  // raft/state_store.h, which includes this header

inline constexpr std::string_view kWalConfigKey = "/wal-config";
inline constexpr std::string_view kWalNextKey = "/wal-next";
inline constexpr std::string_view kWalTimeKey = "/wal-time";
inline constexpr char kWalStampTag = '\xfe';  // never a command's version byte
inline constexpr std::size_t kWalHashBytes = 32;

struct WalPosition {
  std::uint64_t index = 0;
  std::string hash;  // kWalHashBytes raw bytes
  bool operator==(const WalPosition& other) const = default;
};

// Where and when an entry was written: the raft index of this cluster's
// entry and the proposing leader's clock (zeros: not known).
struct WalStamp {
  std::uint64_t raft_index = 0;
  std::int64_t unix_ns = 0;
};

// The log's state: entries (floor, last] are held; `last` is where the
// state stands. retain == 0 never appears (the log is off instead).
struct WalHead {
  WalPosition last;
  WalPosition floor;
  std::uint64_t retain = 0;
  std::string excluded_prefix;  // NUL-separated prefixes
};

StateOp WalConfigOp(std::uint64_t retain, std::string_view start_hash,
                    std::string_view excluded_prefix);
StateOp WalNextOp(const WalPosition& position);
StateOp WalTimeOp(std::int64_t unix_ns);
// What a time op adds to an encoded command: type, key and value with
// their lengths.
inline constexpr std::size_t kWalTimeOpBytes = 1 + 4 + kWalTimeKey.size() + 4 + 8;
bool IsWalControlOp(const StateOp& op);

// The hash of the entry after `previous` holding `encoded_ops`.
std::string WalChainHash(std::string_view previous, std::string_view encoded_ops);

// The record by which a state stream carries the log's head to an
// installing node (StateStore::View::ForEachStored, Installer), which holds
// no entries of its own afterwards (its floor is the head).
inline constexpr std::string_view kWalHeadRecord = "/wal-head";

std::string EncodeWalHead(const WalHead& head);
StatusOr<WalHead> DecodeWalHead(std::string_view bytes);

}  // namespace tresor::raft
