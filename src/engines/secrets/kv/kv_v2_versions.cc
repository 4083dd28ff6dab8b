// KV v2 delete/<path>, undelete/<path> and destroy/<path>: soft-delete,
// restore, or permanently remove the data of listed versions. Versions that
// do not exist (never written, or pruned) are skipped, as Vault does.
#include <mutex>

#include "engines/field_reader.h"
#include "engines/secrets/kv/kv_params.h"
#include "engines/secrets/kv/kv_v2_engine.h"

namespace tresor::engines::kv {

using logical::Request;
using logical::Response;

StatusOr<Response> KvV2Engine::ChangeVersions(VersionAction action, std::string_view path,
                                              const Request& request) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::uint64_t> versions, ParseVersionList(request.data));
  if (versions.empty()) {
    // Vault's own wording differs in case between the endpoints.
    return InvalidArgumentError(action == VersionAction::kDestroy ? "no version number provided"
                                                                  : "No version number provided");
  }
  Config config;
  if (action == VersionAction::kUndelete) {
    TRESOR_ASSIGN_OR_RETURN(config, LoadConfig());
  }
  Response response;
  if (auto warning = UnknownFieldsWarning(request.data, {"versions"})) {
    response.warnings.push_back(*warning);
  }

  std::unique_lock lock(LockFor(path));
  TRESOR_ASSIGN_OR_RETURN(Loaded loaded, LoadRecord(path));
  if (!loaded.record) return response;
  Record& record = *loaded.record;
  Nanos now = Now();
  bool changed = false;
  for (std::uint64_t number : versions) {
    VersionEntry* entry = record.Find(number);
    if (entry == nullptr || entry->destroyed) continue;
    switch (action) {
      case VersionAction::kDelete:
        if (entry->DeletedAt(now)) continue;
        entry->deletion_ns = now;
        break;
      case VersionAction::kUndelete:
        // An undeleted version gets a fresh delete_version_after window.
        entry->deletion_ns = ScheduledDeletion(now, config, record);
        break;
      case VersionAction::kDestroy:
        entry->destroyed = true;
        entry->data = nullptr;  // the secret leaves storage with this write
        break;
    }
    changed = true;
  }
  if (changed) TRESOR_RETURN_IF_ERROR(StoreRecord(loaded, record));
  return response;
}

}  // namespace tresor::engines::kv
