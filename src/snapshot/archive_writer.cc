#include "snapshot/archive_writer.h"

#include <archive.h>
#include <archive_entry.h>

#include <ctime>
#include <memory>
#include <string>

#include "snapshot/archive_format.h"
#include "snapshot/sha256_sums.h"
#include "snapshot/state_codec.h"

namespace tresor::snapshot {
namespace {

// Record bytes are gathered up to this size before they go to libarchive;
// larger values are handed over directly.
constexpr std::size_t kWriteBuffer = 256 * 1024;

Status SecondPassDiffers() {
  return InvalidArgumentError(
      "the record source gave different records on its second pass (it must read one "
      "consistent view)");
}

// The seconds of an RFC 3339 UTC time, for the tar entries' mtime; 0 when
// it does not parse (the time is informative only).
std::time_t ParseSeconds(const std::string& rfc3339) {
  std::tm tm{};
  const char* end = strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  return end == nullptr ? 0 : timegm(&tm);
}

class ArchiveWriteSession {
 public:
  ArchiveWriteSession(const ByteSink& out, std::time_t mtime) : out_(out), mtime_(mtime) {}
  ~ArchiveWriteSession() {
    if (archive_ != nullptr) archive_write_free(archive_);
  }

  Status Open() {
    archive_ = archive_write_new();
    if (archive_ == nullptr) return InternalError("libarchive: out of memory");
    // pax_restricted writes plain ustar headers unless a member needs pax
    // (a state.bin over 8 GiB). Level 1 because state.bin is ciphertext,
    // which does not compress: a higher level only costs CPU.
    if (archive_write_add_filter_gzip(archive_) != ARCHIVE_OK ||
        archive_write_set_filter_option(archive_, "gzip", "compression-level", "0") != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(archive_) != ARCHIVE_OK ||
        // No zero padding after the gzip trailer: the reader refuses any
        // byte after it.
        archive_write_set_bytes_in_last_block(archive_, 1) != ARCHIVE_OK) {
      return Error("setting up the gzip'd tar writer");
    }
    if (archive_write_open(archive_, this, nullptr, &ArchiveWriteSession::WriteCallback, nullptr) !=
        ARCHIVE_OK) {
      return Error("opening the archive");
    }
    return Status::Ok();
  }

  Status BeginMember(std::string_view name, std::uint64_t size) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(),
                                                                        &archive_entry_free);
    if (entry == nullptr) return InternalError("libarchive: out of memory");
    archive_entry_set_pathname(entry.get(), std::string(name).c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0600);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(entry.get(), mtime_, 0);
    if (archive_write_header(archive_, entry.get()) != ARCHIVE_OK) {
      return Error("writing the tar header of " + std::string(name));
    }
    return Status::Ok();
  }

