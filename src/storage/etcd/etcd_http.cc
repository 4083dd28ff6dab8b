#include "storage/etcd/etcd_http.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>

namespace tresor::storage {
namespace {

// Bounds what one answer may hold in memory: a value is at most etcd's
// request limit (1.5 MiB by default, base64 makes it 2 MiB) and a list page
// is keys only, so anything near this is a broken or hostile peer.
constexpr std::size_t kEtcdMaxResponseBytes = 64u << 20;

std::string EtcdSslErrorText() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "TLS error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// A connected non-blocking connect() within timeout; -1 with *error set.
int EtcdConnectSocket(const EtcdEndpoint& endpoint, std::chrono::milliseconds timeout,
                      std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  int resolved = getaddrinfo(endpoint.host.c_str(), endpoint.port.c_str(), &hints, &addresses);
  if (resolved != 0) {
    *error = std::string("cannot resolve ") + endpoint.host + ": " + gai_strerror(resolved);
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = addresses; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      *error = std::strerror(errno);
      continue;
    }
    int rc = connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc != 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = poll(&p, 1, static_cast<int>(timeout.count()));
      if (rc == 0) {
        *error = "connection timed out";
        rc = -1;
      } else if (rc > 0) {
        int so_error = 0;
        socklen_t len = sizeof so_error;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
        rc = so_error == 0 ? 0 : -1;
        if (so_error != 0) *error = std::strerror(so_error);
      } else {
        *error = std::strerror(errno);
      }
    } else if (rc != 0) {
      *error = std::strerror(errno);
    }
    if (rc != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(addresses);
  if (fd < 0) return -1;
  // Blocking from here on, with a timeout on every read and write: a member
  // that stops answering fails the call instead of hanging it.
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool EtcdHeaderIs(std::string_view line, std::string_view name, std::string_view* value) {
  if (line.size() <= name.size() || line[name.size()] != ':') return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  }
  std::string_view rest = line.substr(name.size() + 1);
  while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t')) rest.remove_prefix(1);
  while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\t')) rest.remove_suffix(1);
  *value = rest;
  return true;
}

bool EtcdContainsToken(std::string_view value, std::string_view token) {
  std::string lower(value);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find(token) != std::string::npos;
}

}  // namespace

StatusOr<std::unique_ptr<EtcdHttpConnection>> EtcdHttpConnection::Connect(
    const EtcdEndpoint& endpoint, SSL_CTX* tls_ctx, const std::string& server_name,
    std::chrono::milliseconds timeout) {
  std::string error;
  int fd = EtcdConnectSocket(endpoint, timeout, &error);
  if (fd < 0) return UnavailableError("cannot connect to etcd at " + endpoint.url + ": " + error);
  std::string host_header = endpoint.host.find(':') != std::string::npos
                                ? "[" + endpoint.host + "]:" + endpoint.port
                                : endpoint.host + ":" + endpoint.port;
  if (tls_ctx == nullptr) {
    return std::unique_ptr<EtcdHttpConnection>(new EtcdHttpConnection(fd, nullptr, host_header));
  }
  SSL* ssl = SSL_new(tls_ctx);
  const std::string& name = server_name.empty() ? endpoint.host : server_name;
  in6_addr ip_buffer{};
  bool is_ip = inet_pton(AF_INET, name.c_str(), &ip_buffer) == 1 ||
               inet_pton(AF_INET6, name.c_str(), &ip_buffer) == 1;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (is_ip) {
    X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, name.c_str());
    X509_VERIFY_PARAM_set1_host(param, name.c_str(), 0);
  }
  SSL_set_verify(ssl, SSL_VERIFY_PEER, nullptr);
  SSL_set_fd(ssl, fd);
  ERR_clear_error();
  if (SSL_connect(ssl) != 1) {
    long verify = SSL_get_verify_result(ssl);
    std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify)
                                          : EtcdSslErrorText();
    SSL_free(ssl);
    close(fd);
    return UnavailableError("TLS handshake with etcd at " + endpoint.url + " failed: " + why);
  }
  return std::unique_ptr<EtcdHttpConnection>(new EtcdHttpConnection(fd, ssl, host_header));
}

EtcdHttpConnection::~EtcdHttpConnection() {
  if (ssl_ != nullptr) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  close(fd_);
}

Status EtcdHttpConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    long n;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    } else {
      n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) {
      reusable_ = false;
      return UnavailableError(ssl_ != nullptr ? "writing to etcd: " + EtcdSslErrorText()
                                              : std::string("writing to etcd: ") +
                                                    std::strerror(errno));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return Status::Ok();
}

