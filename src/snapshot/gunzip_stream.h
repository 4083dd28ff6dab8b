// GunzipStream: the outer layer of the archive reader. It decompresses a
// gzip stream from a ByteSource with libarchive (gzip filter, "raw" format)
// and adds what libarchive leaves out: libarchive does not check the gzip
// trailer (CRC-32 and length of the decompressed data) nor notice bytes
// after the end of the stream, so this class computes the CRC-32 of every
// byte it hands out (zlib's crc32) and compares it with the trailer in
// Finish(). A snapshot's integrity does not hinge on this (SHA256SUMS and
// its seal do that), but it lets the reader tell a damaged file (Corruption)
// from one that was written in another format (InvalidArgument), and it
// covers bytes the checksums do not: tar headers, padding, the sealed sums
// when no seal is checked.
//
// Who calls it: archive_reader.cc only.
// Thread safety: one thread at a time.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "snapshot/byte_stream.h"

struct archive;

namespace tresor::snapshot {

class GunzipStream {
 public:
  // `in` is not owned and must outlive this object.
  explicit GunzipStream(const ByteSource& in);
  ~GunzipStream();
  GunzipStream(const GunzipStream&) = delete;
  GunzipStream& operator=(const GunzipStream&) = delete;

  // Reads the gzip header. Returns InvalidArgument when the input is empty
  // or not gzip ("not a Tresor snapshot"), the source's own error when it
  // fails, Corruption for a damaged header. REQUIRES: called once, first.
  Status Open();

  // Reads up to `cap` decompressed bytes into `buf`; 0 at the end of the
  // compressed data. Corruption when the data is damaged or truncated; the
  // source's error unchanged. After an error, do not call again.
  StatusOr<std::size_t> Read(char* buf, std::size_t cap);

  // Reads and discards the rest of the decompressed data, then checks that
  // the gzip trailer matches what was decompressed and that no byte follows
  // it. Corruption otherwise ("snapshot is damaged: ..."). REQUIRES: Open
  // succeeded and no Read failed.
  Status Finish();

  // Decompressed bytes handed out so far.
  std::uint64_t position() const { return position_; }
  // One past the offset of the last non-zero decompressed byte handed out
  // (0 when every byte was zero): tells whether anything but padding
  // follows a given offset.
  std::uint64_t nonzero_end() const { return nonzero_end_; }

 private:
  // libarchive's read callback: pulls the next raw chunk from the source.
  static ssize_t RawRead(struct archive* a, void* self, const void** buffer);
  Status LibarchiveError(std::string_view what) const;

  const ByteSource& in_;
  struct archive* archive_ = nullptr;
  std::vector<char> raw_buffer_;
  Status source_status_;  // the source's error, once it failed
  bool source_eof_ = false;
  std::uint64_t raw_bytes_ = 0;  // compressed bytes read from the source
  std::string raw_tail_;         // the last (up to) 8 compressed bytes
  unsigned long crc_ = 0;        // zlib crc32 of the decompressed bytes
  std::uint64_t position_ = 0;
  std::uint64_t nonzero_end_ = 0;
};

}  // namespace tresor::snapshot
