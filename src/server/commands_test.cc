// The server's commands in the registry: listed in help, parsed by
// command::FlagSet (so -flag=v, --flag=v, -h and usage errors behave as in
// every other command).
#include "server/commands.h"

#include <gtest/gtest.h>

#include "server/command_runner_for_test.h"

namespace tresor::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ServerCommandsTest, HelpListsEveryServerCommand) {
  CommandRunForTest top = RunCommandForTest({"-h"});
  EXPECT_EQ(top.code, 0);
  EXPECT_THAT(top.out, HasSubstr("    server      Start a Tresor server\n"));
  EXPECT_THAT(top.out, HasSubstr("    operator    Perform operator-specific tasks\n"));

  CommandRunForTest op = RunCommandForTest({"operator", "-h"});
  EXPECT_EQ(op.code, 0);
  EXPECT_THAT(op.out, HasSubstr("    backup "));
  EXPECT_THAT(op.out, HasSubstr("    migrate "));
  EXPECT_THAT(op.out, HasSubstr("    raft "));

  CommandRunForTest raft = RunCommandForTest({"operator", "raft", "-h"});
  EXPECT_THAT(raft.out, HasSubstr("    recover "));
  CommandRunForTest snapshot = RunCommandForTest({"operator", "raft", "snapshot", "--help"});
  EXPECT_THAT(snapshot.out, HasSubstr("    verify "));
}

TEST(ServerCommandsTest, EachCommandsHelpHasItsUsageAndFlags) {
  struct Case {
    std::vector<std::string> words;
    std::string usage;
    std::vector<std::string> flags;
  } cases[] = {
      {{"server"}, "Usage: tresor server [options]", {"-config=<string>", "-dev\n", "-log-level"}},
      {{"operator", "raft", "recover"},
       "Usage: tresor operator raft recover -config=FILE",
       {"-config=<string>", "-peer=<string>"}},
      {{"operator", "raft", "snapshot", "verify"},
       "Usage: tresor operator raft snapshot verify FILE",
       {"-unseal-key=<string>", "-key-file=<string>", "-format=<string>"}},
      {{"operator", "backup"},
       "Usage: tresor operator backup save -config=FILE",
       {"-config=<string>", "-unseal-key=<string>", "-key-file=<string>", "-force\n"}},
      {{"operator", "migrate"},
       "Usage: tresor operator migrate -config=MIGRATE.hcl",
       {"-config=<string>", "-start=<string>"}},
  };
  for (const Case& c : cases) {
    for (const char* help : {"-h", "-help", "--help"}) {
      std::vector<std::string> args = c.words;
      args.push_back(help);
      CommandRunForTest run = RunCommandForTest(args);
      EXPECT_EQ(run.code, 0) << c.usage;
      EXPECT_TRUE(run.out.starts_with(c.usage)) << run.out;
      EXPECT_THAT(run.out, HasSubstr("\nOptions:\n"));
      for (const std::string& flag : c.flags) EXPECT_THAT(run.out, HasSubstr("  " + flag));
      EXPECT_EQ(run.err, "");
    }
  }
}

TEST(ServerCommandsTest, BadFlagsAreUsageErrorsThatSayWhatIsWrong) {
  for (std::vector<std::string> words :
       std::vector<std::vector<std::string>>{{"server"},
                                             {"operator", "raft", "recover"},
                                             {"operator", "raft", "snapshot", "verify"},
                                             {"operator", "backup"},
                                             {"operator", "migrate"}}) {
    std::string name;
    for (const std::string& word : words) name += (name.empty() ? "" : " ") + word;
    words.push_back("-bogus=1");
    CommandRunForTest run = RunCommandForTest(words);
    EXPECT_EQ(run.code, 2) << name;
    EXPECT_EQ(run.err, "flag provided but not defined: -bogus\nRun \"tresor " + name +
                           " -help\" for usage.\n");
    EXPECT_EQ(run.out, "");
  }
  // A flag that needs a value, and a bool given a non-bool.
  CommandRunForTest no_value = RunCommandForTest({"operator", "migrate", "-config"});
  EXPECT_EQ(no_value.code, 2);
  EXPECT_THAT(no_value.err, HasSubstr("flag needs an argument: -config"));
  CommandRunForTest not_bool = RunCommandForTest({"server", "-dev=maybe"});
  EXPECT_EQ(not_bool.code, 2);
  EXPECT_THAT(not_bool.err, HasSubstr("invalid boolean value \"maybe\" for -dev"));
}

