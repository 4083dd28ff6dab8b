#include "loadgen/workload.h"

#include <gtest/gtest.h>

#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "loadgen/connection.h"

namespace tresor::bench {
namespace {

namespace http = boost::beast::http;
using nlohmann::json;

std::string Base64Decode(const std::string& encoded) {
  namespace base64 = boost::beast::detail::base64;
  std::string out(base64::decoded_size(encoded.size()), '\0');
  auto [written, read] = base64::decode(out.data(), encoded.data(), encoded.size());
  // Beast's decoder stops at the padding; everything before it must decode.
  size_t padding = encoded.size() - encoded.find_last_not_of('=') - 1;
  if (encoded.empty()) padding = 0;
  EXPECT_LE(padding, 2u);
  EXPECT_EQ(encoded.size() % 4, 0u) << "unpadded base64";
  EXPECT_EQ(read + padding, encoded.size()) << "not all of the input was base64";
  out.resize(written);
  return out;
}

Options MakeOptions(Protocol protocol, WorkloadKind workload) {
  Options options;
  options.protocol = protocol;
  options.workload = workload;
  options.mount = "kv";
  options.key_prefix = "p";
  options.value_size = 10;
  options.hot_keys = 5;
  return options;
}

RequestSpec Request(Workload& workload, int connection, int64_t sequence) {
  RequestSpec spec;
  workload.Next(connection, sequence, &spec);
  return spec;
}

TEST(Base64Test, EncodesStandardAlphabetWithPadding) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("bench/hot-7"), "YmVuY2gvaG90LTc=");
  std::string binary("\xff\xfe\x00\x01", 4);
  EXPECT_EQ(Base64Decode(Base64Encode(binary)), binary);
}

TEST(ValueTest, PrintableOfTheRequestedSizeAndStable) {
  std::string value = MakeValue(100);
  EXPECT_EQ(value.size(), 100u);
  EXPECT_TRUE(std::all_of(value.begin(), value.end(), [](char c) { return std::isalnum(c); }));
  EXPECT_EQ(value, MakeValue(100));
  EXPECT_GT(std::set<char>(value.begin(), value.end()).size(), 10u);
  EXPECT_EQ(MakeValue(0), "");
}

TEST(WorkloadTest, VaultKv2Write) {
  auto workload = MakeWorkload(MakeOptions(Protocol::kVault, WorkloadKind::kKv2Write));
  RequestSpec spec = Request(*workload, 3, 41);
  EXPECT_EQ(spec.method, http::verb::post);
  EXPECT_EQ(spec.target, "/v1/kv/data/p/3-41");
  EXPECT_EQ(json::parse(spec.body), (json{{"data", {{"v", MakeValue(10)}}}}));
}

TEST(WorkloadTest, EtcdKv2Write) {
  auto workload = MakeWorkload(MakeOptions(Protocol::kEtcd, WorkloadKind::kKv2Write));
  RequestSpec spec = Request(*workload, 3, 41);
  EXPECT_EQ(spec.method, http::verb::post);
  EXPECT_EQ(spec.target, "/v3/kv/put");
  json body = json::parse(spec.body);
  ASSERT_EQ(body.size(), 2u);
  EXPECT_EQ(Base64Decode(body.at("key")), "p/3-41");
  EXPECT_EQ(Base64Decode(body.at("value")), MakeValue(10));
}

TEST(WorkloadTest, VaultKv2ReadReadsOnlyTheHotSet) {
  auto workload = MakeWorkload(MakeOptions(Protocol::kVault, WorkloadKind::kKv2Read));
  std::set<std::string> targets;
  for (int64_t k = 0; k < 200; ++k) {
    RequestSpec spec = Request(*workload, static_cast<int>(k % 3), k);
    EXPECT_EQ(spec.method, http::verb::get);
    EXPECT_TRUE(spec.body.empty());
    targets.insert(spec.target);
  }
  // Uniform over 5 keys: 200 draws hit all of them.
  EXPECT_EQ(targets, (std::set<std::string>{"/v1/kv/data/p/hot-0", "/v1/kv/data/p/hot-1",
                                            "/v1/kv/data/p/hot-2", "/v1/kv/data/p/hot-3",
                                            "/v1/kv/data/p/hot-4"}));
}

