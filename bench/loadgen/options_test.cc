#include "loadgen/options.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace tresor::bench {
namespace {

class OptionsTest : public ::testing::Test {
 protected:
  // $TRESOR_TOKEN is read as the default token; the tests must not depend
  // on the environment they run in.
  void SetUp() override { unsetenv("TRESOR_TOKEN"); }

  std::optional<Options> Parse(std::vector<std::string> args) {
    error_.clear();
    return ParseOptions(args, &error_);
  }

  // Parses args expecting failure; returns the error text.
  std::string Fail(std::vector<std::string> args) {
    std::optional<Options> options = Parse(std::move(args));
    EXPECT_FALSE(options.has_value());
    return error_;
  }

  std::string error_;
};

TEST_F(OptionsTest, DefaultsMatchTheAgreedCommandLine) {
  auto options = Parse({});
  ASSERT_TRUE(options) << error_;
  EXPECT_EQ(options->host, "127.0.0.1");
  EXPECT_EQ(options->port, "8200");
  EXPECT_EQ(options->protocol, Protocol::kVault);
  EXPECT_EQ(options->workload, WorkloadKind::kKv2Write);
  EXPECT_EQ(options->value_size, 100);
  EXPECT_EQ(options->connections, 1);
  EXPECT_EQ(options->threads, 0);
  EXPECT_FALSE(options->rate.has_value());
  EXPECT_FALSE(options->total_requests.has_value());
  EXPECT_EQ(options->mount, "secret");
  EXPECT_EQ(options->key_prefix, "bench");
  EXPECT_EQ(options->hot_keys, 1000);
  EXPECT_EQ(options->read_percent, 90);
  EXPECT_EQ(options->path, "/");
  EXPECT_TRUE(options->token.empty());
  EXPECT_FALSE(options->json);
}

TEST_F(OptionsTest, ParsesEveryFlag) {
  auto options = Parse({"--addr",
                        "http://localhost:2379/",
                        "--protocol=etcd",
                        "--workload",
                        "mixed",
                        "--value-size",
                        "1024",
                        "--connections",
                        "16",
                        "--threads",
                        "2",
                        "--requests",
                        "5000",
                        "--rate",
                        "250.5",
                        "--token",
                        "t0k",
                        "--mount",
                        "kv",
                        "--key-prefix",
                        "run1",
                        "--hot-keys",
                        "50",
                        "--read-percent",
                        "75",
                        "--json"});
  ASSERT_TRUE(options) << error_;
  EXPECT_EQ(options->host, "localhost");
  EXPECT_EQ(options->port, "2379");
  EXPECT_EQ(options->protocol, Protocol::kEtcd);
  EXPECT_EQ(options->workload, WorkloadKind::kMixed);
  EXPECT_EQ(options->value_size, 1024);
  EXPECT_EQ(options->connections, 16);
  EXPECT_EQ(options->threads, 2);
  EXPECT_EQ(options->total_requests, 5000);
  EXPECT_EQ(options->rate, 250.5);
  EXPECT_EQ(options->token, "t0k");
  EXPECT_EQ(options->mount, "kv");
  EXPECT_EQ(options->key_prefix, "run1");
  EXPECT_EQ(options->hot_keys, 50);
  EXPECT_EQ(options->read_percent, 75);
  EXPECT_TRUE(options->json);

  auto timed = Parse({"--duration", "2.5", "--workload", "token-create"});
  ASSERT_TRUE(timed) << error_;
  EXPECT_DOUBLE_EQ(timed->duration_seconds, 2.5);
  EXPECT_EQ(timed->workload, WorkloadKind::kTokenCreate);

  auto read = Parse({"--workload=kv2-read"});
  ASSERT_TRUE(read) << error_;
  EXPECT_EQ(read->workload, WorkloadKind::kKv2Read);
}

TEST_F(OptionsTest, StaticProtocolImpliesStaticWorkload) {
  auto options = Parse({"--protocol", "static", "--path", "/index.html"});
  ASSERT_TRUE(options) << error_;
  EXPECT_EQ(options->workload, WorkloadKind::kStatic);
  EXPECT_EQ(options->path, "/index.html");
  auto explicit_static = Parse({"--protocol", "static", "--workload", "static"});
  ASSERT_TRUE(explicit_static) << error_;
  EXPECT_EQ(explicit_static->workload, WorkloadKind::kStatic);
}

TEST_F(OptionsTest, TokenFallsBackToEnvironment) {
  setenv("TRESOR_TOKEN", "from-env", 1);
  auto options = Parse({});
  unsetenv("TRESOR_TOKEN");
  ASSERT_TRUE(options) << error_;
  EXPECT_EQ(options->token, "from-env");
}

TEST_F(OptionsTest, RefusesBadValues) {
  EXPECT_EQ(Fail({"--connections", "0"}), "bad value for --connections");
  EXPECT_EQ(Fail({"--connections", "16x"}), "bad value for --connections");
  EXPECT_EQ(Fail({"--threads", "-1"}), "bad value for --threads");
  EXPECT_EQ(Fail({"--duration", "0"}), "bad value for --duration");
  EXPECT_EQ(Fail({"--requests", "abc"}), "bad value for --requests");
  EXPECT_EQ(Fail({"--rate", "0"}), "bad value for --rate");
  EXPECT_EQ(Fail({"--rate", "-5"}), "bad value for --rate");
  EXPECT_EQ(Fail({"--rate", "10/s"}), "bad value for --rate");
  EXPECT_EQ(Fail({"--value-size", "-1"}), "bad value for --value-size");
  EXPECT_EQ(Fail({"--mount", ""}), "bad value for --mount");
  EXPECT_EQ(Fail({"--key-prefix", "a/b"}), "bad value for --key-prefix");
  EXPECT_EQ(Fail({"--hot-keys", "0"}), "bad value for --hot-keys");
  EXPECT_EQ(Fail({"--read-percent", "101"}), "bad value for --read-percent");
  EXPECT_EQ(Fail({"--read-percent", "-1"}), "bad value for --read-percent");
  EXPECT_EQ(Fail({"--path", "index.html"}), "bad value for --path");
  EXPECT_EQ(Fail({"--protocol", "grpc"}), "--protocol must be vault, etcd or static");
  EXPECT_EQ(Fail({"--workload", "kv1"}),
            "--workload must be kv2-write, kv2-read, mixed, token-create or static");
  EXPECT_EQ(Fail({"--addr", "https://127.0.0.1:8200"}),
            "--addr must start with http:// (https is not supported)");
  EXPECT_EQ(Fail({"--addr", "http://127.0.0.1"}),
            "--addr must name a host and a port, e.g. http://127.0.0.1:8200");
  EXPECT_EQ(Fail({"--addr", "http://127.0.0.1:70000"}), "--addr has a bad port");
  EXPECT_EQ(Fail({"--bogus", "1"}), "unknown flag: --bogus");
  EXPECT_EQ(Fail({"stray"}), "unexpected argument: stray");
  EXPECT_EQ(Fail({"--connections"}), "--connections needs a value");
}

TEST_F(OptionsTest, BadTokenIsNotEchoed) {
  // No flag has a bad token value, but the rule is general: the error text
  // names the flag, never the value.
  std::string error = Fail({"--connections", "secret-value"});
  EXPECT_EQ(error.find("secret-value"), std::string::npos);
}

TEST_F(OptionsTest, RefusesIncompatibleCombinations) {
  EXPECT_EQ(Fail({"--protocol", "etcd", "--workload", "token-create"}),
            "--workload token-create needs --protocol vault");
  EXPECT_EQ(Fail({"--protocol", "static", "--workload", "token-create"}),
            "--workload static goes with --protocol static, and only with it");
  EXPECT_EQ(Fail({"--workload", "static"}),
            "--workload static goes with --protocol static, and only with it");
  EXPECT_EQ(Fail({"--protocol", "etcd", "--workload", "static"}),
            "--workload static goes with --protocol static, and only with it");
  EXPECT_EQ(Fail({"--protocol", "static", "--workload", "kv2-read"}),
            "--workload static goes with --protocol static, and only with it");
  EXPECT_EQ(Fail({"--duration", "1", "--requests", "10"}),
            "give --duration or --requests, not both");
}

TEST_F(OptionsTest, HelpReturnsNoOptionsAndNoError) {
  error_ = "stale";
  EXPECT_FALSE(Parse({"--help"}).has_value());
  EXPECT_TRUE(error_.empty());
  EXPECT_NE(UsageText().find("--rate"), std::string::npos);
}

TEST_F(OptionsTest, NamesRoundTrip) {
  EXPECT_STREQ(WorkloadName(WorkloadKind::kMixed), "mixed");
  EXPECT_STREQ(WorkloadName(WorkloadKind::kTokenCreate), "token-create");
  EXPECT_STREQ(ProtocolName(Protocol::kEtcd), "etcd");
  EXPECT_STREQ(ProtocolName(Protocol::kStatic), "static");
}

}  // namespace
}  // namespace tresor::bench
