// The callback types through which archives and records stream, and the
// file-descriptor adapters for them. Archives are never held whole in
// memory: bytes flow from a ByteSource or into a ByteSink in chunks.
//
// Who uses them: archive_writer.h, archive_reader.h, archive_file.h, the CLI
// (files) and core/http (HTTP bodies).
// Thread safety: the adapters hold no state besides the fd; one stream is
// used by one thread at a time.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace tresor::snapshot {

// Takes the next chunk of archive bytes (a file, an HTTP chunked body). The
// chunk is valid only during the call. A non-OK status stops the writer,
// which returns it.
using ByteSink = std::function<Status(std::string_view chunk)>;

// Reads up to `cap` bytes into `buf` and returns how many; 0 means the end
// (and every later call returns 0 too). An error stops the reader, which
// returns it unchanged.
using ByteSource = std::function<StatusOr<std::size_t>(char* buf, std::size_t cap)>;

// Receives one storage record. Both views are valid only during the call.
using RecordVisitor = std::function<Status(std::string_view key, std::string_view value)>;

// Enumerates records in strictly increasing key order, calling the visitor
// for each and stopping at (and returning) its first error. WriteArchive
// calls it twice; both passes must see the same records (a consistent read
// view such as an LMDB read transaction).
using RecordSource = std::function<Status(const RecordVisitor&)>;

// A ByteSource reading fd with read(2) (retrying EINTR); IOError on failure.
// The fd is not owned and must outlive the source.
ByteSource FileSource(int fd);

// A ByteSink writing every byte of each chunk to fd with write(2) (retrying
// short writes and EINTR); IOError on failure (ENOSPC included). The fd is
// not owned and must outlive the sink.
ByteSink FileSink(int fd);

}  // namespace tresor::snapshot
