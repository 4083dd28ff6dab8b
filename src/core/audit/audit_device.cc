#include "core/audit/audit_device.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "common/duration.h"

namespace tresor::core::audit {
namespace {

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

// Takes `key` out of options; "" when absent.
std::string TakeOption(std::map<std::string, std::string>& options, const std::string& key,
                       std::string fallback = "") {
  auto it = options.find(key);
  if (it == options.end()) return fallback;
  std::string value = it->second;
  options.erase(it);
  return value;
}

Status RejectLeftovers(const std::map<std::string, std::string>& options, const std::string& type) {
  if (options.empty()) return Status::Ok();
  return InvalidArgumentError("options: \"" + options.begin()->first +
                              "\" is not an option of the " + type + " audit device");
}

// Writes all of `data` to fd, waiting at most `timeout` for the fd to take
// more when it is full (then *timed_out is set).
Status WriteAll(int fd, bool socket, std::string_view data, std::chrono::milliseconds timeout,
                bool* timed_out) {
  while (!data.empty()) {
    ssize_t n = socket ? ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT)
                       : ::write(fd, data.data(), data.size());
    if (n >= 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return IOError(Errno("write"));
    // Full: only a socket or a pipe ever is.
    pollfd p{fd, POLLOUT, 0};
    int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
    if (ready == 0) {
      *timed_out = true;
      return IOError("write timed out after " + std::to_string(timeout.count()) +
                     "ms (the peer is not reading)");
    }
    if (ready < 0 && errno != EINTR) return IOError(Errno("poll"));
  }
  return Status::Ok();
}

// How long a file device waits for a full pipe (a FIFO as file_path).
constexpr std::chrono::milliseconds kFileWriteTimeout{2000};

class FileDevice final : public Device {
 public:
  FileDevice(std::string path, mode_t mode) : path_(std::move(path)), mode_(mode) {}
  ~FileDevice() override {
    if (fd_ >= 0 && path_ != "stdout") ::close(fd_);
  }

  Status Open() {
    std::lock_guard lock(mu_);
    return OpenLocked();
  }

  Status Write(std::string_view line) override {
    if (path_ == "discard") return Status::Ok();
    std::string out(line);
    out.push_back('\n');
    std::lock_guard lock(mu_);
    if (fd_ < 0) TRESOR_RETURN_IF_ERROR(OpenLocked());
    // A full disk can take part of a line: cut the file back to where the
    // line began, so that the lines after recovery are not glued to a torn
    // one (a regular file only; a pipe's reader gets what it got).
    struct stat before{};
    const bool regular = ::fstat(fd_, &before) == 0 && S_ISREG(before.st_mode);
    bool timed_out = false;
    Status written = WriteAll(fd_, /*socket=*/false, out, kFileWriteTimeout, &timed_out);
    if (!written.ok()) {
      if (regular) (void)::ftruncate(fd_, before.st_size);
      return IOError(path_ + ": " + written.message());
    }
    return written;
  }

  Status Reopen() override {
    if (path_ == "discard" || path_ == "stdout") return Status::Ok();
    std::lock_guard lock(mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return OpenLocked();
  }

 private:
  Status OpenLocked() {
    if (path_ == "discard") return Status::Ok();
    if (path_ == "stdout") {
      fd_ = STDOUT_FILENO;
      return Status::Ok();
    }
    // Non-blocking, so that a named pipe nobody reads fails (ENXIO at open,
    // or the write timeout once it is full) instead of hanging requests.
    int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, mode_);
    if (fd < 0) return IOError(Errno("opening " + path_));
    // The mode asked for, whatever the umask or an existing file said.
    if (::fchmod(fd, mode_) != 0) {
      Status failed = IOError(Errno("setting the mode of " + path_));
      ::close(fd);
      return failed;
    }
    fd_ = fd;
    return Status::Ok();
  }

