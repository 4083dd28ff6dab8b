// ReadArchive: streams a snapshot archive (docs/snapshot-format.md) from a
// ByteSource and verifies all of it: the gzip stream and its trailer, the
// tar structure (exactly meta.json, state.bin, SHA256SUMS,
// SHA256SUMS.sealed, in that order, regular files within their caps,
// nothing after), meta.json, the state.bin records, both SHA-256 sums and,
// when asked, the sealed sums. Memory is bounded by a few hundred KiB plus
// the largest single value.
//
// IMPORTANT: the checksums and the seal cover the whole file and can only
// be checked at its end, so the records handed to the visitor are
// UNVERIFIED until ReadArchive returns Ok. Callers stage them (a scratch
// store, a temporary file) and act on them only after Ok.
//
// Error codes: Corruption when the file was damaged after it was written
// (gzip or checksum mismatch, truncation anywhere, a byte changed);
// InvalidArgument when it is intact but not a Tresor snapshot of this format
// (another member, wrong order, a directory or link, a member over its cap,
// state.bin's size differs from meta.json's, unknown format version, data
// after the tar end); PermissionDenied from the seal (another cluster's
// snapshot); the source's or a visitor's own error unchanged. Messages name
// the problem and never contain record contents.
//
// Who calls it: core (restore), SaveVerified/WriteArchiveFile (re-read
// after writing), InspectArchive, the CLI.
// Thread safety: stateless; one call runs on the calling thread.
#pragma once

#include <functional>

#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::snapshot {

struct ReadOptions {
  // The seal that must open SHA256SUMS.sealed to exactly SHA256SUMS. Null
  // skips that check (snapshot-force, inspect, the CLI's own verification),
  // every other check still runs. Not owned.
  const SumsSeal* seal = nullptr;
};

using MetaVisitor = std::function<Status(const Meta& meta)>;

// Reads and verifies the archive in `in`. Calls `on_meta` once, after
// meta.json parsed and before any record, then `record` for each record of
// state.bin in order (either may be empty to skip). A visitor's error stops
// the read and is returned unchanged. See the header comment for the rest.
Status ReadArchive(const ByteSource& in, const ReadOptions& options, const MetaVisitor& on_meta,
                   const RecordVisitor& record);

}  // namespace tresor::snapshot