TEST(WorkloadTest, EtcdKv2ReadIsARangeOfAHotKey) {
  auto workload = MakeWorkload(MakeOptions(Protocol::kEtcd, WorkloadKind::kKv2Read));
  std::set<std::string> keys;
  for (int64_t k = 0; k < 200; ++k) {
    RequestSpec spec = Request(*workload, 0, k);
    EXPECT_EQ(spec.method, http::verb::post);
    EXPECT_EQ(spec.target, "/v3/kv/range");
    json body = json::parse(spec.body);
    ASSERT_EQ(body.size(), 1u);
    keys.insert(Base64Decode(body.at("key")));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"p/hot-0", "p/hot-1", "p/hot-2", "p/hot-3", "p/hot-4"}));
}

TEST(WorkloadTest, HotSetFillWritesEachKeyOnceWithTheProtocolsWrite) {
  for (Protocol protocol : {Protocol::kVault, Protocol::kEtcd}) {
    auto fill = MakeHotSetFillWorkload(MakeOptions(protocol, WorkloadKind::kMixed));
    std::set<std::string> keys;
    for (int i = 0; i < 5; ++i) {
      // Connection and sequence do not matter: a shared counter does.
      RequestSpec spec = Request(*fill, i % 2, 0);
      EXPECT_EQ(spec.method, http::verb::post);
      if (protocol == Protocol::kVault) {
        keys.insert(spec.target);
        EXPECT_EQ(json::parse(spec.body), (json{{"data", {{"v", MakeValue(10)}}}}));
      } else {
        EXPECT_EQ(spec.target, "/v3/kv/put");
        json body = json::parse(spec.body);
        keys.insert(Base64Decode(body.at("key")));
        EXPECT_EQ(Base64Decode(body.at("value")), MakeValue(10));
      }
    }
    std::set<std::string> expected;
    for (int i = 0; i < 5; ++i) {
      expected.insert(protocol == Protocol::kVault ? "/v1/kv/data/p/hot-" + std::to_string(i)
                                                   : "p/hot-" + std::to_string(i));
    }
    EXPECT_EQ(keys, expected);
  }
}

// Classifies a mixed request: true for a hot-set read, false for a unique
// write (checking the write's key on the way).
bool IsRead(Protocol protocol, const RequestSpec& spec, int connection, int64_t sequence) {
  std::string unique = "p/" + std::to_string(connection) + "-" + std::to_string(sequence);
  if (protocol == Protocol::kVault) {
    if (spec.method == http::verb::get) {
      EXPECT_EQ(spec.target.rfind("/v1/kv/data/p/hot-", 0), 0u) << spec.target;
      return true;
    }
    EXPECT_EQ(spec.target, "/v1/kv/data/" + unique);
    return false;
  }
  json body = json::parse(spec.body);
  std::string key = Base64Decode(body.at("key"));
  if (spec.target == "/v3/kv/range") {
    EXPECT_EQ(key.rfind("p/hot-", 0), 0u) << key;
    return true;
  }
  EXPECT_EQ(spec.target, "/v3/kv/put");
  EXPECT_EQ(key, unique);
  return false;
}

TEST(WorkloadTest, MixedReadShareFollowsReadPercent) {
  for (Protocol protocol : {Protocol::kVault, Protocol::kEtcd}) {
    for (int percent : {0, 30, 90, 100}) {
      Options options = MakeOptions(protocol, WorkloadKind::kMixed);
      options.read_percent = percent;
      auto workload = MakeWorkload(options);
      int reads = 0;
      constexpr int kRequests = 10'000;
      for (int i = 0; i < kRequests; ++i) {
        int connection = i % 8;
        int64_t sequence = i / 8;
        if (IsRead(protocol, Request(*workload, connection, sequence), connection, sequence)) {
          ++reads;
        }
      }
      // Binomial: 3 standard deviations at p = 0.5 is 150 of 10,000.
      EXPECT_NEAR(reads, kRequests * percent / 100, 200)
          << ProtocolName(protocol) << " at " << percent << "%";
    }
  }
}

