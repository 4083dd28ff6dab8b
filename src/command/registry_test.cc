#include "command/registry.h"

#include <gtest/gtest.h>

#include <sstream>

namespace tresor::command {
namespace {

// Needs one argument; -name=<string> and -loud.
class EchoCommandForTest final : public Command {
 public:
  std::string Help() const override { return "Usage: tresor echo [options] WORD\n\n  Echoes."; }
  void DefineFlags(FlagSet& flags) override {
    flags.String("name", &name_, "you", "Who to greet.");
    flags.Bool("loud", &loud_, false, "Shout.");
  }
  int Execute(const FlagSet& flags, CommandIo& io) override {
    if (flags.Args().size() != 1) return UsageError(flags, io, "WORD is required");
    io.out << flags.Args()[0] << (loud_ ? "!" : "") << " " << name_ << "\n";
    return kExitOk;
  }

 private:
  std::string name_;
  bool loud_ = false;
};

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() {
    registry_.RegisterGroup("tools", "Some tools");
    registry_.Register("tools echo", "Echoes a word",
                       [] { return std::make_unique<EchoCommandForTest>(); });
  }
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    CommandIo io{out_, err_, -1};
    return registry_.Dispatch(args, io);
  }

  CommandRegistry registry_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(RegistryTest, RunsTheLongestMatchWithItsFlags) {
  EXPECT_EQ(Run({"tools", "echo", "--name=me", "-loud", "hi"}), kExitOk);
  EXPECT_EQ(out_.str(), "hi! me\n");
}

TEST_F(RegistryTest, HelpIsTheCommandsTextAndItsFlags) {
  EXPECT_EQ(Run({"tools", "echo", "-h"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "Usage: tresor echo [options] WORD\n\n  Echoes.\n\nOptions:\n\n"
            "  -loud\n      Shout.\n\n"
            "  -name=<string>\n      Who to greet. The default is you.\n\n");
  EXPECT_EQ(Run({"tools", "-h"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "Usage: tresor tools <subcommand> [options] [args]\n\nSubcommands:\n"
            "    echo    Echoes a word\n");
}

TEST_F(RegistryTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"tools", "echo", "-nope"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "flag provided but not defined: -nope\nRun \"tresor tools echo -help\" for usage.\n");
  // A usage error the command finds: the reason, then its whole help.
  EXPECT_EQ(Run({"tools", "echo"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "WORD is required\n\nUsage: tresor echo [options] WORD\n\n  Echoes.\n\n"
            "Options:\n\n  -loud\n      Shout.\n\n"
            "  -name=<string>\n      Who to greet. The default is you.\n\n");
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(Run({"nothing"}), kExitUnknownCommand);
}

}  // namespace
}  // namespace tresor::command