TEST(ServerCommandsTest, MissingArgumentsPrintTheMessageAndTheHelp) {
  CommandRunForTest recover = RunCommandForTest({"operator", "raft", "recover"});
  EXPECT_EQ(recover.code, 2);
  EXPECT_TRUE(
      recover.err.starts_with("-config=FILE is required\n\nUsage: tresor operator raft "
                              "recover"))
      << recover.err;
  CommandRunForTest peer =
      RunCommandForTest({"operator", "raft", "recover", "--config=x.hcl", "-peer", "n2"});
  EXPECT_EQ(peer.code, 2);
  EXPECT_THAT(peer.err, HasSubstr("-peer wants NODE_ID=HOST:PORT, got \"n2\""));
  CommandRunForTest twice =
      RunCommandForTest({"operator", "raft", "recover", "-config=x", "-peer=a=h:1", "-peer=a=h:2"});
  EXPECT_EQ(twice.code, 2);
  EXPECT_THAT(twice.err, HasSubstr("-peer a is given twice"));

  CommandRunForTest server = RunCommandForTest({"server"});
  EXPECT_EQ(server.code, 2);
  EXPECT_TRUE(
      server.err.starts_with("No configuration files found. Use -config=FILE, or -dev.\n\n"
                             "Usage: tresor server"))
      << server.err;
  CommandRunForTest extra = RunCommandForTest({"server", "-dev", "now"});
  EXPECT_EQ(extra.code, 2);
  EXPECT_THAT(extra.err, HasSubstr("unexpected argument \"now\""));

  CommandRunForTest migrate = RunCommandForTest({"operator", "migrate"});
  EXPECT_EQ(migrate.code, 2);
  EXPECT_THAT(migrate.err, HasSubstr("-config=FILE is required"));
  EXPECT_EQ(RunCommandForTest({"operator", "migrate", "-config=m.hcl", "extra"}).code, 2);

  CommandRunForTest backup = RunCommandForTest({"operator", "backup", "copy"});
  EXPECT_EQ(backup.code, 2);
  EXPECT_THAT(backup.err, HasSubstr("unknown backup command \"copy\"; use save or restore"));
  EXPECT_THAT(RunCommandForTest({"operator", "backup"}).err, HasSubstr("say save or restore"));

  CommandRunForTest verify = RunCommandForTest({"operator", "raft", "snapshot", "verify"});
  EXPECT_EQ(verify.code, 2);
  EXPECT_THAT(verify.err, HasSubstr("the snapshot FILE is required"));
  EXPECT_THAT(verify.err, HasSubstr("Usage"));
  EXPECT_THAT(verify.out, Not(HasSubstr("Usage")));
}

TEST(ServerCommandsTest, OfflineCommandsTakeFlagsAfterTheirArguments) {
  // Flags may follow FILE / the action, as the offline commands always
  // allowed; the key file is read, so a missing one is the error.
  CommandRunForTest verify = RunCommandForTest(
      {"operator", "raft", "snapshot", "verify", "/nonexistent.snap", "--key-file=/nonexistent"});
  EXPECT_EQ(verify.code, 2);
  EXPECT_THAT(verify.err, HasSubstr("cannot open the key file /nonexistent"));
  CommandRunForTest backup = RunCommandForTest(
      {"operator", "backup", "restore", "/nonexistent.snap", "-force", "-config=/nonexistent.hcl"});
  EXPECT_EQ(backup.code, 1);
  EXPECT_THAT(backup.err, HasSubstr("Error: loading configuration"));
}

}  // namespace
}  // namespace tresor::server
