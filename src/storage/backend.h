// storage::Backend: the physical storage contract. Everything Tresor keeps
// goes through it. Storage is untrusted: above the barrier every value is
// ciphertext, and the barrier authenticates it on the way back.
//
// Keys are '/'-separated paths of printable bytes ("core/keyring",
// "logical/<uuid>/foo"). Values are opaque bytes.
//
// Durability: when Put, Delete or Batch return OK the change is durable for
// this backend (on disk and fsynced for the file backend, committed by a
// majority for raft; for inmem, "durable" means visible until the process
// exits). An operation that returns an error may or may not have happened,
// but is never half-applied: readers see the old value or the new one.
//
// Threads: implementations are safe to call from many threads at once.
//
// Optional capabilities are separate interfaces, discovered at run time with
// AsHA() / AsClusterMembership() / AsSnapshotter() / AsReplicationLog()
// (null when unsupported). There is no separate
// transactional capability: Batch is atomic on every backend. HABackend
// (storage/ha_backend.h) is what core::Ha takes the active node's lock
// from; raft returns one (its leadership), file and inmem do not.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor::storage {

struct Operation {
  enum class Type { kPut, kDelete };
  Type type;
  std::string key;
  std::string value;  // kPut only.

  static Operation Put(std::string key, std::string value) {
    return {Type::kPut, std::move(key), std::move(value)};
  }
  static Operation Delete(std::string key) { return {Type::kDelete, std::move(key), {}}; }
};

class ClusterMembership;
class HABackend;
class Snapshotter;
class ReplicationLog;

class Backend {
 public:
  virtual ~Backend() = default;

  // The value at key, std::nullopt when there is none. An error means the
  // value could not be read (IOError, Corruption), never that it is absent.
  virtual StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;

  // Stores value at key, replacing any value. Durable when OK.
  virtual Status Put(std::string_view key, std::string_view value) = 0;

  // Removes key. Deleting a missing key is OK. Durable when OK.
  virtual Status Delete(std::string_view key) = 0;

  // The immediate children of prefix, in byte order: a key "prefix" + "a" is
  // listed as "a", and any key "prefix" + "b/..." is listed once as "b/".
  // Only names strictly greater than `after` are returned (pagination), and
  // at most `limit` of them when limit > 0. prefix is "" or ends with '/'.
  virtual StatusOr<std::vector<std::string>> ListPage(std::string_view prefix,
                                                      std::string_view after,
                                                      std::size_t limit) = 0;
  // Every immediate child of prefix: ListPage(prefix, "", 0).
  StatusOr<std::vector<std::string>> List(std::string_view prefix) {
    return ListPage(prefix, {}, 0);
  }

  // Applies every operation or none, atomically with respect to readers and
  // to crashes. Durable when OK.
  virtual Status Batch(const std::vector<Operation>& ops) = 0;

  // Releases resources; after Close every call fails. Called at shutdown so
  // that the backend can flush and unlock. Idempotent.
  virtual Status Close() { return Status::Ok(); }

  virtual HABackend* AsHA() { return nullptr; }
  virtual ClusterMembership* AsClusterMembership() { return nullptr; }
  virtual Snapshotter* AsSnapshotter() { return nullptr; }
  virtual ReplicationLog* AsReplicationLog() { return nullptr; }
};

// Validates a key: non-empty, no NUL byte, no leading '/', no empty, "." or
// ".." segment. Every backend calls it first, so that no key can name a
// place outside the backend's own namespace.
Status ValidateKey(std::string_view key);
// A list prefix is "" or a valid key followed by '/'.
Status ValidatePrefix(std::string_view prefix);

// Calls visit for every key under prefix, in byte order, by walking
// ListPage a page at a time: memory holds a page of names per level of the
// key tree, whatever the number of keys. Keys the visitor deletes (or that
// vanish meanwhile) do not disturb the walk. The first error, the
// backend's or the visitor's, stops it and is returned.
Status ForEachKey(Backend& backend, std::string_view prefix,
                  const std::function<Status(const std::string& key)>& visit);

// Every key under prefix, in byte order (ForEachKey into a vector). For
// tests and small prefixes; memory grows with the number of keys.
StatusOr<std::vector<std::string>> ListRecursive(Backend& backend, std::string_view prefix);

// How many keys lie under prefix (ForEachKey, so memory stays bounded).
StatusOr<std::uint64_t> CountKeys(Backend& backend, std::string_view prefix);

}  // namespace tresor::storage
