// raft/command: the payload of one raft log entry that changes the state: a
// batch of StateOps applied atomically by every node's state machine.
//
// Encoding (all integers big endian):
//   u8  version (1)
//   u32 number of operations
//   per operation: u8 type (1 put, 2 delete, 3 restore begin, 4 restore
//                  put, 5 restore commit, 6 restore abort, 7 restore
//                  delete: StateOp::Type
//                  order), u32 key length, key, and for the types with a
//                  value (put, restore put, restore commit) u32 value
//                  length, value.
//   zero bytes up to a multiple of 8: libraft stores entries in 8-byte
//   words and silently writes a corrupt log segment otherwise.
// The format is part of the raft log on disk: a new layout takes a new
// version byte and DecodeCommand keeps reading the old ones.
//
// Threads: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "raft/state_store.h"

namespace tresor::raft {

// The padded encoding, ready to be a raft entry: the ops, then `more`.
std::string EncodeCommand(std::span<const StateOp> ops, std::span<const StateOp> more);
inline std::string EncodeCommand(const std::vector<StateOp>& ops) { return EncodeCommand(ops, {}); }

// The operations in an encoded command; Corruption for a truncated or
// malformed payload (a log entry that no version of Tresor wrote).
StatusOr<std::vector<StateOp>> DecodeCommand(std::string_view payload);

}  // namespace tresor::raft
