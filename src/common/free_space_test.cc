#include "common/free_space.h"

#include <gtest/gtest.h>
#include <sys/statvfs.h>

#include "common/temp_dir_for_test.h"

namespace tresor {
namespace {

TEST(FreeSpaceTest, FreeBytesAreWhatStatvfsGivesAnUnprivilegedWriter) {
  TempDirForTest dir;
  std::optional<std::uint64_t> free = FreeBytesUnder(dir.path());
  ASSERT_TRUE(free.has_value());
  struct statvfs fs {};
  ASSERT_EQ(::statvfs(dir.path().c_str(), &fs), 0);
  // The same filesystem, read a moment apart: within a few MiB.
  const auto expected = static_cast<double>(fs.f_bavail) * fs.f_frsize;
  EXPECT_NEAR(static_cast<double>(*free), expected, 8.0 * 1024 * 1024);
  EXPECT_EQ(DiskFullUnder(dir.path()), *free < kDiskFullBelowBytes);
}

TEST(FreeSpaceTest, AMissingPathCannotBeToldAndIsNotFull) {
  TempDirForTest dir;
  const std::string missing = dir.path() + "/no/such/dir";
  EXPECT_FALSE(FreeBytesUnder(missing).has_value());
  EXPECT_FALSE(DiskFullUnder(missing));
}

}  // namespace
}  // namespace tresor
