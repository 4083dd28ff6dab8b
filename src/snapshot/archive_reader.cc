#include "snapshot/archive_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <cerrno>
#include <string>
#include <vector>

#include "snapshot/archive_format.h"
#include "snapshot/gunzip_stream.h"
#include "snapshot/sha256_sums.h"
#include "snapshot/state_codec.h"

namespace tresor::snapshot {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// A member name fit for an error message: printable ASCII, at most 80 chars.
std::string Printable(const char* name) {
  if (name == nullptr) return "\"\"";
  std::string out = "\"";
  for (const char* p = name; *p != '\0' && out.size() < 81; ++p) {
    out += (*p >= 0x20 && *p < 0x7f) ? *p : '?';
  }
  return out + "\"";
}

Status NotASnapshot(const std::string& why) {
  return InvalidArgumentError("not a Tresor snapshot: " + why);
}

// One read of one archive: the gzip layer (GunzipStream) feeds a libarchive
// tar reader through TarRead.
class ArchiveReadSession {
 public:
  ArchiveReadSession(const ByteSource& in, const ReadOptions& options, const MetaVisitor& on_meta,
                     const RecordVisitor& record)
      : gzip_(in), options_(options), on_meta_(on_meta), record_(record), buffer_(kChunk) {}
  ~ArchiveReadSession() {
    if (tar_ != nullptr) archive_read_free(tar_);
  }

  Status Run() {
    TRESOR_RETURN_IF_ERROR(gzip_.Open());
    Status structure = ReadMembers();
    if (!structure.ok()) {
      if (caller_failed_ || !gzip_status_.ok()) return structure;
      // Damaged, or written that way? If the gzip checksum fails, the bytes
      // changed after they were written: report that, it is the cause.
      TRESOR_RETURN_IF_ERROR(gzip_.Finish());
      return structure;
    }
    const la_int64_t tar_end = archive_filter_bytes(tar_, 0);
    TRESOR_RETURN_IF_ERROR(gzip_.Finish());
    if (tar_end < 0 || gzip_.nonzero_end() > static_cast<std::uint64_t>(tar_end)) {
      return NotASnapshot("data follows the end of the tar archive");
    }
    TRESOR_ASSIGN_OR_RETURN(Sums sums, ParseSums(sums_text_));
    if (sums.meta_sha256 != meta_sha256_) {
      return CorruptionError(
          "snapshot is damaged: the checksum of meta.json does not match SHA256SUMS");
    }
    if (sums.state_sha256 != state_sha256_) {
      return CorruptionError(
          "snapshot is damaged: the checksum of state.bin does not match SHA256SUMS");
    }
    if (options_.seal != nullptr) {
      TRESOR_RETURN_IF_ERROR(options_.seal->Verify(sums_text_, sealed_sums_));
    }
    return Status::Ok();
  }

 private:
  static la_ssize_t TarRead(struct archive* a, void* data, const void** buffer) {
    auto* self = static_cast<ArchiveReadSession*>(data);
    *buffer = self->buffer_.data();
    StatusOr<std::size_t> n = self->gzip_.Read(self->buffer_.data(), self->buffer_.size());
    if (!n.ok()) {
      self->gzip_status_ = n.status();
      archive_set_error(a, EIO, "the gzip layer failed");
      return -1;
    }
    return static_cast<la_ssize_t>(*n);
  }

  // The gzip layer's error when it caused the failure, else libarchive's
  // tar error as "not a Tresor snapshot".
  Status TarError(const std::string& what) const {
    if (!gzip_status_.ok()) return gzip_status_;
    const char* detail = archive_error_string(tar_);
    return NotASnapshot(what + (detail != nullptr ? std::string(" (") + detail + ")" : ""));
  }

  Status ReadMembers() {
    tar_ = archive_read_new();
    if (tar_ == nullptr) return InternalError("libarchive: out of memory");
    if (archive_read_support_format_tar(tar_) != ARCHIVE_OK) {
      return InternalError("libarchive lacks tar support");
    }
    if (archive_read_open(tar_, this, nullptr, &ArchiveReadSession::TarRead, nullptr) !=
        ARCHIVE_OK) {
      return TarError("the data inside the gzip is not a tar archive");
    }
    for (std::size_t i = 0; i <= kMembers.size(); ++i) {
      struct archive_entry* entry = nullptr;
      int result = archive_read_next_header(tar_, &entry);
      if (result == ARCHIVE_EOF) {
        if (i == kMembers.size()) return Status::Ok();
        return NotASnapshot("the archive ends before its member " + std::string(kMembers[i]));
      }
      if (result != ARCHIVE_OK) return TarError("a tar header is not readable");
      if (i == 0 && (archive_format(tar_) & ARCHIVE_FORMAT_BASE_MASK) != ARCHIVE_FORMAT_TAR) {
        return NotASnapshot("the data inside the gzip is not a tar archive");
      }
      TRESOR_RETURN_IF_ERROR(CheckMember(i, entry));
      const auto size = static_cast<std::uint64_t>(archive_entry_size(entry));
      switch (i) {
        case 0: {
          TRESOR_RETURN_IF_ERROR(ReadSmall(kMetaMember, size, kMaxMetaSize, &meta_text_));
          meta_sha256_ = Sha256Hex(meta_text_);
          TRESOR_ASSIGN_OR_RETURN(meta_, ParseMeta(meta_text_));
          if (on_meta_) TRESOR_RETURN_IF_ERROR(Caller(on_meta_(meta_)));
          break;
        }
        case 1:
          TRESOR_RETURN_IF_ERROR(ReadState(size));
          break;
        case 2:
          TRESOR_RETURN_IF_ERROR(ReadSmall(kSumsMember, size, kMaxSumsSize, &sums_text_));
          break;
        case 3:
          TRESOR_RETURN_IF_ERROR(
              ReadSmall(kSealedSumsMember, size, kMaxSealedSumsSize, &sealed_sums_));
          break;
      }
    }
    return Status::Ok();
  }

