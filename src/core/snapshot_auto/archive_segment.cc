#include "core/snapshot_auto/archive_segment.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "snapshot/archive_file.h"
#include "snapshot/archive_reader.h"
#include "snapshot/byte_stream.h"

namespace tresor::core::snapshot_auto {
namespace {

constexpr std::size_t kHashBytes = 32;
constexpr std::size_t kIndexDigits = 20;
constexpr std::size_t kStampBytes = 16;

void PutU64(std::string& out, std::uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

std::uint64_t GetU64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

std::string IndexKey(std::uint64_t index) {
  std::string digits = std::to_string(index);
  return std::string(kIndexDigits - digits.size(), '0') + digits;
}

std::string EncodeValue(const ArchivedWrite& write) {
  std::string value = write.position.hash;
  PutU64(value, write.stamp.raft_index);
  PutU64(value, static_cast<std::uint64_t>(write.stamp.unix_ns));
  value += write.entry;
  return value;
}

std::optional<ArchivedWrite> DecodeRecord(std::string_view key, std::string_view value) {
  if (key.size() != kIndexDigits || value.size() <= kHashBytes + kStampBytes) return std::nullopt;
  ArchivedWrite write;
  for (char c : key) {
    if (c < '0' || c > '9') return std::nullopt;
    write.position.index = write.position.index * 10 + static_cast<std::uint64_t>(c - '0');
  }
  write.position.hash = std::string(value.substr(0, kHashBytes));
  write.stamp.raft_index = GetU64(value.substr(kHashBytes));
  write.stamp.unix_ns = static_cast<std::int64_t>(GetU64(value.substr(kHashBytes + 8)));
  write.entry = std::string(value.substr(kHashBytes + kStampBytes));
  return write;
}

}  // namespace

SegmentSpool::~SegmentSpool() { Clear(); }

void SegmentSpool::Clear() {
  if (file_ != nullptr) std::fclose(file_);
  file_ = nullptr;
  ::unlink(path_.c_str());
  count_ = 0;
  bytes_ = 0;
  first_.reset();
  last_ = {};
}

// Spool records: u64 log index, u32 value length, value (EncodeValue).
Status SegmentSpool::Append(const ArchivedWrite& write) {
  if (file_ == nullptr) {
    file_ = std::fopen(path_.c_str(), "w+be");
    if (file_ == nullptr) {
      return IOError("cannot create the archive spool " + path_ + ": " + std::strerror(errno));
    }
  }
  std::string record;
  PutU64(record, write.position.index);
  const std::string value = EncodeValue(write);
  for (int shift = 24; shift >= 0; shift -= 8) record.push_back(static_cast<char>(value.size() >> shift));
  record += value;
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size()) {
    return IOError("cannot write the archive spool " + path_ + ": " + std::strerror(errno));
  }
  if (!first_) first_ = ArchivedWrite{write.position, write.stamp, {}};
  last_ = write.position;
  ++count_;
  bytes_ += record.size();
  return Status::Ok();
}

Status SegmentSpool::WriteSegment(const std::string& path, snapshot::Meta meta,
                                  const snapshot::SumsSeal& seal) {
  if (file_ == nullptr || count_ == 0) return FailedPreconditionError("the spool is empty");
  if (std::fflush(file_) != 0) return IOError("cannot write the archive spool " + path_);
  meta.log = snapshot::LogPoint{last_.index, last_.hash, meta.log ? meta.log->unix_ns : 0};
  // The writer walks the records twice (size, then data): each walk reads
  // the spool from its start, one record in memory at a time.
  auto records = [this](const snapshot::RecordVisitor& visit) -> Status {
    if (std::fseek(file_, 0, SEEK_SET) != 0) return IOError("cannot read the archive spool");
    std::string value;
    for (std::size_t i = 0; i < count_; ++i) {
      char head[12];
      if (std::fread(head, 1, sizeof head, file_) != sizeof head) {
        return IOError("the archive spool " + path_ + " is short");
      }
      const std::uint64_t index = GetU64(std::string_view(head, 8));
      std::uint32_t size = 0;
      for (int b = 8; b < 12; ++b) size = (size << 8) | static_cast<unsigned char>(head[b]);
      value.resize(size);
      if (std::fread(value.data(), 1, size, file_) != size) {
        return IOError("the archive spool " + path_ + " is short");
      }
      TRESOR_RETURN_IF_ERROR(visit(IndexKey(index), value));
    }
    return Status::Ok();
  };
  TRESOR_RETURN_IF_ERROR(snapshot::WriteArchiveFile(path, std::move(meta), records, seal).status());
  Clear();
  return Status::Ok();
}

Status ScanSegment(const std::string& path, const std::string& name,
                   const snapshot::SumsSeal* seal,
                   const std::function<Status(const snapshot::Meta&)>& on_meta,
                   const std::function<Status(const ArchivedWrite&)>& visit) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IOError("cannot read " + path + ": " + std::strerror(errno));
  snapshot::ReadOptions options;
  options.seal = seal;
  bool logged = true;
  Status read = snapshot::ReadArchive(
      snapshot::FileSource(fd), options,
      [&](const snapshot::Meta& meta) -> Status {
        logged = meta.log.has_value();
        return logged ? on_meta(meta) : Status::Ok();
      },
      [&](std::string_view key, std::string_view value) -> Status {
        std::optional<ArchivedWrite> write = DecodeRecord(key, value);
        if (!logged || !write) {
          return InvalidArgumentError("the archive segment " + name + " is not one Tresor wrote");
        }
        return visit(*write);
      });
  ::close(fd);
  if (!read.ok()) {
    return Status(read.code(), "the archive segment " + name + " did not check out: " +
                                   read.message());
  }
  if (!logged) return InvalidArgumentError("the archive segment " + name + " has no log position");
  return Status::Ok();
}

std::int64_t NameTime(std::string_view name) {
  const std::size_t dot = name.rfind('.');
  const std::size_t dash = name.rfind('-', dot);
  if (dot == std::string_view::npos || dash == std::string_view::npos || dot <= dash + 1) return 0;
  std::int64_t ns = 0;
  for (char c : name.substr(dash + 1, dot - dash - 1)) {
    if (c < '0' || c > '9') return 0;
    ns = ns * 10 + (c - '0');
  }
  return ns;
}

}  // namespace tresor::core::snapshot_auto
