#include "snapshot/gunzip_stream.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>

#include <cerrno>

namespace tresor::snapshot {
namespace {

constexpr std::size_t kRawChunk = 64 * 1024;
constexpr std::size_t kTrailerSize = 8;  // CRC-32 then ISIZE, little-endian

std::uint32_t ReadU32LittleEndian(std::string_view bytes) {
  auto byte = [&](std::size_t i) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
  };
  return byte(0) | byte(1) << 8 | byte(2) << 16 | byte(3) << 24;
}

}  // namespace

GunzipStream::GunzipStream(const ByteSource& in) : in_(in), raw_buffer_(kRawChunk) {
  crc_ = crc32_z(0L, Z_NULL, 0);
}

GunzipStream::~GunzipStream() {
  if (archive_ != nullptr) archive_read_free(archive_);
}

ssize_t GunzipStream::RawRead(struct archive* a, void* data, const void** buffer) {
  auto* self = static_cast<GunzipStream*>(data);
  *buffer = self->raw_buffer_.data();
  if (self->source_eof_) return 0;
  StatusOr<std::size_t> n = self->in_(self->raw_buffer_.data(), self->raw_buffer_.size());
  if (!n.ok()) {
    self->source_status_ = n.status();
    archive_set_error(a, EIO, "the snapshot source failed");
    return -1;
  }
  if (*n == 0) {
    self->source_eof_ = true;
    return 0;
  }
  self->raw_bytes_ += *n;
  self->raw_tail_.append(self->raw_buffer_.data(), *n);
  if (self->raw_tail_.size() > kTrailerSize) {
    self->raw_tail_.erase(0, self->raw_tail_.size() - kTrailerSize);
  }
  return static_cast<ssize_t>(*n);
}

Status GunzipStream::LibarchiveError(std::string_view what) const {
  if (!source_status_.ok()) return source_status_;
  const char* detail = archive_error_string(archive_);
  return CorruptionError("snapshot is damaged or truncated: " + std::string(what) +
                         (detail != nullptr ? std::string(" (") + detail + ")" : ""));
}

Status GunzipStream::Open() {
  archive_ = archive_read_new();
  if (archive_ == nullptr) return InternalError("libarchive: out of memory");
  // Only gzip: an uncompressed or otherwise compressed file is not ours.
  if (archive_read_support_filter_gzip(archive_) != ARCHIVE_OK ||
      archive_read_support_format_raw(archive_) != ARCHIVE_OK) {
    return InternalError("libarchive lacks gzip support");
  }
  int opened = archive_read_open(archive_, this, nullptr, &GunzipStream::RawRead, nullptr);
  struct archive_entry* entry = nullptr;
  int header = opened == ARCHIVE_OK ? archive_read_next_header(archive_, &entry) : opened;
  if (!source_status_.ok()) return source_status_;
  if (raw_bytes_ == 0) return InvalidArgumentError("not a Tresor snapshot: the file is empty");
  if (header != ARCHIVE_OK) return LibarchiveError("the gzip header is not readable");
  if (archive_filter_code(archive_, 0) != ARCHIVE_FILTER_GZIP) {
    return InvalidArgumentError("not a Tresor snapshot: the file is not gzip-compressed");
  }
  return Status::Ok();
}

StatusOr<std::size_t> GunzipStream::Read(char* buf, std::size_t cap) {
  la_ssize_t n = archive_read_data(archive_, buf, cap);
  if (n < 0) return LibarchiveError("the gzip data does not decompress");
  auto size = static_cast<std::size_t>(n);
  crc_ = crc32_z(crc_, reinterpret_cast<const Bytef*>(buf), size);
  for (std::size_t i = size; i > 0; --i) {
    if (buf[i - 1] != 0) {
      nonzero_end_ = position_ + i;
      break;
    }
  }
  position_ += size;
  return size;
}

Status GunzipStream::Finish() {
  std::vector<char> discard(kRawChunk);
  while (true) {
    TRESOR_ASSIGN_OR_RETURN(std::size_t n, Read(discard.data(), discard.size()));
    if (n == 0) break;
  }
  // libarchive stops at the end of the gzip stream (or at anything that is
  // not another gzip header); whatever the source still holds is extra.
  if (!source_eof_) {
    TRESOR_ASSIGN_OR_RETURN(std::size_t more, in_(raw_buffer_.data(), raw_buffer_.size()));
    if (more > 0) {
      return CorruptionError(
          "snapshot is damaged: unexpected bytes after the end of the gzip data");
    }
    source_eof_ = true;
  }
  // Bytes the gzip reader took from the source (la_int64_t) versus bytes read.
  la_int64_t consumed = archive_filter_bytes(archive_, -1);
  if (consumed >= 0 && static_cast<std::uint64_t>(consumed) != raw_bytes_) {
    return CorruptionError("snapshot is damaged: unexpected bytes after the end of the gzip data");
  }
  if (raw_tail_.size() < kTrailerSize ||
      ReadU32LittleEndian(raw_tail_) != static_cast<std::uint32_t>(crc_) ||
      ReadU32LittleEndian(std::string_view(raw_tail_).substr(4)) !=
          static_cast<std::uint32_t>(position_)) {
    return CorruptionError(
        "snapshot is damaged: the gzip checksum does not match the data (the file was altered "
        "or truncated)");
  }
  return Status::Ok();
}

}  // namespace tresor::snapshot
