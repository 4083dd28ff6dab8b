#include "storage/file/posix_filesystem.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tresor::storage {
namespace {

// Maps errno to a Status code; the message names the operation and the path
// so that an operator can find the failing file.
Status ErrnoStatus(int err, std::string_view op, const std::string& path) {
  std::string message =
      std::string(op) + " " + path + ": " + std::error_code(err, std::generic_category()).message();
  switch (err) {
    case ENOENT:
      return NotFoundError(std::move(message));
    case ENOSPC:
    case EDQUOT:
      return ResourceExhaustedError(std::move(message));
    default:
      return IOError(std::move(message));
  }
}

// Runs a system call until it stops failing with EINTR.
template <typename F>
auto RetryOnEintr(F call) {
  decltype(call()) result;
  do {
    result = call();
  } while (result == -1 && errno == EINTR);
  return result;
}

// Owns a file descriptor; closing on scope exit keeps error paths leak-free.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  // Closes now and reports the error: close can surface a delayed write
  // error (NFS, quota), which must not be lost for a file we just wrote.
  int Close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd);  // Never retried: Linux frees the fd even on EINTR.
  }

 private:
  int fd_;
};

Status OpenFd(const std::string& path, int flags, mode_t mode, std::string_view op, int* fd) {
  *fd = RetryOnEintr([&] { return ::open(path.c_str(), flags | O_CLOEXEC, mode); });
  if (*fd < 0) return ErrnoStatus(errno, op, path);
  return Status::Ok();
}

Status FsyncPath(const std::string& path, int flags, std::string_view op) {
  int raw = -1;
  TRESOR_RETURN_IF_ERROR(OpenFd(path, flags, 0, op, &raw));
  ScopedFd fd(raw);
  if (RetryOnEintr([&] { return ::fsync(fd.get()); }) != 0) return ErrnoStatus(errno, op, path);
  if (fd.Close() != 0) return ErrnoStatus(errno, op, path);
  return Status::Ok();
}

