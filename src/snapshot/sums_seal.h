// SumsSeal: how an archive's SHA256SUMS is sealed into SHA256SUMS.sealed, so
// that a restore can tell a snapshot of this cluster from a foreign one (or
// from one whose sums were rewritten after the fact).
//
// RootKeySumsSeal is the cluster's seal: AES-256-GCM under the barrier's
// root key with AAD "snapshot/SHA256SUMS". Every node of a cluster shares
// the root key, so any of them verifies any other's snapshot; another
// cluster (another root key) cannot.
//
// Who calls it: WriteArchive (Seal) and ReadArchive (Verify) through
// ReadOptions::seal; core constructs RootKeySumsSeal over its barrier.
// Thread safety: RootKeySumsSeal is as thread-safe as the barrier (fully).
#pragma once

#include <string>
#include <string_view>

#include "barrier/barrier.h"
#include "common/status.h"

namespace tresor::snapshot {

class SumsSeal {
 public:
  virtual ~SumsSeal() = default;

  // The bytes to store as SHA256SUMS.sealed for this SHA256SUMS text.
  // Errors: those of the underlying key holder (SealedError when sealed).
  virtual StatusOr<std::string> Seal(std::string_view sums) const = 0;

  // Ok when `sealed` opens to exactly `sums`. PermissionDenied otherwise,
  // with a message saying the snapshot was not taken from this cluster and
  // that snapshot-force restores it anyway; SealedError when sealed.
  virtual Status Verify(std::string_view sums, std::string_view sealed) const = 0;
};

class RootKeySumsSeal final : public SumsSeal {
 public:
  // `barrier` is not owned and must outlive this object.
  explicit RootKeySumsSeal(const barrier::AesGcmBarrier& barrier) : barrier_(barrier) {}

  StatusOr<std::string> Seal(std::string_view sums) const override;
  Status Verify(std::string_view sums, std::string_view sealed) const override;

 private:
  const barrier::AesGcmBarrier& barrier_;
};

}  // namespace tresor::snapshot