  // Member i must be kMembers[i], a regular file of a known size.
  Status CheckMember(std::size_t i, struct archive_entry* entry) {
    const char* raw_name = archive_entry_pathname(entry);
    std::string_view name = raw_name != nullptr ? raw_name : "";
    if (i == kMembers.size()) {
      return NotASnapshot("unexpected member " + Printable(raw_name) + " after " +
                          std::string(kSealedSumsMember));
    }
    if (name != kMembers[i]) {
      for (std::size_t j = 0; j < kMembers.size(); ++j) {
        if (name != kMembers[j]) continue;
        if (j < i) return NotASnapshot("member " + std::string(name) + " appears twice");
        return NotASnapshot("member " + std::string(name) +
                            " is out of order: " + std::string(kMembers[i]) + " must come first");
      }
      return NotASnapshot("unexpected member " + Printable(raw_name) +
                          " (a snapshot holds only meta.json, state.bin, SHA256SUMS and "
                          "SHA256SUMS.sealed)");
    }
    if (archive_entry_filetype(entry) != AE_IFREG || archive_entry_hardlink(entry) != nullptr ||
        archive_entry_symlink(entry) != nullptr) {
      return NotASnapshot("member " + std::string(name) + " is not a regular file");
    }
    if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0) {
      return NotASnapshot("member " + std::string(name) + " has no size");
    }
    return Status::Ok();
  }

  Status ReadSmall(std::string_view name, std::uint64_t size, std::uint64_t cap, std::string* out) {
    if (size > cap) {
      return NotASnapshot(std::string(name) + " is " + std::to_string(size) +
                          " bytes, more than the " + std::to_string(cap) + " allowed");
    }
    out->clear();
    while (true) {
      la_ssize_t n = archive_read_data(tar_, buffer_for_data_, sizeof(buffer_for_data_));
      if (n < 0) return TarError("reading " + std::string(name) + " failed");
      if (n == 0) break;
      out->append(buffer_for_data_, static_cast<std::size_t>(n));
      if (out->size() > size) return NotASnapshot(std::string(name) + " is longer than its header");
    }
    if (out->size() != size) {
      return CorruptionError("snapshot is damaged: " + std::string(name) + " is truncated");
    }
    return Status::Ok();
  }

  Status ReadState(std::uint64_t size) {
    if (size != meta_.size) {
      return NotASnapshot("state.bin is " + std::to_string(size) + " bytes but meta.json says " +
                          std::to_string(meta_.size));
    }
    StateDecoder decoder(size);
    Sha256 hash;
    std::uint64_t read = 0;
    RecordVisitor visit = [this](std::string_view key, std::string_view value) {
      return record_ ? Caller(record_(key, value)) : Status::Ok();
    };
    std::vector<char> chunk(kChunk);
    while (true) {
      la_ssize_t n = archive_read_data(tar_, chunk.data(), chunk.size());
      if (n < 0) return TarError("reading state.bin failed");
      if (n == 0) break;
      std::string_view bytes(chunk.data(), static_cast<std::size_t>(n));
      read += bytes.size();
      hash.Update(bytes);
      TRESOR_RETURN_IF_ERROR(decoder.Feed(bytes, visit));
    }
    if (read != size) return CorruptionError("snapshot is damaged: state.bin is truncated");
    TRESOR_RETURN_IF_ERROR(decoder.Finish());
    state_sha256_ = hash.FinishHex();
    return Status::Ok();
  }

  // Marks a visitor's error so that it is returned as is.
  Status Caller(Status status) {
    if (!status.ok()) caller_failed_ = true;
    return status;
  }

  GunzipStream gzip_;
  const ReadOptions& options_;
  const MetaVisitor& on_meta_;
  const RecordVisitor& record_;
  std::vector<char> buffer_;  // decompressed bytes handed to the tar reader
  char buffer_for_data_[4096];
  struct archive* tar_ = nullptr;
  Status gzip_status_;  // the gzip layer's (or source's) error, once it failed
  bool caller_failed_ = false;
  Meta meta_;
  std::string meta_text_, sums_text_, sealed_sums_;
  std::string meta_sha256_, state_sha256_;
};

}  // namespace

Status ReadArchive(const ByteSource& in, const ReadOptions& options, const MetaVisitor& on_meta,
                   const RecordVisitor& record) {
  ArchiveReadSession session(in, options, on_meta, record);
  return session.Run();
}

}  // namespace tresor::snapshot
