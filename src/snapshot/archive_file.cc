#include "snapshot/archive_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <vector>

#include "common/random.h"
#include "snapshot/archive_reader.h"
#include "snapshot/archive_writer.h"

namespace tresor::snapshot {
namespace {

Status FileError(const std::string& what, const std::string& path) {
  return IOError(what + " " + path + ": " + std::strerror(errno));
}

// Closes an fd on scope exit unless released.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;
  // Closes now and reports the result (close can report a failed write).
  int Close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

Status FsyncDirectoryOf(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot open directory", dir.string());
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return FileError("cannot fsync directory", dir.string());
  return Status::Ok();
}

}  // namespace

StatusOr<Meta> WriteVerified(const std::string& path,
                             const std::function<Status(const ByteSink&)>& produce) {
  const std::string temp = path + ".tmp-" + RandomBase62(12);
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return FileError("cannot create", temp);
  FdCloser closer(fd);
  auto fail = [&](Status status) -> Status {
    ::unlink(temp.c_str());
    return status;
  };

  Status written = produce(FileSink(fd));
  if (!written.ok()) return fail(written);
  if (::fsync(fd) != 0) return fail(FileError("cannot fsync", temp));
  if (closer.Close() != 0) return fail(FileError("cannot close", temp));

  // Read back what the disk holds, not what we meant to write.
  int read_fd = ::open(temp.c_str(), O_RDONLY | O_CLOEXEC);
  if (read_fd < 0) return fail(FileError("cannot reopen", temp));
  FdCloser read_closer(read_fd);
  Meta meta;
  Status verified = ReadArchive(
      FileSource(read_fd), ReadOptions{},
      [&meta](const Meta& m) {
        meta = m;
        return Status::Ok();
      },
      nullptr);
  if (!verified.ok()) return fail(verified);

  if (::rename(temp.c_str(), path.c_str()) != 0) return fail(FileError("cannot rename to", path));
  TRESOR_RETURN_IF_ERROR(FsyncDirectoryOf(path));
  return meta;
}

StatusOr<Meta> WriteArchiveFile(const std::string& path, Meta meta, const RecordSource& records,
                                const SumsSeal& seal) {
  return WriteVerified(
      path, [&](const ByteSink& sink) { return WriteArchive(meta, records, seal, sink); });
}

StatusOr<Meta> SaveVerified(const std::string& path, const ByteSource& in) {
  return WriteVerified(path, [&](const ByteSink& sink) -> Status {
    std::vector<char> buffer(64 * 1024);
    while (true) {
      TRESOR_ASSIGN_OR_RETURN(std::size_t n, in(buffer.data(), buffer.size()));
      if (n == 0) return Status::Ok();
      TRESOR_RETURN_IF_ERROR(sink(std::string_view(buffer.data(), n)));
    }
  });
}

}  // namespace tresor::snapshot
