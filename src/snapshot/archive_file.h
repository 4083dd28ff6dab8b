// Saving a snapshot archive to a file so that a crash never leaves a
// truncated or unverified file under the final name: the bytes go to
// "<path>.tmp-<random>" in the same directory, which is fsynced, closed,
// read back and verified with ReadArchive (without the seal check: the
// saver may not hold the cluster's keys), renamed over `path`, and the
// directory fsynced. On any error before the rename the temporary file is
// removed and `path` is left as it was; a failed fsync of the directory
// after the rename is reported, with the verified file already in place.
//
// Who calls it: the CLI's `operator raft snapshot save` (SaveVerified, with
// the HTTP body as source) and offline backup (WriteArchiveFile).
// Thread safety: stateless; concurrent calls for different paths are fine.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::snapshot {

// Writes the archive of `records` (WriteArchive) to `path` as described
// above. Returns the meta that was written (size filled in). Errors:
// WriteArchive's, IOError for file system failures, and ReadArchive's
// if the file does not read back intact.
StatusOr<Meta> WriteArchiveFile(const std::string& path, Meta meta, const RecordSource& records,
                                const SumsSeal& seal);

// Copies raw archive bytes from `in` to `path` as described above.
// Returns the archive's meta. Errors: the source's, IOError for file
// system failures, ReadArchive's when the bytes are not an intact archive.
StatusOr<Meta> SaveVerified(const std::string& path, const ByteSource& in);

// The general form of both: `produce` writes the archive bytes to the sink
// it is given (for a download that pushes bytes as they arrive), and the
// file is then synced, verified and renamed as described above. Returns
// the archive's meta as read back; produce's error when it fails.
StatusOr<Meta> WriteVerified(const std::string& path,
                             const std::function<Status(const ByteSink&)>& produce);

}  // namespace tresor::snapshot