  const std::string path_;
  const mode_t mode_;
  std::mutex mu_;
  int fd_ = -1;  // GUARDED_BY(mu_)
};

class SocketDevice final : public Device {
 public:
  SocketDevice(std::string host, std::string port, bool tcp, std::chrono::milliseconds timeout)
      : host_(std::move(host)), port_(std::move(port)), tcp_(tcp), timeout_(timeout) {}
  ~SocketDevice() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Write(std::string_view line) override {
    std::string out(line);
    out.push_back('\n');
    std::lock_guard lock(mu_);
    if (fd_ >= 0 && PeerClosedLocked()) CloseLocked();
    if (fd_ < 0) TRESOR_RETURN_IF_ERROR(ConnectLocked());
    bool timed_out = false;
    Status written = WriteAll(fd_, /*socket=*/true, out, timeout_, &timed_out);
    if (written.ok()) return written;
    // The stream may hold part of the line now: it cannot be used again.
    CloseLocked();
    // A peer that stopped reading had its time; one that dropped the
    // connection gets one more try on a new one.
    if (timed_out) return written;
    TRESOR_RETURN_IF_ERROR(ConnectLocked());
    written = WriteAll(fd_, /*socket=*/true, out, timeout_, &timed_out);
    if (!written.ok()) CloseLocked();
    return written;
  }

  Status Reopen() override {
    std::lock_guard lock(mu_);
    CloseLocked();
    return Status::Ok();
  }

 private:
  // A TCP peer that closed its end (a write would still "succeed" once).
  bool PeerClosedLocked() {
    if (!tcp_) return false;
    pollfd p{fd_, POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    if ((p.revents & (POLLERR | POLLHUP | POLLRDHUP)) != 0) return true;
    char byte;
    ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }

  void CloseLocked() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  Status ConnectLocked() {
    addrinfo hints{};
    hints.ai_socktype = tcp_ ? SOCK_STREAM : SOCK_DGRAM;
    addrinfo* found = nullptr;
    int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found);
    if (rc != 0) return IOError("resolving " + host_ + ": " + ::gai_strerror(rc));
    std::string last_error = "no address";
    for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
      int fd =
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0) continue;
      int connected = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
      if (connected != 0 && errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
        int err = 0;
        socklen_t len = sizeof(err);
        if (ready > 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (ready > 0 && err == 0) {
          connected = 0;
        } else {
          errno = ready == 0 ? ETIMEDOUT : (err != 0 ? err : errno);
        }
      }
      if (connected == 0) {
        ::freeaddrinfo(found);
        fd_ = fd;
        return Status::Ok();
      }
      last_error = std::strerror(errno);
      ::close(fd);
    }
    ::freeaddrinfo(found);
    return IOError("connecting to " + host_ + ":" + port_ + ": " + last_error);
  }

  const std::string host_;
  const std::string port_;
  const bool tcp_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  int fd_ = -1;  // GUARDED_BY(mu_)
};

// syslog(3) has one identity per process: each write sets it again under a
// process-wide mutex.
std::mutex syslog_mu;

class SyslogDevice final : public Device {
 public:
  SyslogDevice(int facility, std::string tag) : facility_(facility), tag_(std::move(tag)) {}
  Status Write(std::string_view line) override {
    std::lock_guard lock(syslog_mu);
    ::openlog(tag_.c_str(), LOG_NDELAY, facility_);
    ::syslog(LOG_INFO | facility_, "%.*s", static_cast<int>(line.size()), line.data());
    ::closelog();
    return Status::Ok();
  }

