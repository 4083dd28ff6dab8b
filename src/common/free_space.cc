#include "common/free_space.h"

#include <sys/statvfs.h>

namespace tresor {

std::optional<std::uint64_t> FreeBytesUnder(const std::string& path) {
  struct statvfs fs {};
  if (::statvfs(path.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

bool DiskFullUnder(const std::string& path) {
  std::optional<std::uint64_t> free = FreeBytesUnder(path);
  return free && *free < kDiskFullBelowBytes;
}

}  // namespace tresor
