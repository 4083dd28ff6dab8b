// CreateBackend: picks and opens a storage::Backend from the `storage "TYPE"
// { ... }` stanza of the server configuration (already parsed into a type
// name and string options). The composition root (server/) calls it once at
// start-up; tests call it to get a backend by name.
//
// Supported types:
//   "inmem"  the in-memory backend; takes no option.
//   "file"   FileBackend (storage/file/file_backend.h); requires "path", the
//            storage directory, and takes no other option.
//   "raft"   RaftBackend (storage/raft/raft_backend.h): integrated storage;
//            cluster_address (host:port) is where its raft traffic listens.
//   "postgresql", "etcd"  the external backends (storage/postgresql,
//            storage/etcd), with their HA lock when ha_enabled.
// Any other type (consul, ...) is refused as unknown.
//
// Threads: thread-safe (no shared state); the returned backend documents its
// own promises.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace tresor::storage {

// A ready-to-use backend of the given type. InvalidArgument for an unknown
// type, an unknown option (named in the message) or a missing required one;
// otherwise the backend's own opening error (e.g. FailedPrecondition when a
// file storage directory is in use).
StatusOr<std::unique_ptr<Backend>> CreateBackend(const std::string& type,
                                                 const std::map<std::string, std::string>& options,
                                                 const std::string& cluster_address = "");

// `data` with the HA lock of a backend of ha_type (the ha_storage stanza):
// storage/data_with_ha.h. FailedPrecondition when the data backend has HA
// of its own (raft, or ha_enabled) or the other offers none.
StatusOr<std::unique_ptr<Backend>> WithHAFrom(std::unique_ptr<Backend> data,
                                              const std::string& ha_type,
                                              const std::map<std::string, std::string>& ha_options);

}  // namespace tresor::storage
