#include "raft/state_image.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace tresor::raft {
namespace {

using Records = std::vector<std::pair<std::string, std::string>>;

StatusOr<Records> ParseAll(std::string_view image, std::uint64_t* index) {
  Records records;
  Status status = ParseStateImage(image, index, [&](std::string_view k, std::string_view v) {
    records.emplace_back(k, v);
    return Status::Ok();
  });
  if (!status.ok()) return status;
  return records;
}

TEST(StateImage, RoundTripsIndexAndRecords) {
  StateImageWriter writer(0x0102030405060708);
  writer.Add("a", "");
  writer.Add("a/b", std::string("\0\xff", 2));
  writer.Add("b", std::string(1000, 'v'));
  std::string image = writer.Finish();
  EXPECT_EQ(image.substr(0, 8), "TRSTATE1");
  EXPECT_EQ(image.substr(8, 8), "\x01\x02\x03\x04\x05\x06\x07\x08");
  std::uint64_t index = 0;
  auto records = ParseAll(image, &index);
  ASSERT_TRUE(records.ok()) << records.status().ToString();
  EXPECT_EQ(index, 0x0102030405060708u);
  EXPECT_EQ(*records,
            (Records{{"a", ""}, {"a/b", std::string("\0\xff", 2)}, {"b", std::string(1000, 'v')}}));
}

TEST(StateImage, EmptyStateIsHeaderAndChecksum) {
  std::string image = StateImageWriter(7).Finish();
  EXPECT_EQ(image.size(), 8u + 8u + 32u);
  std::uint64_t index = 0;
  auto records = ParseAll(image, &index);
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(index, 7u);
  EXPECT_TRUE(records->empty());
}

TEST(StateImage, RejectsEveryFlippedByteAndEveryTruncation) {
  StateImageWriter writer(3);
  writer.Add("k1", "v1");
  writer.Add("k2", "v2");
  std::string image = writer.Finish();
  for (std::size_t i = 0; i < image.size(); ++i) {
    std::string bad = image;
    bad[i] ^= 0x01;
    std::uint64_t index = 0;
    auto records = ParseAll(bad, &index);
    EXPECT_FALSE(records.ok()) << "flipped byte " << i;
  }
  for (std::size_t n = 0; n < image.size(); ++n) {
    std::uint64_t index = 0;
    EXPECT_FALSE(ParseAll(image.substr(0, n), &index).ok()) << "truncated to " << n;
  }
}

TEST(StateImage, ErrorCodesSayWhatIsWrong) {
  std::uint64_t index = 0;
  EXPECT_EQ(ParseAll("short", &index).status().code(), StatusCode::kInvalidArgument);
  std::string not_ours = StateImageWriter(1).Finish();
  not_ours[0] = 'X';
  EXPECT_EQ(ParseAll(not_ours, &index).status().code(), StatusCode::kInvalidArgument);
  std::string flipped = StateImageWriter(1).Finish();
  flipped[9] ^= 0x10;
  EXPECT_EQ(ParseAll(flipped, &index).status().code(), StatusCode::kCorruption);
}

TEST(StateImage, KeysOutOfOrderAreRejectedBeforeAnyRecordIsPassed) {
  // The writer does not check order (its caller walks LMDB in order), so it
  // can build a correctly checksummed image with a structural fault.
  StateImageWriter writer(1);
  writer.Add("b", "1");
  writer.Add("a", "2");
  std::string image = writer.Finish();
  int calls = 0;
  std::uint64_t index = 0;
  Status status = ParseStateImage(image, &index, [&](std::string_view, std::string_view) {
    ++calls;
    return Status::Ok();
  });
  EXPECT_EQ(status.code(), StatusCode::kCorruption);
  EXPECT_EQ(calls, 0);
}

TEST(StateImage, CallbackErrorStopsTheWalk) {
  StateImageWriter writer(1);
  writer.Add("a", "1");
  writer.Add("b", "2");
  std::string image = writer.Finish();
  int calls = 0;
  std::uint64_t index = 0;
  Status status = ParseStateImage(image, &index, [&](std::string_view, std::string_view) {
    ++calls;
    return IOError("disk gone");
  });
  EXPECT_EQ(status.code(), StatusCode::kIOError);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace tresor::raft
