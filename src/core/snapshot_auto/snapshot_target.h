// Where an automated snapshot schedule keeps its snapshots: a local
// directory or an S3 bucket (docs/snapshots.md, "Automated snapshots").
// Objects are named <file_prefix>-<unix nanoseconds>.snap (snapshots) and
// <file_prefix>-<unix nanoseconds>.wal (point-in-time archive segments:
// the time of their first write), so that byte order is age order.
//
// Threads: one schedule's target is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "core/snapshot_auto/auto_config.h"

namespace tresor::core::snapshot_auto {

inline constexpr std::string_view kSnapshotSuffix = ".snap";
inline constexpr std::string_view kSegmentSuffix = ".wal";

class SnapshotTarget {
 public:
  virtual ~SnapshotTarget() = default;
  // Writes the snapshot through `write`, which makes a complete, checked
  // file at the path it is given (or fails), then makes it the object
  // `name`. On any failure nothing is left under `name`.
  using FileWriter = std::function<Status(const std::string& path)>;
  virtual Status Store(const std::string& name, const FileWriter& write) = 0;
  // The names of this schedule's objects of one kind (kSnapshotSuffix,
  // kSegmentSuffix), oldest first.
  virtual StatusOr<std::vector<std::string>> List(const std::string& file_prefix,
                                                  std::string_view suffix) = 0;
  // A local file holding object `name`: the object itself for a local
  // target, else downloaded to `scratch_path`. NotFound when it is gone.
  virtual StatusOr<std::string> Fetch(const std::string& name, const std::string& scratch_path) = 0;
  virtual Status Remove(const std::string& name) = 0;
  // How status names the object (a path, or s3://bucket/key).
  virtual std::string Url(const std::string& name) const = 0;
};

// The target a config names. `scratch_dir` holds a snapshot while it is
// checked before an upload.
std::unique_ptr<SnapshotTarget> MakeTarget(const AutoConfig& config,
                                           const std::string& scratch_dir);

}  // namespace tresor::core::snapshot_auto
