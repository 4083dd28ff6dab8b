// WriteArchive: streams a snapshot archive (docs/snapshot-format.md) from a
// consistent view of the storage records to a ByteSink, with memory bounded
// by a few hundred KiB plus the largest single value, whatever the number
// of records.
//
// The tar header of state.bin must state its size before its data, so the
// record source is enumerated twice: a first pass checks the records and
// computes the size and SHA-256 of state.bin, a second pass writes it. The
// source must give the same records both times (a read transaction).
//
// Who calls it: core (GET sys/storage/raft/snapshot), offline backup, and
// WriteArchiveFile (archive_file.h).
// Thread safety: stateless; one call runs on the calling thread.
#pragma once

#include "common/status.h"
#include "snapshot/byte_stream.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"

namespace tresor::snapshot {

// Writes meta.json (with meta.size set to state.bin's size), state.bin,
// SHA256SUMS and SHA256SUMS.sealed (sums sealed by `seal`) as a gzip'd tar
// to `out`. The other fields of `meta` are written as given.
// Returns Ok once every byte, including the gzip trailer, went to `out`.
// Errors: InvalidArgument when meta.version is not 1, when the records
// break the state.bin rules (empty or over-long key, value over 512 MiB,
// keys not strictly increasing) or when the second pass differs from the
// first; the source's, the seal's or the sink's own error unchanged
// otherwise. On error, bytes already given to `out` are a partial archive
// that the caller must discard.
Status WriteArchive(Meta meta, const RecordSource& records, const SumsSeal& seal,
                    const ByteSink& out);

}  // namespace tresor::snapshot
