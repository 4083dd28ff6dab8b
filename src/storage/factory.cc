#include "storage/factory.h"

#include "storage/data_with_ha.h"
#include "storage/etcd/etcd_backend.h"
#include "storage/file/file_backend.h"
#include "storage/inmem/inmem_backend.h"
#include "storage/postgresql/postgresql_backend.h"
#include "storage/raft/raft_backend.h"

namespace tresor::storage {
namespace {

// InvalidArgument naming the first option not in allowed.
Status RejectUnknownOptions(const std::string& type,
                            const std::map<std::string, std::string>& options,
                            std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : options) {
    bool known = false;
    for (std::string_view candidate : allowed) known = known || name == candidate;
    if (!known) {
      return InvalidArgumentError("storage \"" + type + "\": unknown option \"" + name + "\"");
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<Backend>> CreateBackend(
    const std::string& type, const std::map<std::string, std::string>& options,
    const std::string& cluster_address) {
  if (type == "inmem") {
    TRESOR_RETURN_IF_ERROR(RejectUnknownOptions(type, options, {}));
    return std::unique_ptr<Backend>(std::make_unique<InmemBackend>());
  }
  if (type == "file") {
    TRESOR_RETURN_IF_ERROR(RejectUnknownOptions(type, options, {"path"}));
    auto path = options.find("path");
    if (path == options.end() || path->second.empty()) {
      return InvalidArgumentError("storage \"file\": option \"path\" is required");
    }
    TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<FileBackend> backend, FileBackend::Open(path->second));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  if (type == "raft") {
    TRESOR_ASSIGN_OR_RETURN(RaftBackendOptions raft, ParseRaftOptions(options, cluster_address));
    TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<RaftBackend> backend, RaftBackend::Open(raft));
    return std::unique_ptr<Backend>(std::move(backend));
  }
  // External backends check their own options.
  if (type == "postgresql") return OpenPostgreSQLBackend(options);
  if (type == "etcd") return OpenEtcdBackend(options);
  return InvalidArgumentError("storage type \"" + type +
                              "\" is not supported; use raft, file, postgresql, etcd or inmem");
}

StatusOr<std::unique_ptr<Backend>> WithHAFrom(std::unique_ptr<Backend> data,
                                              const std::string& ha_type,
                                              const std::map<std::string, std::string>& ha_options) {
  if (data->AsHA() != nullptr) {
    return FailedPreconditionError(
        "the storage backend has high availability of its own (raft, or ha_enabled); remove "
        "the ha_storage block or the storage's ha_enabled");
  }
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<Backend> ha, CreateBackend(ha_type, ha_options));
  if (ha->AsHA() == nullptr) {
    return FailedPreconditionError("ha_storage \"" + ha_type + "\" offers no HA lock");
  }
  return std::unique_ptr<Backend>(std::make_unique<DataWithHA>(std::move(data), std::move(ha)));
}

}  // namespace tresor::storage
