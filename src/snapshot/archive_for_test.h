// Test-only helpers of the snapshot tests: in-memory sinks and sources, a
// record source over a vector, a sealing "cluster" (a real barrier over an
// in-memory backend), gzip/gunzip of whole strings (zlib), and a builder of
// arbitrary gzip'd tar archives (libarchive) for archives the writer would
// never produce: extra, missing, reordered or non-regular members.
//
// Thread safety: none; each test owns its objects.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "barrier/barrier.h"
#include "common/clock.h"
#include "common/random.h"
#include "snapshot/archive_format.h"
#include "snapshot/archive_reader.h"
#include "snapshot/archive_writer.h"
#include "snapshot/sha256_sums.h"
#include "snapshot/state_codec.h"
#include "snapshot/sums_seal.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::snapshot {

using Records = std::vector<std::pair<std::string, std::string>>;

}  // namespace tresor::snapshot

namespace tresor {
// So that failed expectations print the status, not its bytes.
inline void PrintTo(const Status& status, std::ostream* os) { *os << status.ToString(); }
}  // namespace tresor

namespace tresor::snapshot {

inline ByteSink StringSinkForTest(std::string* out) {
  return [out](std::string_view chunk) {
    out->append(chunk);
    return Status::Ok();
  };
}

// Serves `bytes` in reads of at most `max_read` bytes (odd sizes shake out
// chunk-boundary bugs).
inline ByteSource StringSourceForTest(std::string bytes, std::size_t max_read = 65536) {
  auto data = std::make_shared<std::string>(std::move(bytes));
  auto offset = std::make_shared<std::size_t>(0);
  return [data, offset, max_read](char* buf, std::size_t cap) -> StatusOr<std::size_t> {
    std::size_t n = std::min({cap, max_read, data->size() - *offset});
    std::memcpy(buf, data->data() + *offset, n);
    *offset += n;
    return n;
  };
}

inline RecordSource VectorSourceForTest(const Records& records) {
  return [&records](const RecordVisitor& visit) -> Status {
    for (const auto& [key, value] : records) TRESOR_RETURN_IF_ERROR(visit(key, value));
    return Status::Ok();
  };
}

// A barrier initialised and unsealed under a fresh random root key: one
// "cluster" whose seal opens only its own sealed sums.
class ClusterForTest {
 public:
  ClusterForTest() : barrier_(physical_, clock_), seal_(barrier_) {
    SecureBytes root_key = RandomSecureBytes(32);
    EXPECT_TRUE(barrier_.Initialize(root_key).ok());
    EXPECT_TRUE(barrier_.Unseal(root_key).ok());
  }
  const SumsSeal& seal() const { return seal_; }
  barrier::AesGcmBarrier& barrier() { return barrier_; }

