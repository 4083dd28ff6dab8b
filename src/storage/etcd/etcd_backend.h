// storage "etcd": Backend over etcd's v3 API (through its JSON gateway,
// etcd_client.h), after Vault's etcd storage backend.
//
// Layout: the Tresor key K is the etcd key <path>K (path "/vault/" by
// default). With ha_enabled the active lock lives under <path>core/_lock/
// (etcd_ha.h); that subtree is reserved: ListPage hides it and writes to
// it are refused with InvalidArgument.
//
// Durability and atomicity come from etcd: a write is acknowledged once a
// majority of members committed it, and reads are linearizable (etcd's
// default). Put, Delete and Batch are each one /v3/kv/txn, so Batch is
// atomic. A txn carries at most 128 operations by default (etcd's
// --max-txn-ops): a bigger Batch is refused with TooLarge rather than
// split, which would break its atomicity. Several operations on one key
// in a Batch collapse to the last (etcd refuses a txn that names a key
// twice); the outcome is the same.
//
// ListPage reads keys only, a page of at most kEtcdListPage keys per
// range request, and jumps over each folder's subtree (the next range
// starts at the folder's prefix end), so memory holds one page whatever
// the number of keys.
//
// Fencing with ha_enabled: see etcd_fence.h.
//
// Errors: Unavailable when no member can be reached (or etcd has no
// leader), TooLarge for a value over etcd's request limit (1.5 MiB by
// default), FailedPrecondition for a write of a node that no longer holds
// the active lock, IOError with etcd's message otherwise.
//
// Threads: safe from any thread.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace tresor::storage {

// Parses the options (etcd_options.h), connects and reads once so that a
// wrong address or password fails here, with a readable message.
StatusOr<std::unique_ptr<Backend>> OpenEtcdBackend(
    const std::map<std::string, std::string>& options);

struct EtcdOptions;
// The same, from parsed options (tests shorten the internal timings).
StatusOr<std::unique_ptr<Backend>> OpenEtcdBackendWith(EtcdOptions options);

}  // namespace tresor::storage
