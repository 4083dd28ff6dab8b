#include "command/flags.h"

#include <gtest/gtest.h>

namespace tresor::command {
namespace {

struct Bound {
  std::string address;
  int64_t shares = 0;
  bool reset = false;
  std::string ttl;
};

void Define(FlagSet& flags, Bound& b) {
  flags.String("address", &b.address, "https://127.0.0.1:8200", "Server address.");
  flags.Int("key-shares", &b.shares, 5, "Shares.");
  flags.Bool("reset", &b.reset, false, "Reset.");
  flags.Duration("ttl", &b.ttl, "", "TTL.");
}

TEST(FlagsTest, DefaultsApplyBeforeParse) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({}).ok());
  EXPECT_EQ(b.address, "https://127.0.0.1:8200");
  EXPECT_EQ(b.shares, 5);
  EXPECT_FALSE(b.reset);
  EXPECT_FALSE(flags.IsSet("address"));
}

TEST(FlagsTest, AllValueForms) {
  for (const auto& args : std::vector<std::vector<std::string>>{{"-address=http://x:1"},
                                                                {"--address=http://x:1"},
                                                                {"-address", "http://x:1"},
                                                                {"--address", "http://x:1"}}) {
    FlagSet flags("test");
    Bound b;
    Define(flags, b);
    ASSERT_TRUE(flags.Parse(args).ok()) << args[0];
    EXPECT_EQ(b.address, "http://x:1") << args[0];
    EXPECT_TRUE(flags.IsSet("address"));
    EXPECT_TRUE(flags.Args().empty());
  }
}

TEST(FlagsTest, ValueMayContainEqualsAndBeEmpty) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-address=a=b"}).ok());
  EXPECT_EQ(b.address, "a=b");
  FlagSet flags2("test");
  Define(flags2, b);
  ASSERT_TRUE(flags2.Parse({"-address="}).ok());
  EXPECT_EQ(b.address, "");
  EXPECT_TRUE(flags2.IsSet("address"));
}

TEST(FlagsTest, BoolForms) {
  struct Case {
    std::vector<std::string> args;
    bool want;
    std::vector<std::string> positional;
  };
  const Case cases[] = {
      {{"-reset"}, true, {}},
      {{"--reset"}, true, {}},
      {{"-reset=true"}, true, {}},
      {{"-reset=false"}, false, {}},
      {{"-reset=1"}, true, {}},
      {{"-reset=0"}, false, {}},
      {{"-reset=F"}, false, {}},
      {{"-reset=TRUE"}, true, {}},
      // Go: a bool never consumes the next argument.
      {{"-reset", "false"}, true, {"false"}},
  };
  for (const Case& c : cases) {
    FlagSet flags("test");
    Bound b;
    Define(flags, b);
    ASSERT_TRUE(flags.Parse(c.args).ok()) << c.args[0];
    EXPECT_EQ(b.reset, c.want) << c.args[0];
    EXPECT_EQ(flags.Args(), c.positional) << c.args[0];
  }
}

TEST(FlagsTest, InvalidBool) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  Status s = flags.Parse({"-reset=yes"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "invalid boolean value \"yes\" for -reset: parse error");
}

TEST(FlagsTest, IntValues) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-key-shares", "-3"}).ok());
  EXPECT_EQ(b.shares, -3);
  for (const char* bad : {"abc", "3x", "", "1.5", "99999999999999999999"}) {
    FlagSet f("test");
    Define(f, b);
    Status s = f.Parse({std::string("-key-shares=") + bad});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("invalid value \"" + std::string(bad) + "\" for flag -key-shares"),
              std::string::npos)
        << s.message();
  }
}

TEST(FlagsTest, DurationValidated) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-ttl=1h30m"}).ok());
  EXPECT_EQ(b.ttl, "1h30m");
  FlagSet bad("test");
  Define(bad, b);
  Status s = bad.Parse({"-ttl=soon"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("-ttl"), std::string::npos);
}

TEST(FlagsTest, UnknownFlagNamesIt) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  Status s = flags.Parse({"-nope=1"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "flag provided but not defined: -nope");
}

TEST(FlagsTest, MissingValue) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  Status s = flags.Parse({"-address"});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "flag needs an argument: -address");
}

TEST(FlagsTest, BadSyntax) {
  for (const char* arg : {"---address", "-=x"}) {
    FlagSet flags("test");
    Bound b;
    Define(flags, b);
    Status s = flags.Parse({arg});
    ASSERT_FALSE(s.ok()) << arg;
    EXPECT_EQ(s.message(), std::string("bad flag syntax: ") + arg);
  }
}

TEST(FlagsTest, StopsAtFirstPositional) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-reset", "KEY", "-key-shares=9", "-other=secret"}).ok());
  EXPECT_TRUE(b.reset);
  EXPECT_EQ(b.shares, 5);  // not parsed: after a positional
  EXPECT_EQ(flags.Args(), (std::vector<std::string>{"KEY", "-key-shares=9", "-other=secret"}));
  // The warning list names the flags but never their values.
  EXPECT_EQ(flags.FlagsAfterArgs(), (std::vector<std::string>{"-key-shares", "-other"}));
}