TEST(WorkloadTest, MixedIsDeterministic) {
  Options options = MakeOptions(Protocol::kVault, WorkloadKind::kMixed);
  auto first = MakeWorkload(options);
  auto second = MakeWorkload(options);
  for (int64_t k = 0; k < 1000; ++k) {
    RequestSpec a = Request(*first, 2, k);
    RequestSpec b = Request(*second, 2, k);
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.body, b.body);
  }
  // And the same request asked twice of one workload is the same.
  EXPECT_EQ(Request(*first, 5, 77).target, Request(*first, 5, 77).target);
}

TEST(WorkloadTest, TokenCreate) {
  auto workload = MakeWorkload(MakeOptions(Protocol::kVault, WorkloadKind::kTokenCreate));
  for (int64_t k = 0; k < 3; ++k) {
    RequestSpec spec = Request(*workload, 1, k);
    EXPECT_EQ(spec.method, http::verb::post);
    EXPECT_EQ(spec.target, "/v1/auth/token/create");
    EXPECT_EQ(json::parse(spec.body), (json{{"policies", {"default"}}, {"ttl", "1h"}}));
  }
}

TEST(WorkloadTest, StaticGetsThePath) {
  Options options = MakeOptions(Protocol::kStatic, WorkloadKind::kStatic);
  options.path = "/ceiling.txt";
  auto workload = MakeWorkload(options);
  RequestSpec spec = Request(*workload, 0, 9);
  EXPECT_EQ(spec.method, http::verb::get);
  EXPECT_EQ(spec.target, "/ceiling.txt");
  EXPECT_TRUE(spec.body.empty());
}

TEST(WorkloadTest, NeedsHotSetOnlyForReadingWorkloads) {
  EXPECT_TRUE(NeedsHotSet(WorkloadKind::kKv2Read));
  EXPECT_TRUE(NeedsHotSet(WorkloadKind::kMixed));
  EXPECT_FALSE(NeedsHotSet(WorkloadKind::kKv2Write));
  EXPECT_FALSE(NeedsHotSet(WorkloadKind::kTokenCreate));
  EXPECT_FALSE(NeedsHotSet(WorkloadKind::kStatic));
}

TEST(BuildHttpRequestTest, BodyGetsJsonContentTypeAndTokenIsOptional) {
  RequestSpec write{http::verb::post, "/v3/kv/put", "{\"key\":\"a\"}"};
  HttpRequest request;
  BuildHttpRequest(write, "127.0.0.1:2379", "", &request);
  EXPECT_EQ(request.method(), http::verb::post);
  EXPECT_EQ(request.target(), "/v3/kv/put");
  EXPECT_EQ(request[http::field::host], "127.0.0.1:2379");
  EXPECT_EQ(request[http::field::content_type], "application/json");
  EXPECT_EQ(request[http::field::content_length], "11");
  EXPECT_EQ(request.body(), "{\"key\":\"a\"}");
  EXPECT_EQ(request.count("X-Vault-Token"), 0u);
  EXPECT_TRUE(request.keep_alive());

  RequestSpec read{http::verb::get, "/v1/kv/data/p/hot-1", ""};
  BuildHttpRequest(read, "127.0.0.1:8200", "s.tok", &request);
  EXPECT_EQ(request["X-Vault-Token"], "s.tok");
  EXPECT_EQ(request.count(http::field::content_type), 0u);
  EXPECT_TRUE(request.body().empty());
}

}  // namespace
}  // namespace tresor::bench
