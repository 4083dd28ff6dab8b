#include "core/snapshot_stage.h"

#include "core/cluster_local_keys.h"
#include "snapshot/archive_reader.h"

namespace tresor::core {

StatusOr<StagedArchive> StageArchive(storage::Snapshotter& snapshotter,
                                     const snapshot::ByteSource& in,
                                     const snapshot::SumsSeal* seal, bool* storage_refused) {
  *storage_refused = false;
  snapshot::ReadOptions options;
  options.seal = seal;
  StagedArchive staged;
  Status not_begun = Status::Ok();
  Status read = snapshot::ReadArchive(
      in, options,
      [&](const snapshot::Meta& m) -> Status {
        staged.meta = m;
        auto begun = snapshotter.BeginRestore();
        if (!begun.ok()) return not_begun = begun.status();
        staged.restore = std::move(*begun);
        return Status::Ok();
      },
      [&](std::string_view key, std::string_view value) -> Status {
        ++staged.records;
        TRESOR_RETURN_IF_ERROR(storage::ValidateKey(key));
        if (IsClusterLocalKey(key)) return Status::Ok();
        return staged.restore->Add(key, value);
      });
  if (!not_begun.ok()) {
    *storage_refused = true;
    return not_begun;
  }
  if (!read.ok()) {
    if (staged.restore != nullptr) staged.restore->Abort().IgnoreError();
    return read;
  }
  if (staged.restore == nullptr) {
    return InternalError("snapshot: the archive was read but had no meta");
  }
  return staged;
}

}  // namespace tresor::core
