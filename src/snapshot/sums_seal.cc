#include "snapshot/sums_seal.h"

#include "common/secure_memory.h"
#include "snapshot/archive_format.h"

namespace tresor::snapshot {

StatusOr<std::string> RootKeySumsSeal::Seal(std::string_view sums) const {
  return barrier_.SealWithRootKey(sums, kSealedSumsAad);
}

Status RootKeySumsSeal::Verify(std::string_view sums, std::string_view sealed) const {
  StatusOr<std::string> opened = barrier_.OpenWithRootKey(sealed, kSealedSumsAad);
  if (!opened.ok()) {
    if (opened.status().code() != StatusCode::kPermissionDenied) return opened.status();
    return PermissionDeniedError(
        "the snapshot was not taken from this cluster: its SHA256SUMS.sealed does not open "
        "under this cluster's root key; use snapshot-force to restore it anyway");
  }
  // Sums opened under our key but not these sums: the archive's SHA256SUMS
  // (and so its contents) were replaced after it was sealed.
  if (!ConstantTimeEquals(*opened, sums)) {
    return PermissionDeniedError(
        "the snapshot's SHA256SUMS does not match the SHA256SUMS sealed by this cluster: "
        "its contents were replaced after it was taken");
  }
  return Status::Ok();
}

}  // namespace tresor::snapshot