 private:
  FakeClock clock_;
  storage::InmemBackend physical_;
  barrier::AesGcmBarrier barrier_;
  RootKeySumsSeal seal_;
};

inline Meta MetaForTest() {
  Meta meta;
  meta.id = "3-42-1767225600000";
  meta.index = 42;
  meta.term = 3;
  meta.created_at = "2026-01-01T00:00:00Z";
  meta.cluster_id = "c0ffee00-1111-2222-3333-444455556666";
  meta.keyring_term = 2;
  return meta;
}

// WriteArchive into a string; fails the test on error.
inline std::string WriteForTest(const Records& records, const SumsSeal& seal,
                                Meta meta = MetaForTest()) {
  std::string out;
  Status status = WriteArchive(meta, VectorSourceForTest(records), seal, StringSinkForTest(&out));
  EXPECT_TRUE(status.ok()) << status.ToString();
  return out;
}

struct ReadResultForTest {
  Status status;
  Meta meta;
  Records records;
  int meta_calls = 0;
};

inline ReadResultForTest ReadForTest(std::string archive, const SumsSeal* seal = nullptr,
                                     std::size_t max_read = 65536) {
  ReadResultForTest result;
  result.status = ReadArchive(
      StringSourceForTest(std::move(archive), max_read), ReadOptions{seal},
      [&](const Meta& meta) {
        result.meta = meta;
        ++result.meta_calls;
        return Status::Ok();
      },
      [&](std::string_view key, std::string_view value) {
        result.records.emplace_back(std::string(key), std::string(value));
        return Status::Ok();
      });
  return result;
}

// state.bin's bytes for `records` (no checks).
inline std::string EncodeStateForTest(const Records& records) {
  std::string out(kStateMagic);
  for (const auto& [key, value] : records) {
    AppendU32BigEndian(static_cast<std::uint32_t>(key.size()), out);
    out += key;
    AppendU32BigEndian(static_cast<std::uint32_t>(value.size()), out);
    out += value;
  }
  return out;
}

// Whole-string gzip (one member) and gunzip with zlib, to edit the tar
// inside an archive and recompress it with a correct gzip trailer.
inline std::string GzipForTest(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

inline std::string GunzipForTest(std::string_view data) {
  z_stream stream{};
  EXPECT_EQ(inflateInit2(&stream, 15 + 16), Z_OK);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buffer[65536];
  int result = Z_OK;
  while (result == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    result = inflate(&stream, Z_NO_FLUSH);
    out.append(buffer, sizeof(buffer) - stream.avail_out);
  }
  EXPECT_EQ(result, Z_STREAM_END);
  inflateEnd(&stream);
  return out;
}

enum class MemberKind { kFile, kDirectory, kSymlink, kHardlink };

struct MemberForTest {
  std::string name;
  std::string content;  // a link's target for kSymlink / kHardlink
  MemberKind kind = MemberKind::kFile;
};

// A gzip'd ustar/pax archive of exactly `members`, written by libarchive.
inline std::string BuildArchiveForTest(const std::vector<MemberForTest>& members) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_add_filter_gzip(a);
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(
      a, &out, nullptr,
      [](struct archive*, void* data, const void* buffer, size_t length) -> la_ssize_t {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), length);
        return static_cast<la_ssize_t>(length);
      },
      nullptr);
  for (const MemberForTest& member : members) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, member.name.c_str());
    archive_entry_set_perm(entry, 0600);
    switch (member.kind) {
      case MemberKind::kFile:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_size(entry, static_cast<la_int64_t>(member.content.size()));
        break;
      case MemberKind::kDirectory:
        archive_entry_set_filetype(entry, AE_IFDIR);
        break;
      case MemberKind::kSymlink:
        archive_entry_set_filetype(entry, AE_IFLNK);
        archive_entry_set_symlink(entry, member.content.c_str());
        break;
      case MemberKind::kHardlink:
        archive_entry_set_filetype(entry, AE_IFREG);
        archive_entry_set_hardlink(entry, member.content.c_str());
        break;
    }
    EXPECT_EQ(archive_write_header(a, entry), ARCHIVE_OK) << archive_error_string(a);
    if (member.kind == MemberKind::kFile && !member.content.empty()) {
      EXPECT_EQ(archive_write_data(a, member.content.data(), member.content.size()),
                static_cast<la_ssize_t>(member.content.size()));
    }
    archive_entry_free(entry);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

// The four members of a valid archive for `records` and `meta` (size
// filled in), sums correct, sums sealed by `seal` (or a placeholder).
inline std::vector<MemberForTest> ValidMembersForTest(const Records& records, Meta meta,
                                                      const SumsSeal* seal = nullptr) {
  std::string state = EncodeStateForTest(records);
  meta.size = state.size();
  std::string meta_json = EncodeMeta(meta);
  std::string sums = FormatSums({Sha256Hex(meta_json), Sha256Hex(state)});
  std::string sealed = seal != nullptr ? *seal->Seal(sums) : std::string("not sealed");
  return {{std::string(kMetaMember), meta_json},
          {std::string(kStateMember), state},
          {std::string(kSumsMember), sums},
          {std::string(kSealedSumsMember), sealed}};
}

}  // namespace tresor::snapshot
