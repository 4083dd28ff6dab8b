// The keys that belong to one cluster, not to its data: what it knows of
// its own members and active node, and its DR replication role. A snapshot
// restore keeps this cluster's copy of them and ignores the snapshot's,
// and DR replication never ships them (docs/snapshots.md,
// docs/replication.md). Otherwise a snapshot or a primary could mark a
// current member as removed, name another cluster's active node, or make
// a secondary believe it is a primary.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/ha.h"

namespace tresor::core {

// This cluster's DR role and its secondary credentials' location
// (core/replication/dr_records.h).
inline constexpr char kReplicationLocalPrefix[] = "core/replication/local/";

inline const std::vector<std::string>& ClusterLocalPrefixes() {
  static const std::vector<std::string> kPrefixes = {kRemovedMarkerPrefix, kServerNamesPrefix,
                                                     "core/ha/", kReplicationLocalPrefix};
  return kPrefixes;
}

inline bool IsClusterLocalKey(std::string_view key) {
  for (const std::string& prefix : ClusterLocalPrefixes()) {
    if (key.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace tresor::core
