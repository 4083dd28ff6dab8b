#include "cli/token_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/environment.h"
#include "common/temp_dir_for_test.h"

namespace tresor::cli {
namespace {

class TokenFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* home = getenv("HOME")) saved_home_ = home;
    setenv("HOME", home_.c_str(), 1);
  }
  void TearDown() override {
    if (saved_home_.empty()) {
      unsetenv("HOME");
    } else {
      setenv("HOME", saved_home_.c_str(), 1);
    }
  }
  std::string Contents() {
    std::ifstream in(home_ + "/.tresor-token");
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  mode_t Mode() {
    struct stat info;
    EXPECT_EQ(stat((home_ + "/.tresor-token").c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  TempDirForTest home_dir_;
  const std::string& home_ = home_dir_.path();
  std::string saved_home_;
};

TEST_F(TokenFileTest, WritesMode0600EvenWithPermissiveUmask) {
  mode_t old = umask(0);
  Status written = WriteTokenFile("hvs.first");
  umask(old);
  ASSERT_TRUE(written.ok()) << written.message();
  EXPECT_EQ(Contents(), "hvs.first");
  EXPECT_EQ(Mode(), 0600u);
  EXPECT_EQ(*ReadTokenFile(), "hvs.first");  // what every later command reads
}

TEST_F(TokenFileTest, OverwritesAtomicallyAndTightensMode) {
  std::ofstream(home_ + "/.tresor-token") << "old-token-that-is-longer";
  std::filesystem::permissions(home_ + "/.tresor-token", std::filesystem::perms(0644));
  ASSERT_TRUE(WriteTokenFile("new").ok());
  EXPECT_EQ(Contents(), "new");
  EXPECT_EQ(Mode(), 0600u);  // the old file was replaced, not rewritten in place
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(home_)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1u);
}

TEST_F(TokenFileTest, HomeUnsetIsAClearError) {
  unsetenv("HOME");
  Status written = WriteTokenFile("t");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(written.message().find("HOME is not set"), std::string::npos);
}

TEST_F(TokenFileTest, UnwritableDirectoryFailsWithoutTouchingTheOldFile) {
  std::string missing = home_ + "/does-not-exist";
  setenv("HOME", missing.c_str(), 1);
  Status written = WriteTokenFile("t");
  ASSERT_FALSE(written.ok());
  EXPECT_EQ(written.code(), StatusCode::kIOError);
}

}  // namespace
}  // namespace tresor::cli
