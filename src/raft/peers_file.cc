#include "raft/peers_file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

namespace tresor::raft {
namespace {

Status Fail(const std::string& what, const std::string& path) {
  return IOError("raft: " + what + " " + path + ": " + std::strerror(errno));
}

Status SyncPath(const std::string& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Fail("opening", path);
  int rc = ::fsync(fd);
  ::close(fd);
  return rc == 0 ? Status::Ok() : Fail("syncing", path);
}

}  // namespace

Status WritePeersFile(const std::string& path, const std::vector<std::string>& addresses) {
  const std::string temporary = path + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc);
    for (const std::string& address : addresses) out << address << '\n';
    out.close();
    if (!out) return Fail("writing", temporary);
  }
  TRESOR_RETURN_IF_ERROR(SyncPath(temporary, O_RDONLY));
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Fail("renaming", temporary);
  std::string dir = path.substr(0, path.rfind('/'));
  return SyncPath(dir.empty() ? "/" : dir, O_RDONLY | O_DIRECTORY);
}

std::vector<std::string> ReadPeersFile(const std::string& path) {
  std::vector<std::string> addresses;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) addresses.push_back(line);
  }
  return addresses;
}

}  // namespace tresor::raft
