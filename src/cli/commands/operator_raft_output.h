// How the raft and HA responses print for `operator raft list-peers`,
// `operator raft autopilot state` and `operator members`, in the layouts of
// Vault's CLI (command/operator_raft_listpeers.go, the "pretty" autopilot
// formatter in command/format.go, command/operator_members.go) so that
// people and scripts used to `vault` read ours unchanged.
//
// Each formatter prints only what the server returned: a field or column the
// server leaves out is left out, never invented.
//
// Who calls it: the command files operator_raft.cc and operator_members.cc,
// and tests with canned JSON.
// Thread-safe, stateless.
#pragma once

#include <string>

#include "cli/http_client.h"

namespace tresor::cli {

// The payload of a response: its "data" member when that is an object (as
// Tresor answers), else the response itself (Vault answers sys/ha-status and
// sys/storage/raft/join at top level). Null stays null.
Json ResponseData(const Json& response);

// Vault's list-peers table of a sys/storage/raft/configuration response
// (the whole body): "Node | Address | State | Voter", one row per entry of
// data.config.servers in the server's order, State "leader" or "follower".
// Returns "" when the response holds no servers array.
std::string FormatRaftPeersTable(const Json& response);

// Vault's "pretty" autopilot layout of the state object (the response's
// data): Healthy, Failure Tolerance, Leader, Voters (one per line), Non
// Voters when any, Optimistic Failure Tolerance when positive, then
// "Servers:" and each server sorted by its key with the rows Name, Address,
// Status, Node Status, Healthy, Last Contact, Last Term, Last Index, Version,
// Upgrade Version, Redundancy Zone, Node Type -- each only when the server
// sent that field. A non-object gives "".
std::string FormatAutopilotState(const Json& state);

// Vault's members table of the `nodes` array of sys/ha-status: the columns
// "Host Name | API Address | Cluster Address | Active Node | Version |
// Upgrade Version | Redundancy Zone | Last Echo" in that order, keeping only
// the columns whose field at least one node carries. Empty and null cells
// print as "n/a". Returns "" for an empty or non-array input.
std::string FormatHaMembersTable(const Json& nodes);

}  // namespace tresor::cli
