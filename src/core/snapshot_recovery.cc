#include "core/snapshot_recovery.h"

#include <spdlog/spdlog.h>

#include "common/secure_memory.h"
#include "engines/secrets/kv/kv_v1_engine.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {
namespace {

// A list in a snapshot holds at most this many keys under the path.
constexpr std::size_t kMaxKeys = 100000;

std::string Param(const Request& request, const char* name) {
  auto it = request.query.find(name);
  return it == request.query.end() ? std::string() : it->second;
}

Status RequireKvV1(const Mount& mount) {
  auto version = mount.entry.options.find("version");
  const bool v1 = mount.entry.type == "kv" &&
                  (version == mount.entry.options.end() || version->second.empty() ||
                   version->second == "1");
  if (v1) return Status::Ok();
  return InvalidArgumentError(
      "reading or recovering from a loaded snapshot works on KV version 1 mounts (as Vault's "
      "snapshot recovery); this mount is " + mount.entry.type +
      (mount.entry.type == "kv" ? " version 2, which keeps its own versions: read an older one "
                                  "(?version=N) or undelete it"
                                : std::string()));
}

// The snapshot's plaintext of one stored key of the mount.
StatusOr<std::optional<std::string>> ReadPlain(LoadedSnapshots& loaded, const std::string& id,
                                               const barrier::AesGcmBarrier& barrier,
                                               const std::string& key) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, loaded.Read(id, key));
  if (!stored.has_value()) return std::optional<std::string>();
  TRESOR_ASSIGN_OR_RETURN(std::string plain, barrier.Decrypt(key, *stored));
  return std::optional<std::string>(std::move(plain));
}

StatusOr<Response> ReadFromSnapshot(const Request& request, const std::string& full_path,
                                    const Mount& mount, const policy::Acl& acl,
                                    LoadedSnapshots& loaded, const std::string& id,
                                    const barrier::AesGcmBarrier& barrier) {
  if (request.operation != Operation::kRead && request.operation != Operation::kList) {
    return InvalidArgumentError(std::string(kReadSnapshotParam) +
                                " is for reads and lists; recover with " +
                                kRecoverSnapshotParam);
  }
  if (!acl.Allows(request.operation, full_path, false)) return PermissionDeniedError();
  // The engine itself answers, over the snapshot's records of the path.
  storage::InmemBackend copy;
  const std::string& prefix = mount.view->prefix();
  if (request.operation == Operation::kRead) {
    TRESOR_ASSIGN_OR_RETURN(auto plain, ReadPlain(loaded, id, barrier, prefix + request.path));
    if (plain.has_value()) {
      TRESOR_RETURN_IF_ERROR(copy.Put(request.path, *plain));
      SecureWipe(*plain);
    }
  } else {
    std::string under = request.path;
    if (!under.empty() && under.back() != '/') under += '/';
    TRESOR_ASSIGN_OR_RETURN(auto keys, loaded.KeysUnder(id, prefix + under, kMaxKeys));
    for (const std::string& key : keys) {
      TRESOR_RETURN_IF_ERROR(copy.Put(key.substr(prefix.size()), ""));
    }
  }
  engines::kv::KvV1Engine engine(copy);
  return engine.Handle(request);
}