 private:
  const int facility_;
  const std::string tag_;
};

StatusOr<int> SyslogFacility(const std::string& name) {
  static const std::map<std::string, int> kFacilities = {
      {"KERN", LOG_KERN},     {"USER", LOG_USER},         {"MAIL", LOG_MAIL},
      {"DAEMON", LOG_DAEMON}, {"AUTH", LOG_AUTH},         {"SYSLOG", LOG_SYSLOG},
      {"LPR", LOG_LPR},       {"NEWS", LOG_NEWS},         {"UUCP", LOG_UUCP},
      {"CRON", LOG_CRON},     {"AUTHPRIV", LOG_AUTHPRIV}, {"FTP", LOG_FTP},
      {"LOCAL0", LOG_LOCAL0}, {"LOCAL1", LOG_LOCAL1},     {"LOCAL2", LOG_LOCAL2},
      {"LOCAL3", LOG_LOCAL3}, {"LOCAL4", LOG_LOCAL4},     {"LOCAL5", LOG_LOCAL5},
      {"LOCAL6", LOG_LOCAL6}, {"LOCAL7", LOG_LOCAL7}};
  std::string upper;
  for (char c : name)
    upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  auto it = kFacilities.find(upper);
  if (it == kFacilities.end()) {
    return InvalidArgumentError("facility: \"" + name +
                                "\" is not a syslog facility (AUTH, DAEMON, LOCAL0..LOCAL7, ...)");
  }
  return it->second;
}

StatusOr<std::unique_ptr<Device>> NewFile(std::map<std::string, std::string> options) {
  std::string path = TakeOption(options, "file_path");
  if (path.empty()) path = TakeOption(options, "path");
  std::string mode_text = TakeOption(options, "mode", "0600");
  TRESOR_RETURN_IF_ERROR(RejectLeftovers(options, "file"));
  if (path.empty()) {
    return InvalidArgumentError(
        "options: file_path is required (a file, \"stdout\" or \"discard\")");
  }
  if (mode_text.empty() || mode_text.size() > 4 ||
      mode_text.find_first_not_of("01234567") != std::string::npos) {
    return InvalidArgumentError("options: mode \"" + mode_text +
                                "\" is not an octal file mode such as \"0600\"");
  }
  mode_t mode = static_cast<mode_t>(std::stoul(mode_text, nullptr, 8));
  auto device = std::make_unique<FileDevice>(path, mode);
  Status opened = device->Open();
  if (!opened.ok()) return InvalidArgumentError("file_path: " + opened.message());
  return std::unique_ptr<Device>(std::move(device));
}

StatusOr<std::unique_ptr<Device>> NewSocket(std::map<std::string, std::string> options) {
  std::string address = TakeOption(options, "address");
  std::string type = TakeOption(options, "socket_type", "tcp");
  std::string timeout_text = TakeOption(options, "write_timeout", "2s");
  TRESOR_RETURN_IF_ERROR(RejectLeftovers(options, "socket"));
  if (type != "tcp" && type != "udp") {
    return InvalidArgumentError("options: socket_type \"" + type + "\" must be tcp or udp");
  }
  auto colon = address.rfind(':');
  if (address.empty() || colon == std::string::npos || colon + 1 == address.size()) {
    return InvalidArgumentError("options: address \"" + address +
                                "\" must be host:port (for example 127.0.0.1:9090)");
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto timeout = ParseDuration(timeout_text);
  if (!timeout.ok() || timeout->count() <= 0) {
    return InvalidArgumentError("options: write_timeout \"" + timeout_text +
                                "\" must be a positive duration such as \"2s\"");
  }
  return std::unique_ptr<Device>(std::make_unique<SocketDevice>(
      host, address.substr(colon + 1), type == "tcp",
      std::chrono::duration_cast<std::chrono::milliseconds>(*timeout)));
}

StatusOr<std::unique_ptr<Device>> NewSyslog(std::map<std::string, std::string> options) {
  std::string facility_name = TakeOption(options, "facility", "AUTH");
  std::string tag = TakeOption(options, "tag", "tresor");
  TRESOR_RETURN_IF_ERROR(RejectLeftovers(options, "syslog"));
  TRESOR_ASSIGN_OR_RETURN(int facility, SyslogFacility(facility_name));
  return std::unique_ptr<Device>(std::make_unique<SyslogDevice>(facility, tag));
}

}  // namespace

StatusOr<std::unique_ptr<Device>> NewDevice(const std::string& type,
                                            std::map<std::string, std::string> options) {
  if (type == "file") return NewFile(std::move(options));
  if (type == "socket") return NewSocket(std::move(options));
  if (type == "syslog") return NewSyslog(std::move(options));
  return InvalidArgumentError("type: unknown audit device type \"" + type +
                              "\" (file, socket or syslog)");
}

}  // namespace tresor::core::audit