TEST(FlagsTest, DoubleDashEndsFlags) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-key-shares=2", "--", "-reset"}).ok());
  EXPECT_EQ(b.shares, 2);
  EXPECT_FALSE(b.reset);
  EXPECT_EQ(flags.Args(), (std::vector<std::string>{"-reset"}));
}

TEST(FlagsTest, LoneDashIsPositional) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  ASSERT_TRUE(flags.Parse({"-", "-reset"}).ok());
  EXPECT_FALSE(b.reset);
  EXPECT_EQ(flags.Args(), (std::vector<std::string>{"-", "-reset"}));
}

TEST(FlagsTest, HelpForms) {
  for (const char* arg : {"-h", "-help", "--h", "--help"}) {
    FlagSet flags("test");
    Bound b;
    Define(flags, b);
    ASSERT_TRUE(flags.Parse({"-reset", arg, "-nope"}).ok()) << arg;
    EXPECT_TRUE(flags.HelpRequested()) << arg;
  }
}

TEST(FlagsTest, UsageListsFlagsWithDefaults) {
  FlagSet flags("test");
  Bound b;
  Define(flags, b);
  std::string usage = flags.Usage();
  EXPECT_NE(usage.find("  -address=<string>\n      Server address. The default is "
                       "https://127.0.0.1:8200."),
            std::string::npos)
      << usage;
  EXPECT_NE(usage.find("  -key-shares=<int>"), std::string::npos);
  EXPECT_NE(usage.find("  -reset\n"), std::string::npos);
  EXPECT_LT(usage.find("-address"), usage.find("-reset"));  // sorted
}

TEST(DurationTest, GoSyntaxAndBareSeconds) {
  using std::chrono::nanoseconds;
  struct Case {
    const char* text;
    int64_t nanos;
  };
  const Case cases[] = {
      {"30", 30'000'000'000},       {"0", 0},
      {"10s", 10'000'000'000},      {"1.5h", 5'400'000'000'000},
      {"2h45m", 9'900'000'000'000}, {"300ms", 300'000'000},
      {"-1s", -1'000'000'000},      {"1us", 1'000},
      {"1\xC2\xB5s", 1'000},        {"5ns", 5},
  };
  for (const Case& c : cases) {
    auto parsed = ParseDuration(c.text);
    ASSERT_TRUE(parsed.ok()) << c.text << ": " << parsed.status().ToString();
    EXPECT_EQ(parsed->count(), c.nanos) << c.text;
  }
  for (const char* bad : {"", "s", "1x", "1.s5", "h1", ".", "1h-1m", "-"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace tresor::command

namespace tresor::command {
namespace {

TEST(FlagSetListTest, RepeatableListsSplitCommasOnlyWhenAsked) {
  FlagSet flags("test");
  std::vector<std::string> policies;
  std::vector<std::string> metadata;
  flags.StringList("policy", &policies, true, "policies");
  flags.StringList("metadata", &metadata, false, "metadata");
  ASSERT_TRUE(
      flags.Parse({"-policy=a,b", "--policy", "c", "-metadata=k=v,w", "-metadata", "x=y", "arg"})
          .ok());
  EXPECT_EQ(policies, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(metadata, (std::vector<std::string>{"k=v,w", "x=y"}));
  EXPECT_TRUE(flags.IsSet("policy"));
  EXPECT_EQ(flags.Args(), std::vector<std::string>{"arg"});
  EXPECT_NE(flags.Usage().find("  -policy=<string>\n"), std::string::npos);
  FlagSet missing("test");
  missing.StringList("policy", &policies, true, "policies");
  EXPECT_TRUE(policies.empty());  // defining resets the list
  EXPECT_FALSE(missing.Parse({"-policy"}).ok());
}

}  // namespace
}  // namespace tresor::command

namespace tresor::command {
namespace {

TEST(FlagSetInterspersedTest, FlagsMayFollowArgumentsUntilDoubleDash) {
  FlagSet flags("test");
  std::string config;
  bool force = false;
  flags.String("config", &config, "", "config");
  flags.Bool("force", &force, false, "force");
  flags.SetInterspersed(true);
  ASSERT_TRUE(flags.Parse({"save", "-config=c.hcl", "a.snap", "--force", "--", "-x"}).ok());
  EXPECT_EQ(config, "c.hcl");
  EXPECT_TRUE(force);
  EXPECT_EQ(flags.Args(), (std::vector<std::string>{"save", "a.snap", "-x"}));
  // Flags after arguments were parsed, so there is nothing to warn about;
  // what follows "--" is an argument even when it looks like a flag.
  EXPECT_TRUE(flags.FlagsAfterArgs().empty());
  EXPECT_FALSE(flags.Parse({"save", "-bogus"}).ok());
  ASSERT_TRUE(flags.Parse({"save", "-h"}).ok());
  EXPECT_TRUE(flags.HelpRequested());

  FlagSet strict("test");
  strict.String("config", &config, "", "config");
  ASSERT_TRUE(strict.Parse({"save", "-config=other"}).ok());
  EXPECT_EQ(config, "");  // not parsed: Vault's commands stop at the first argument
  EXPECT_EQ(strict.Args(), (std::vector<std::string>{"save", "-config=other"}));
}

}  // namespace
}  // namespace tresor::command