class PosixFileLock final : public FileLock {
 public:
  PosixFileLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~PosixFileLock() override {
    // Closing the descriptor releases the flock.
    if (fd_ >= 0) ::close(fd_);
  }
  Status Release() {
    Status status;
    if (RetryOnEintr([&] { return ::flock(fd_, LOCK_UN); }) != 0) {
      status = ErrnoStatus(errno, "unlock", path_);
    }
    if (::close(fd_) != 0 && status.ok()) status = ErrnoStatus(errno, "close lock", path_);
    fd_ = -1;
    return status;
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Filesystem* DefaultFilesystem() {
  static Filesystem* const fs = new PosixFilesystem();  // Leaked on purpose.
  return fs;
}

std::string ParentDir(std::string_view path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return "";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

std::string JoinPath(std::string_view a, std::string_view b) {
  if (a.empty()) return std::string(b);
  if (b.empty()) return std::string(a);
  std::string out(a);
  if (out.back() != '/') out += '/';
  out += b;
  return out;
}

StatusOr<std::string> PosixFilesystem::ReadFile(const std::string& path) {
  int raw = -1;
  TRESOR_RETURN_IF_ERROR(OpenFd(path, O_RDONLY, 0, "open", &raw));
  ScopedFd fd(raw);
  std::string out;
  struct stat st;
  if (::fstat(fd.get(), &st) == 0 && st.st_size > 0) out.reserve(st.st_size);
  char buffer[64 * 1024];
  while (true) {
    ssize_t n = RetryOnEintr([&] { return ::read(fd.get(), buffer, sizeof(buffer)); });
    if (n < 0) return ErrnoStatus(errno, "read", path);
    if (n == 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

Status PosixFilesystem::WriteNewFile(const std::string& path, std::string_view data) {
  int raw = -1;
  TRESOR_RETURN_IF_ERROR(OpenFd(path, O_WRONLY | O_CREAT | O_TRUNC, 0600, "create", &raw));
  ScopedFd fd(raw);
  std::size_t written = 0;
  while (written < data.size()) {
    ssize_t n = RetryOnEintr(
        [&] { return ::write(fd.get(), data.data() + written, data.size() - written); });
    if (n < 0) return ErrnoStatus(errno, "write", path);
    written += static_cast<std::size_t>(n);  // A short write just loops.
  }
  if (fd.Close() != 0) return ErrnoStatus(errno, "close", path);
  return Status::Ok();
}

Status PosixFilesystem::SyncFile(const std::string& path) {
  // fsync through a fresh descriptor flushes the inode's dirty pages too.
  return FsyncPath(path, O_RDONLY, "fsync");
}

Status PosixFilesystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus(errno, "rename", from + " -> " + to);
  }
  return Status::Ok();
}

Status PosixFilesystem::SyncDir(const std::string& dir) {
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY, "fsync directory");
}

Status PosixFilesystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, "unlink", path);
  return Status::Ok();
}

StatusOr<bool> PosixFilesystem::RemoveDirIfEmpty(const std::string& dir) {
  if (::rmdir(dir.c_str()) == 0) return true;
  if (errno == ENOTEMPTY || errno == EEXIST || errno == ENOENT) return false;
  return ErrnoStatus(errno, "rmdir", dir);
}

StatusOr<std::vector<DirEntry>> PosixFilesystem::ListDir(const std::string& dir) {
  DIR* handle = ::opendir(dir.c_str());
  if (handle == nullptr) return ErrnoStatus(errno, "opendir", dir);
  std::vector<DirEntry> out;
  while (true) {
    errno = 0;
    struct dirent* entry = ::readdir(handle);
    if (entry == nullptr) {
      int err = errno;
      ::closedir(handle);
      if (err != 0) return ErrnoStatus(err, "readdir", dir);
      return out;
    }
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    bool is_directory = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN) {  // Some filesystems do not fill d_type.
      struct stat st;
      is_directory = ::fstatat(::dirfd(handle), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                     S_ISDIR(st.st_mode);
    }
    out.push_back({std::move(name), is_directory});
  }
}

StatusOr<std::vector<std::string>> PosixFilesystem::CreateDirs(const std::string& dir) {
  std::vector<std::string> created;
  std::size_t pos = 0;
  while (pos <= dir.size()) {
    std::size_t slash = dir.find('/', pos);
    if (slash == std::string::npos) slash = dir.size();
    std::string partial = dir.substr(0, slash);
    pos = slash + 1;
    if (partial.empty() || partial.back() == '/') continue;  // Leading or doubled '/'.
    if (::mkdir(partial.c_str(), 0700) == 0) {
      created.push_back(partial);
      continue;
    }
    if (errno != EEXIST) return ErrnoStatus(errno, "mkdir", partial);
    struct stat st;
    if (::stat(partial.c_str(), &st) != 0) return ErrnoStatus(errno, "stat", partial);
    if (!S_ISDIR(st.st_mode))
      return IOError("mkdir " + partial + ": exists and is not a directory");
  }
  return created;
}

StatusOr<bool> PosixFilesystem::FileExists(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ErrnoStatus(errno, "stat", path);
}

StatusOr<std::unique_ptr<FileLock>> PosixFilesystem::LockFile(const std::string& path) {
  int raw = -1;
  TRESOR_RETURN_IF_ERROR(OpenFd(path, O_RDWR | O_CREAT, 0600, "open lock", &raw));
  // flock locks belong to the open file description, so a second LockFile in
  // this same process conflicts just like another process would.
  if (RetryOnEintr([&] { return ::flock(raw, LOCK_EX | LOCK_NB); }) != 0) {
    int err = errno;
    ::close(raw);
    if (err == EWOULDBLOCK)
      return FailedPreconditionError("lock " + path + ": held by another user");
    return ErrnoStatus(err, "lock", path);
  }
  return std::unique_ptr<FileLock>(new PosixFileLock(raw, path));
}

Status PosixFilesystem::Unlock(std::unique_ptr<FileLock> lock) {
  auto* posix = dynamic_cast<PosixFileLock*>(lock.get());
  if (posix == nullptr) return InternalError("Unlock: lock was not taken by PosixFilesystem");
  return posix->Release();
}

}  // namespace tresor::storage