Status EtcdHttpConnection::Fill() {
  if (consumed_ > 0 && consumed_ == buffer_.size()) {
    buffer_.clear();
    consumed_ = 0;
  }
  if (buffer_.size() - consumed_ > kEtcdMaxResponseBytes) {
    reusable_ = false;
    return IOError("etcd's answer is larger than " + std::to_string(kEtcdMaxResponseBytes) +
                   " bytes");
  }
  char chunk[16384];
  long n;
  while (true) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      n = SSL_read(ssl_, chunk, sizeof chunk);
    } else {
      n = recv(fd_, chunk, sizeof chunk, 0);
      if (n < 0 && errno == EINTR) continue;
    }
    break;
  }
  if (n <= 0) {
    reusable_ = false;
    if (n == 0) return UnavailableError("etcd closed the connection");
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return UnavailableError("etcd did not answer in time (request_timeout)");
    }
    return UnavailableError(ssl_ != nullptr ? "reading from etcd: " + EtcdSslErrorText()
                                            : std::string("reading from etcd: ") +
                                                  std::strerror(errno));
  }
  got_bytes_ = true;
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return Status::Ok();
}

StatusOr<std::string> EtcdHttpConnection::ReadLine() {
  while (true) {
    std::size_t end = buffer_.find("\r\n", consumed_);
    if (end != std::string::npos) {
      std::string line = buffer_.substr(consumed_, end - consumed_);
      consumed_ = end + 2;
      return line;
    }
    if (buffer_.size() - consumed_ > 65536) {
      reusable_ = false;
      return IOError("etcd sent a header line longer than 64 KiB");
    }
    TRESOR_RETURN_IF_ERROR(Fill());
  }
}

Status EtcdHttpConnection::ReadExactly(std::size_t n, std::string& out) {
  if (out.size() + n > kEtcdMaxResponseBytes) {
    reusable_ = false;
    return IOError("etcd's answer is larger than " + std::to_string(kEtcdMaxResponseBytes) +
                   " bytes");
  }
  while (buffer_.size() - consumed_ < n) TRESOR_RETURN_IF_ERROR(Fill());
  out.append(buffer_, consumed_, n);
  consumed_ += n;
  return Status::Ok();
}

StatusOr<EtcdHttpResponse> EtcdHttpConnection::Post(std::string_view path,
                                                    std::string_view authorization,
                                                    std::string_view body,
                                                    bool* got_response_bytes) {
  got_bytes_ = false;
  auto finish = [&](Status status) -> Status {
    *got_response_bytes = got_bytes_;
    if (!status.ok()) reusable_ = false;
    return status;
  };
  std::string request;
  request.reserve(body.size() + 256);
  request.append("POST ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_header_);
  request.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  request.append(std::to_string(body.size())).append("\r\n");
  if (!authorization.empty()) request.append("Authorization: ").append(authorization).append("\r\n");
  request.append("\r\n").append(body);
  Status written = WriteAll(request);
  if (!written.ok()) return finish(written);

  EtcdHttpResponse response;
  auto status_line = ReadLine();
  if (!status_line.ok()) return finish(status_line.status());
  // "HTTP/1.1 200 OK"
  std::size_t space = status_line->find(' ');
  if (space == std::string::npos || status_line->compare(0, 5, "HTTP/") != 0 ||
      std::from_chars(status_line->data() + space + 1, status_line->data() + status_line->size(),
                      response.status)
              .ec != std::errc()) {
    return finish(IOError("etcd sent a malformed HTTP status line"));
  }
  std::optional<std::size_t> content_length;
  bool chunked = false;
  while (true) {
    auto line = ReadLine();
    if (!line.ok()) return finish(line.status());
    if (line->empty()) break;
    std::string_view value;
    if (EtcdHeaderIs(*line, "content-length", &value)) {
      std::size_t length = 0;
      if (std::from_chars(value.data(), value.data() + value.size(), length).ec != std::errc()) {
        return finish(IOError("etcd sent a malformed Content-Length"));
      }
      content_length = length;
    } else if (EtcdHeaderIs(*line, "transfer-encoding", &value)) {
      chunked = EtcdContainsToken(value, "chunked");
    } else if (EtcdHeaderIs(*line, "connection", &value)) {
      if (EtcdContainsToken(value, "close")) reusable_ = false;
    }
  }
  if (chunked) {
    while (true) {
      auto size_line = ReadLine();
      if (!size_line.ok()) return finish(size_line.status());
      std::size_t size = 0;
      auto parsed = std::from_chars(size_line->data(), size_line->data() + size_line->size(),
                                    size, 16);
      if (parsed.ec != std::errc()) return finish(IOError("etcd sent a malformed chunk size"));
      if (size == 0) break;
      Status read = ReadExactly(size, response.body);
      if (!read.ok()) return finish(read);
      auto crlf = ReadLine();
      if (!crlf.ok()) return finish(crlf.status());
    }
    while (true) {  // trailers (the gateway sends its gRPC status here)
      auto trailer = ReadLine();
      if (!trailer.ok()) return finish(trailer.status());
      if (trailer->empty()) break;
    }
  } else if (content_length) {
    Status read = ReadExactly(*content_length, response.body);
    if (!read.ok()) return finish(read);
  } else {
    // Framed by the end of the connection.
    reusable_ = false;
    while (true) {
      Status filled = Fill();
      if (!filled.ok()) break;
    }
    response.body.assign(buffer_, consumed_);
    buffer_.clear();
    consumed_ = 0;
  }
  *got_response_bytes = true;
  return response;
}

}  // namespace tresor::storage
