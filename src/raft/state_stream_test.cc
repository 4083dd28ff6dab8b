#include "raft/state_stream.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tresor::raft {
namespace {

using StreamRecords = std::map<std::string, std::string>;

std::string WriteStream(std::uint64_t index, const StreamRecords& records) {
  std::string stream;
  Status written = WriteStateStream(
      index,
      [&](const StateRecordVisitor& visit) -> Status {
        for (const auto& [key, value] : records) TRESOR_RETURN_IF_ERROR(visit(key, value));
        return Status::Ok();
      },
      [&](std::string_view piece) {
        EXPECT_LE(piece.size(), kStateStreamPieceBytes + 32);
        stream.append(piece);
        return Status::Ok();
      });
  EXPECT_TRUE(written.ok()) << written.ToString();
  return stream;
}

struct StreamReadResult {
  Status status;
  std::uint64_t index = 0;
  StreamRecords records;
};

StreamReadResult ReadStream(const std::string& stream) {
  StreamReadResult result;
  std::size_t offset = 0;
  result.status = ReadStateStream(
      ReadExactFrom(stream, &offset),
      [&](std::uint64_t index) {
        result.index = index;
        return Status::Ok();
      },
      [&](std::string_view key, std::string_view value) {
        result.records.emplace(key, value);
        return Status::Ok();
      });
  return result;
}

StreamRecords SomeStreamRecords() {
  StreamRecords records;
  for (int i = 0; i < 50; ++i) {
    records["sys/token/id/" + std::to_string(1000 + i)] = std::string(i * 37, static_cast<char>(i));
  }
  records["/r/staged"] = "restore staging travels too";
  records["empty-value"] = "";
  return records;
}

TEST(StateStreamTest, RoundTripsTheIndexAndEveryRecord) {
  const StreamRecords records = SomeStreamRecords();
  StreamReadResult read = ReadStream(WriteStream(42, records));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.index, 42u);
  EXPECT_EQ(read.records, records);
}

TEST(StateStreamTest, AnEmptyStateRoundTrips) {
  StreamReadResult read = ReadStream(WriteStream(7, {}));
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_EQ(read.index, 7u);
  EXPECT_TRUE(read.records.empty());
}

TEST(StateStreamTest, AStateLargerThanOnePieceComesInPieces) {
  StreamRecords records;
  for (int i = 0; i < 40; ++i) records["k" + std::to_string(100 + i)] = std::string(20000, 'v');
  int pieces = 0;
  Status written = WriteStateStream(
      1,
      [&](const StateRecordVisitor& visit) -> Status {
        for (const auto& [key, value] : records) TRESOR_RETURN_IF_ERROR(visit(key, value));
        return Status::Ok();
      },
      [&](std::string_view) {
        ++pieces;
        return Status::Ok();
      });
  ASSERT_TRUE(written.ok());
  EXPECT_GE(pieces, 4);  // 800 kB in 256 KiB pieces
}

TEST(StateStreamTest, EveryFlippedByteIsRejected) {
  const std::string stream = WriteStream(9, {{"a", "1"}, {"b", "22"}, {"c", "333"}});
  for (std::size_t i = 0; i < stream.size(); ++i) {
    std::string bad = stream;
    bad[i] ^= 0x01;
    StreamReadResult read = ReadStream(bad);
    EXPECT_FALSE(read.status.ok()) << "byte " << i << " flipped";
  }
}

TEST(StateStreamTest, EveryTruncationIsRejected) {
  const std::string stream = WriteStream(9, {{"a", "1"}, {"b", "22"}});
  for (std::size_t length = 0; length < stream.size(); ++length) {
    EXPECT_FALSE(ReadStream(stream.substr(0, length)).status.ok()) << "cut at " << length;
  }
}

TEST(StateStreamTest, KeysOutOfOrderAreCorruption) {
  // A writer fed keys out of order (a broken walk) produces a stream the
  // reader refuses.
  std::string stream;
  ASSERT_TRUE(WriteStateStream(
                  1,
                  [](const StateRecordVisitor& visit) -> Status {
                    TRESOR_RETURN_IF_ERROR(visit("b", "1"));
                    return visit("a", "2");
                  },
                  [&](std::string_view piece) {
                    stream.append(piece);
                    return Status::Ok();
                  })
                  .ok());
  StreamReadResult read = ReadStream(stream);
  EXPECT_EQ(read.status.code(), StatusCode::kCorruption);
  EXPECT_NE(read.status.message().find("out of order"), std::string::npos);
}

TEST(StateStreamTest, ABadMagicIsInvalidArgumentAndAHeaderErrorStopsTheRead) {
  std::string stream = WriteStream(3, {{"a", "1"}});
  std::string other = stream;
  other[7] = '1';  // TRSTATE1: an image, not a stream
  EXPECT_EQ(ReadStream(other).status.code(), StatusCode::kInvalidArgument);

  int records = 0;
  std::size_t offset = 0;
  Status status = ReadStateStream(
      ReadExactFrom(stream, &offset), [](std::uint64_t) { return UnavailableError("too old"); },
      [&](std::string_view, std::string_view) {
        ++records;
        return Status::Ok();
      });
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(records, 0);
}

}  // namespace
}  // namespace tresor::raft
