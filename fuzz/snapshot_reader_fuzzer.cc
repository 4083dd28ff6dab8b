// Fuzz target: the snapshot archive reader (snapshot/archive_reader.h), which
// reads files an operator uploads to sys/storage/raft/snapshot(-force) and
// that `tresor operator raft snapshot inspect` opens. ReadArchive runs with
// no seal (as snapshot-force and inspect do), so every check but the
// sealed sums runs.
//
// The first input byte picks the form of the rest:
//   even: the archive's bytes as they are (gzip'd tar);
//   odd:  a tar, which the fuzzer gzips before reading, so that mutations
//         reach the tar headers, meta.json and state.bin's records instead
//         of dying in the deflate stream.
// The source hands out chunks of a size taken from the first byte too, to
// shake out chunk-boundary bugs. Invariants: no crash, no sanitizer report,
// no exception; a refusal is Corruption or InvalidArgument; records arrive
// only after meta.json, in strictly increasing key order.
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "common/check.h"
#include "snapshot/archive_reader.h"

namespace {

namespace snapshot = tresor::snapshot;

std::string Gzip(std::string_view raw) {
  z_stream z{};
  TRESOR_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(raw.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  z.avail_in = static_cast<uInt>(raw.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  TRESOR_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

snapshot::ByteSource Source(std::string_view bytes, std::size_t max_read) {
  auto offset = std::make_shared<std::size_t>(0);
  return [bytes, offset, max_read](char* buf, std::size_t cap) -> tresor::StatusOr<std::size_t> {
    std::size_t n = std::min({cap, max_read, bytes.size() - *offset});
    std::memcpy(buf, bytes.data() + *offset, n);
    *offset += n;
    return n;
  };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string gzipped;
  if (mode % 2 == 1) {
    gzipped = Gzip(rest);
    rest = gzipped;
  }
  constexpr std::size_t kChunks[] = {65536, 1, 7, 512, 4096, 100000, 3, 1000};
  const std::size_t max_read = kChunks[(mode / 2) % std::size(kChunks)];

  bool saw_meta = false;
  std::string last_key;
  bool first_record = true;
  tresor::Status status = snapshot::ReadArchive(
      Source(rest, max_read), snapshot::ReadOptions{},
      [&](const snapshot::Meta&) {
        TRESOR_CHECK(!saw_meta);
        saw_meta = true;
        return tresor::Status::Ok();
      },
      [&](std::string_view key, std::string_view) {
        TRESOR_CHECK(saw_meta);
        TRESOR_CHECK(first_record || key > last_key);
        first_record = false;
        last_key.assign(key);
        return tresor::Status::Ok();
      });
  if (!status.ok()) {
    TRESOR_CHECK(status.code() == tresor::StatusCode::kCorruption ||
                 status.code() == tresor::StatusCode::kInvalidArgument);
  } else {
    TRESOR_CHECK(saw_meta);
  }
  return 0;
}
