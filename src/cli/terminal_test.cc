#include "cli/terminal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

namespace tresor::cli {
namespace {

// A pipe with `input` written and the write end closed: what a shell gives
// `echo KEY | tresor operator unseal`.
class Pipe {
 public:
  explicit Pipe(const std::string& input) {
    EXPECT_EQ(pipe(fds_), 0);
    EXPECT_EQ(write(fds_[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
    close(fds_[1]);
  }
  ~Pipe() { close(fds_[0]); }
  int read_fd() const { return fds_[0]; }

 private:
  int fds_[2] = {-1, -1};
};

TEST(TerminalTest, ReadsOneTrimmedLineFromAPipeWithoutPrompting) {
  Pipe pipe("  c2VjcmV0LWtleQ==\t\r\nsecond line\n");
  std::ostringstream prompt;
  auto line = ReadSecretLine(pipe.read_fd(), "Unseal Key (will be hidden): ", prompt);
  ASSERT_TRUE(line.ok()) << line.status().ToString();
  EXPECT_EQ(*line, "c2VjcmV0LWtleQ==");
  EXPECT_EQ(prompt.str(), "");  // not a terminal: no prompt
  // Only one line was consumed.
  auto second = ReadSecretLine(pipe.read_fd(), "", prompt);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, "second line");
}

TEST(TerminalTest, LineWithoutNewlineAndEmptyInput) {
  {
    Pipe pipe("abcdef");
    std::ostringstream prompt;
    EXPECT_EQ(*ReadSecretLine(pipe.read_fd(), "", prompt), "abcdef");
  }
  {
    Pipe pipe("");
    std::ostringstream prompt;
    auto line = ReadSecretLine(pipe.read_fd(), "", prompt);
    ASSERT_TRUE(line.ok());
    EXPECT_EQ(*line, "");
  }
}

TEST(TerminalTest, LongLineGrowsTheBuffer) {
  std::string key(5000, 'k');
  Pipe pipe(key + "\n");
  std::ostringstream prompt;
  EXPECT_EQ(*ReadSecretLine(pipe.read_fd(), "", prompt), key);
}

TEST(TerminalTest, BadDescriptorIsAnError) {
  std::ostringstream prompt;
  auto line = ReadSecretLine(-1, "", prompt);
  ASSERT_FALSE(line.ok());
  EXPECT_EQ(line.status().code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace tresor::cli
