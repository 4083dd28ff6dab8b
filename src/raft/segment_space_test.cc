// The posix_fallocate interposer (segment_space.h) on a real full
// filesystem: a 1 MiB tmpfs the test mounts (the suite runs as root, as the
// integration tests that mount one do).
#include "raft/segment_space.h"

#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <future>
#include <string>
#include <thread>

#include "common/temp_dir_for_test.h"

namespace tresor::raft {
namespace {

constexpr off_t kTestSegmentBytes = 256 * 1024;

class FullTmpfs : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=1m,mode=0700"), 0)
        << "mounting a 1 MiB tmpfs needs root: " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }

  int Create(const std::string& name) {
    int fd = ::open((dir_.path() + "/" + name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    return fd;
  }

  // Writes a ballast file until the filesystem is full.
  void Fill() {
    int fd = Create("ballast");
    const std::string chunk(4096, 'b');
    while (::write(fd, chunk.data(), chunk.size()) > 0) {
    }
    EXPECT_EQ(errno, ENOSPC);
    ::close(fd);
  }

  void Free() { ASSERT_EQ(::unlink((dir_.path() + "/ballast").c_str()), 0); }

  // posix_fallocate of a whole test segment, as libraft's worker calls it.
  static std::future<int> AllocateOnAnotherThread(int fd) {
    return std::async(std::launch::async,
                      [fd] { return ::posix_fallocate(fd, 0, kTestSegmentBytes); });
  }

  const std::uint64_t waits_before_ = SegmentSpaceWaits();
  TempDirForTest dir_;
  bool mounted_ = false;
};

template <typename Predicate>
bool SoonTrue(Predicate predicate) {
  auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!predicate() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polls a condition
  }
  return predicate();
}

TEST_F(FullTmpfs, ALibraftSegmentWaitsForSpaceAndIsAllocatedOnceItReturns) {
  int segment = Create("open-7");
  Fill();
  std::future<int> allocated = AllocateOnAnotherThread(segment);
  ASSERT_TRUE(SoonTrue([&] { return SegmentSpaceWaits() > waits_before_; }));
  // Still waiting: libraft has not been told ENOSPC.
  EXPECT_EQ(allocated.wait_for(std::chrono::milliseconds(300)), std::future_status::timeout);
  Free();
  EXPECT_EQ(allocated.get(), 0);
  struct stat st {};
  ASSERT_EQ(::fstat(segment, &st), 0);
  EXPECT_EQ(st.st_size, kTestSegmentBytes);
  ::close(segment);
}

TEST_F(FullTmpfs, AnyOtherFileGetsENOSPCAtOnce) {
  int other = Create("snapshot-1-2-3");
  Fill();
  EXPECT_EQ(::posix_fallocate(other, 0, kTestSegmentBytes), ENOSPC);
  EXPECT_EQ(SegmentSpaceWaits(), waits_before_);
  ::close(other);
}

TEST_F(FullTmpfs, AClosingNodeEndsTheWaitWithENOSPC) {
  int segment = Create("open-8");
  Fill();
  std::future<int> allocated = AllocateOnAnotherThread(segment);
  ASSERT_TRUE(SoonTrue([&] { return SegmentSpaceWaits() > waits_before_; }));
  BeginClosingSegmentWaits();
  EXPECT_EQ(allocated.get(), ENOSPC);
  EndClosingSegmentWaits();
  ::close(segment);
}

}  // namespace
}  // namespace tresor::raft