StatusOr<Response> RecoverFromSnapshot(const Request& request, const std::string& full_path,
                                       const Mount& mount, const policy::Acl& acl,
                                       LoadedSnapshots& loaded, const std::string& id,
                                       const barrier::AesGcmBarrier& barrier) {
  if (request.operation != Operation::kUpdate && request.operation != Operation::kCreate) {
    return InvalidArgumentError(std::string(kRecoverSnapshotParam) +
                                " is for writes (PUT, POST or RECOVER); read with " +
                                kReadSnapshotParam);
  }
  if (request.data.is_object() && !request.data.empty()) {
    return InvalidArgumentError("a recover request takes its data from the snapshot: send no "
                                "body");
  }
  // The destination keeps the slash that makes it a prefix.
  std::string path = request.path;
  if (request.trailing_slash && !path.empty() && path.back() != '/') path += '/';
  // The source: the same path, or another of the same mount.
  std::string source = path;
  if (std::string from = Param(request, kRecoverSourceParam); !from.empty()) {
    while (!from.empty() && from.front() == '/') from.erase(0, 1);
    if (from.rfind(mount.route_prefix, 0) != 0) {
      return InvalidArgumentError("the recover source path " + from +
                                  " is not in the mount " + mount.route_prefix +
                                  " of the path it is recovered to");
    }
    source = from.substr(mount.route_prefix.size());
  }
  if (source.empty() || path.empty() ||
      (source.back() == '/') != (path.back() == '/')) {
    return InvalidArgumentError("recover a secret to a secret, or a prefix (ending in /) to a "
                                "prefix");
  }
  const std::string& prefix = mount.view->prefix();
  std::vector<std::pair<std::string, std::string>> moves;  // stored key, destination
  if (source.back() == '/') {
    TRESOR_ASSIGN_OR_RETURN(auto keys, loaded.KeysUnder(id, prefix + source, kMaxKeys));
    for (const std::string& key : keys) {
      moves.emplace_back(key, path + key.substr(prefix.size() + source.size()));
    }
  } else {
    moves.emplace_back(prefix + source, path);
  }
  // The policy decides as for writing each path: create where it is
  // absent, update where it is there.
  for (const auto& [key, destination] : moves) {
    TRESOR_ASSIGN_OR_RETURN(auto live, mount.view->Get(destination));
    Operation op = live.has_value() ? Operation::kUpdate : Operation::kCreate;
    if (!acl.Allows(op, mount.route_prefix + destination, false)) return PermissionDeniedError();
  }
  if (moves.empty()) {
    return NotFoundError("the loaded snapshot " + id + " holds nothing under " +
                         mount.route_prefix + source);
  }
  // One pass over the snapshot writes them all back.
  std::size_t recovered = 0;
  const std::string scanned = source.back() == '/' ? prefix + source : moves.front().first;
  TRESOR_RETURN_IF_ERROR(loaded.ForEachUnder(
      id, scanned, [&](std::string_view key, std::string_view stored) -> Status {
        if (source.back() != '/' && key != scanned) return Status::Ok();
        TRESOR_ASSIGN_OR_RETURN(std::string plain, barrier.Decrypt(key, stored));
        const std::string destination =
            source.back() == '/' ? path + std::string(key.substr(scanned.size())) : path;
        Status put = mount.view->Put(destination, plain);
        SecureWipe(plain);
        ++recovered;
        return put;
      }));
  if (recovered == 0) {
    return NotFoundError("the loaded snapshot " + id + " holds no secret at " +
                         mount.route_prefix + source);
  }
  // The path stays out of the log: it can say more about a secret than it should.
  spdlog::warn("recovered {} secret(s) in mount {} from loaded snapshot {}", recovered,
               mount.route_prefix, id);
  if (source.back() != '/') return Response::Empty();
  return Response::Data({{"recovered", recovered}});
}

}  // namespace

bool NamesLoadedSnapshot(const Request& request) {
  return request.query.contains(kReadSnapshotParam) ||
         request.query.contains(kRecoverSnapshotParam);
}

StatusOr<Response> HandleSnapshotRecovery(const Request& request, const std::string& full_path,
                                          const Mount& mount, const policy::Acl& acl,
                                          LoadedSnapshots& loaded,
                                          const barrier::AesGcmBarrier& barrier) {
  const std::string read_id = Param(request, kReadSnapshotParam);
  const std::string recover_id = Param(request, kRecoverSnapshotParam);
  if (!read_id.empty() && !recover_id.empty()) {
    return InvalidArgumentError(std::string(kReadSnapshotParam) + " and " +
                                kRecoverSnapshotParam + " exclude each other");
  }
  if (read_id.empty() && recover_id.empty()) {
    return InvalidArgumentError("name the loaded snapshot: its ID may not be empty");
  }
  TRESOR_RETURN_IF_ERROR(RequireKvV1(mount));
  if (!read_id.empty()) {
    return ReadFromSnapshot(request, full_path, mount, acl, loaded, read_id, barrier);
  }
  return RecoverFromSnapshot(request, full_path, mount, acl, loaded, recover_id, barrier);
}

}  // namespace tresor::core
