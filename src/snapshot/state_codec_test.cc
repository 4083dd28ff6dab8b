#include "snapshot/state_codec.h"

#include <gtest/gtest.h>

#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

// Feeds `state` to a decoder in pieces of `step` bytes.
Status Decode(const std::string& state, std::size_t step, Records* out) {
  StateDecoder decoder(state.size());
  RecordVisitor visit = [out](std::string_view key, std::string_view value) {
    out->emplace_back(std::string(key), std::string(value));
    return Status::Ok();
  };
  for (std::size_t i = 0; i < state.size(); i += step) {
    TRESOR_RETURN_IF_ERROR(decoder.Feed(std::string_view(state).substr(i, step), visit));
  }
  return decoder.Finish();
}

TEST(StateCodecTest, DecodesWhateverTheChunking) {
  const Records records = {{"a", ""},
                           {"a/b", std::string("\0\xff\x01", 3)},
                           {"b", std::string(70000, 'v')},
                           {std::string(4096, 'k'), "x"}};
  const std::string state = EncodeStateForTest(records);
  for (std::size_t step : {1, 3, 4, 7, 8, 4096, 65536, 1 << 20}) {
    Records decoded;
    Status status = Decode(state, step, &decoded);
    ASSERT_TRUE(status.ok()) << step << ": " << status.ToString();
    EXPECT_EQ(decoded, records) << step;
  }
}

TEST(StateCodecTest, NoRecordsIsJustTheMagic) {
  Records decoded;
  EXPECT_TRUE(Decode(std::string(kStateMagic), 3, &decoded).ok());
  EXPECT_TRUE(decoded.empty());
}

TEST(StateCodecTest, RefusesBrokenStructure) {
  std::string bad_magic = EncodeStateForTest({{"a", "1"}});
  bad_magic[0] = 'X';
  std::string zero_key = std::string(kStateMagic) + std::string(4, '\0') + std::string(4, '\0');
  std::string long_key = std::string(kStateMagic);
  AppendU32BigEndian(4097, long_key);
  long_key += std::string(4097, 'k') + std::string(4, '\0');
  std::string past_end = std::string(kStateMagic);
  AppendU32BigEndian(1, past_end);
  past_end += "k";
  AppendU32BigEndian(100, past_end);
  past_end += "short";
  std::string truncated = EncodeStateForTest({{"a", "1"}, {"b", "2"}});
  truncated.pop_back();
  struct Case {
    std::string state;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {bad_magic, "does not start with \"TRSNAPv1\""},
      {"TRSN", "does not start with \"TRSNAPv1\""},
      {zero_key, "key length of 0"},
      {long_key, "key length of 4097"},
      {past_end, "runs past the end"},
      {truncated, "record 2 runs past the end"},
      {EncodeStateForTest({{"b", "1"}, {"a", "2"}}), "not greater than the previous key"},
      {EncodeStateForTest({{"a", "1"}, {"a", "2"}}), "not greater than the previous key"},
  };
  for (const Case& c : cases) {
    Records decoded;
    Status status = Decode(c.state, 5, &decoded);
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << c.message_part;
    EXPECT_NE(status.message().find(c.message_part), std::string::npos) << status.message();
  }
}

TEST(StateCodecTest, FewerBytesThanTheHeaderSaysIsRefused) {
  const std::string state = EncodeStateForTest({{"a", "1"}, {"b", "2"}});
  StateDecoder decoder(state.size() + 10);
  ASSERT_TRUE(
      decoder.Feed(state, [](std::string_view, std::string_view) { return Status::Ok(); }).ok());
  EXPECT_EQ(decoder.Finish(), InvalidArgumentError("state.bin: shorter than its tar header says"));
  StateDecoder whole(state.size());
  ASSERT_TRUE(
      whole.Feed(state, [](std::string_view, std::string_view) { return Status::Ok(); }).ok());
  EXPECT_TRUE(whole.Finish().ok());
  EXPECT_EQ(whole.records(), 2u);
}

TEST(StateCodecTest, ByteOrderIsUnsigned) {
  // 0xff sorts after 'z' in byte order; a signed char compare would refuse.
  RecordOrderCheck check;
  EXPECT_TRUE(check.Check("z", 0).ok());
  EXPECT_TRUE(check.Check("\xff", 0).ok());
  EXPECT_EQ(check.Check("a", 0).code(), StatusCode::kInvalidArgument);
}

TEST(StateCodecTest, VisitorErrorsComeBackUnchanged) {
  const std::string state = EncodeStateForTest({{"a", "1"}, {"b", "2"}});
  StateDecoder decoder(state.size());
  Status status = decoder.Feed(state, [](std::string_view key, std::string_view) {
    return key == "b" ? IOError("staging failed") : Status::Ok();
  });
  EXPECT_EQ(status, IOError("staging failed"));
}

}  // namespace
}  // namespace tresor::snapshot