  Status Data(std::string_view bytes) {
    while (!bytes.empty()) {
      la_ssize_t n = archive_write_data(archive_, bytes.data(), bytes.size());
      if (n <= 0) return Error("writing archive data");
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return Status::Ok();
  }

  Status EndMember() {
    if (archive_write_finish_entry(archive_) != ARCHIVE_OK) return Error("finishing a member");
    return Status::Ok();
  }

  Status SmallMember(std::string_view name, std::string_view bytes) {
    TRESOR_RETURN_IF_ERROR(BeginMember(name, bytes.size()));
    TRESOR_RETURN_IF_ERROR(Data(bytes));
    return EndMember();
  }

  // Writes the tar end and the gzip trailer.
  Status Close() {
    if (archive_write_close(archive_) != ARCHIVE_OK) return Error("closing the archive");
    return Status::Ok();
  }

 private:
  static la_ssize_t WriteCallback(struct archive* a, void* data, const void* buffer,
                                  size_t length) {
    auto* self = static_cast<ArchiveWriteSession*>(data);
    // libarchive flushes again when it is freed; the sink saw its last call.
    if (!self->sink_status_.ok()) return -1;
    Status status = self->out_(std::string_view(static_cast<const char*>(buffer), length));
    if (!status.ok()) {
      self->sink_status_ = status;
      archive_set_error(a, EIO, "the snapshot sink failed");
      return -1;
    }
    return static_cast<la_ssize_t>(length);
  }

  // The sink's error when it caused the failure, libarchive's otherwise.
  Status Error(const std::string& what) const {
    if (!sink_status_.ok()) return sink_status_;
    const char* detail = archive_error_string(archive_);
    return InternalError("snapshot archive: " + what + " failed" +
                         (detail != nullptr ? std::string(": ") + detail : ""));
  }

  const ByteSink& out_;
  const std::time_t mtime_;
  struct archive* archive_ = nullptr;
  Status sink_status_;
};

// The size and SHA-256 of state.bin for `records`, checking the record
// rules on the way (first pass).
Status MeasureState(const RecordSource& records, std::uint64_t* size, std::string* sha256) {
  RecordOrderCheck check;
  Sha256 hash;
  hash.Update(kStateMagic);
  std::uint64_t total = kStateMagic.size();
  std::string header;
  TRESOR_RETURN_IF_ERROR(records([&](std::string_view key, std::string_view value) -> Status {
    TRESOR_RETURN_IF_ERROR(check.Check(key, value.size()));
    header.clear();
    AppendU32BigEndian(static_cast<std::uint32_t>(key.size()), header);
    header.append(key);
    AppendU32BigEndian(static_cast<std::uint32_t>(value.size()), header);
    hash.Update(header);
    hash.Update(value);
    total += EncodedRecordSize(key, value);
    return Status::Ok();
  }));
  *size = total;
  *sha256 = hash.FinishHex();
  return Status::Ok();
}

// Writes state.bin's data (second pass). Fails when the records differ
// from the first pass, before libarchive would silently cut or pad them.
Status WriteState(ArchiveWriteSession& session, const RecordSource& records,
                  std::uint64_t expected_size, const std::string& expected_sha256) {
  RecordOrderCheck check;
  Sha256 hash;
  std::uint64_t written = 0;
  std::string buffer;
  buffer.reserve(kWriteBuffer + kMaxKeySize + kRecordOverhead);
  auto emit = [&](std::string_view bytes) -> Status {
    if (bytes.size() > expected_size - written) return SecondPassDiffers();
    written += bytes.size();
    hash.Update(bytes);
    return session.Data(bytes);
  };
  auto flush = [&]() -> Status {
    Status status = emit(buffer);
    buffer.clear();
    return status;
  };
  buffer.append(kStateMagic);
  TRESOR_RETURN_IF_ERROR(records([&](std::string_view key, std::string_view value) -> Status {
    if (!check.Check(key, value.size()).ok()) return SecondPassDiffers();
    AppendU32BigEndian(static_cast<std::uint32_t>(key.size()), buffer);
    buffer.append(key);
    AppendU32BigEndian(static_cast<std::uint32_t>(value.size()), buffer);
    if (buffer.size() + value.size() <= kWriteBuffer) {
      buffer.append(value);
      return Status::Ok();
    }
    TRESOR_RETURN_IF_ERROR(flush());
    return emit(value);
  }));
  TRESOR_RETURN_IF_ERROR(flush());
  if (written != expected_size || hash.FinishHex() != expected_sha256) return SecondPassDiffers();
  return Status::Ok();
}

}  // namespace

Status WriteArchive(Meta meta, const RecordSource& records, const SumsSeal& seal,
                    const ByteSink& out) {
  if (meta.version != kFormatVersion) {
    return InvalidArgumentError("cannot write snapshot format version " +
                                std::to_string(meta.version) + ": this Tresor writes version " +
                                std::to_string(kFormatVersion));
  }
  Sums sums;
  TRESOR_RETURN_IF_ERROR(MeasureState(records, &meta.size, &sums.state_sha256));
  const std::string meta_json = EncodeMeta(meta);
  if (meta_json.size() > kMaxMetaSize) {
    return InvalidArgumentError("meta.json would be larger than 64 KiB");
  }
  sums.meta_sha256 = Sha256Hex(meta_json);
  const std::string sums_text = FormatSums(sums);
  TRESOR_ASSIGN_OR_RETURN(std::string sealed, seal.Seal(sums_text));
  if (sealed.size() > kMaxSealedSumsSize) {
    return InternalError("the sealed SHA256SUMS is larger than 4 KiB");
  }

  ArchiveWriteSession session(out, ParseSeconds(meta.created_at));
  TRESOR_RETURN_IF_ERROR(session.Open());
  TRESOR_RETURN_IF_ERROR(session.SmallMember(kMetaMember, meta_json));
  TRESOR_RETURN_IF_ERROR(session.BeginMember(kStateMember, meta.size));
  TRESOR_RETURN_IF_ERROR(WriteState(session, records, meta.size, sums.state_sha256));
  TRESOR_RETURN_IF_ERROR(session.EndMember());
  TRESOR_RETURN_IF_ERROR(session.SmallMember(kSumsMember, sums_text));
  TRESOR_RETURN_IF_ERROR(session.SmallMember(kSealedSumsMember, sealed));
  return session.Close();
}

}  // namespace tresor::snapshot
