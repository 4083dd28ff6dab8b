#include "snapshot/meta.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace tresor::snapshot {
namespace {

Meta SampleMeta() {
  Meta meta;
  meta.id = "3-42-1767225600000";
  meta.index = 42;
  meta.term = 3;
  meta.created_at = "2026-01-01T00:00:00Z";
  meta.size = 1234;
  meta.cluster_id = "cluster-a";
  meta.keyring_term = 7;
  return meta;
}

TEST(MetaTest, EncodesTheDocumentedFieldsInOrder) {
  EXPECT_EQ(EncodeMeta(SampleMeta()),
            R"({"version":1,"id":"3-42-1767225600000","index":42,"term":3,)"
            R"("created_at":"2026-01-01T00:00:00Z","size":1234,"cluster_id":"cluster-a",)"
            R"("keyring_term":7})");
}

TEST(MetaTest, RoundTrips) {
  auto parsed = ParseMeta(EncodeMeta(SampleMeta()));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, SampleMeta());
}

TEST(MetaTest, TheLogPointIsOptionalAndRoundTripsWhenPresent) {
  Meta meta = SampleMeta();
  meta.log = LogPoint{17, std::string(32, '\xab'), 1'767'225'600'123'456'789};
  const std::string json = EncodeMeta(meta);
  EXPECT_NE(json.find(R"("log":{"index":17,"hash":"abab)"), std::string::npos) << json;
  auto parsed = ParseMeta(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(*parsed, meta);
  const std::string hex64(64, 'a');
  for (const std::string& bad : std::vector<std::string>{
           R"("log":{"index":17,"hash":"ab","unix_ns":1})",
           R"("log":{"index":-1,"hash":")" + hex64 + R"(","unix_ns":1})", R"("log":[1,2,3])"}) {
    std::string broken = EncodeMeta(SampleMeta());
    broken.insert(broken.size() - 1, "," + bad);
    auto refused = ParseMeta(broken);
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << broken;
    EXPECT_NE(refused.status().message().find("log"), std::string::npos) << broken;
  }
}

TEST(MetaTest, RefusesWhatIsNotStrictlyAMetaObject) {
  const std::string good = EncodeMeta(SampleMeta());
  struct Case {
    std::string json;
    std::string message_part;
  };
  const std::vector<Case> cases = {
      {"not json", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"id":"x"})", "\"version\" must be present"},
      {R"({"version":"1"})", "\"version\" must be an integer"},
      {R"({"version":1,"index":1,"term":1,"created_at":"t","size":1,"cluster_id":"","keyring_term":1})",
       "\"id\" must be present"},
      {R"({"version":1,"id":"","index":1,"term":1,"created_at":"t","size":1,"cluster_id":"","keyring_term":1})",
       "\"id\" must be a non-empty string"},
      {R"({"version":1,"id":"a","index":-1,"term":1,"created_at":"t","size":1,"cluster_id":"","keyring_term":1})",
       "\"index\" must be a non-negative integer"},
      {R"({"version":1,"id":"a","index":1.5,"term":1,"created_at":"t","size":1,"cluster_id":"","keyring_term":1})",
       "\"index\" must be a non-negative integer"},
      {R"({"version":1,"id":"a","index":1,"term":1,"created_at":"t","size":"1","cluster_id":"","keyring_term":1})",
       "\"size\" must be a non-negative integer"},
      {R"({"version":1,"id":"a","index":1,"term":1,"created_at":"t","size":1,"cluster_id":7,"keyring_term":1})",
       "\"cluster_id\" must be a string"},
      {R"({"version":1,"id":"a","index":1,"term":1,"created_at":"t","size":1,"cluster_id":"","keyring_term":4294967296})",
       "\"keyring_term\" must be a 32-bit unsigned integer"},
      {good.substr(0, good.size() - 1) + R"(,"extra":true})", "unknown field \"extra\""},
  };
  for (const Case& c : cases) {
    auto parsed = ParseMeta(c.json);
    ASSERT_FALSE(parsed.ok()) << c.json;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_NE(parsed.status().message().find(c.message_part), std::string::npos)
        << c.json << " -> " << parsed.status().message();
  }
}

TEST(MetaTest, UnknownVersionIsRefusedBeforeAnythingElse) {
  auto parsed = ParseMeta(R"({"version":2,"whatever":"new"})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status(),
            InvalidArgumentError(
                "snapshot format version 2 is not supported: this Tresor reads version 1"));
}

TEST(MetaTest, SnapshotIdIsTermIndexAndUnixMilliseconds) {
  Clock::TimePoint t{std::chrono::milliseconds(1767225600123)};
  EXPECT_EQ(NewSnapshotId(3, 42, t), "3-42-1767225600123");
}

}  // namespace
}  // namespace tresor::snapshot
