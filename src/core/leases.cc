#include "core/leases.h"

#include <set>

#include <spdlog/spdlog.h>

namespace tresor::core {

LeaseSource* Leases::SourceOf(std::string_view lease_id) const {
  for (const auto& source : sources_) {
    if (source->Owns(lease_id)) return source.get();
  }
  return nullptr;
}

StatusOr<LeaseInfo> Leases::Lookup(std::string_view lease_id) {
  if (lease_id.empty()) return InvalidArgumentError("lease_id: missing");
  LeaseSource* source = SourceOf(lease_id);
  if (source == nullptr) return InvalidArgumentError("invalid lease");
  TRESOR_ASSIGN_OR_RETURN(auto info, source->Lookup(lease_id));
  if (!info.has_value()) return InvalidArgumentError("invalid lease");
  return std::move(*info);
}

StatusOr<LeaseInfo> Leases::Renew(std::string_view lease_id, std::chrono::seconds increment) {
  if (lease_id.empty()) return InvalidArgumentError("lease_id: missing");
  LeaseSource* source = SourceOf(lease_id);
  if (source == nullptr) return InvalidArgumentError("lease not found");
  return source->Renew(lease_id, increment);
}

Status Leases::Revoke(std::string_view lease_id) {
  if (lease_id.empty()) return InvalidArgumentError("lease_id: missing");
  LeaseSource* source = SourceOf(lease_id);
  if (source == nullptr) return Status::Ok();  // nothing by that ID to revoke
  return source->Revoke(lease_id);
}

StatusOr<std::size_t> Leases::RevokePrefix(std::string_view prefix, bool force,
                                           std::size_t* failed) {
  if (prefix.empty()) {
    return InvalidArgumentError("prefix: missing (revoking every lease at once is refused)");
  }
  std::size_t revoked = 0;
  for (const auto& source : sources_) {
    // Collected first: revoking while walking would change what is walked.
    std::vector<std::string> ids;
    TRESOR_RETURN_IF_ERROR(source->ForEachLease(prefix, [&ids](const std::string& id) {
      ids.push_back(id);
      return Status::Ok();
    }));
    for (const std::string& id : ids) {
      Status status = source->Revoke(id);
      if (status.ok()) {
        ++revoked;
      } else if (force) {
        spdlog::warn("revoke-force: could not revoke {}: {}", id, status.message());
        if (failed != nullptr) ++*failed;
      } else {
        return status.WithContext("revoking " + id);
      }
    }
  }
  return revoked;
}

StatusOr<std::vector<std::string>> Leases::List(std::string_view prefix) {
  std::set<std::string> keys;
  for (const auto& source : sources_) {
    TRESOR_RETURN_IF_ERROR(source->ForEachLease(prefix, [&](const std::string& id) {
      std::string_view rest = std::string_view(id).substr(prefix.size());
      const std::size_t slash = rest.find('/');
      keys.emplace(slash == std::string_view::npos ? rest : rest.substr(0, slash + 1));
      return Status::Ok();
    }));
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

Status Leases::Tidy() {
  for (const auto& source : sources_) TRESOR_RETURN_IF_ERROR(source->Tidy());
  return Status::Ok();
}

}  // namespace tresor::core
