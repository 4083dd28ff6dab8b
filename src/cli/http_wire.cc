#include "cli/http_wire.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/version.h"

namespace tresor::cli::internal {

std::string GoMethod(std::string_view method) {
  std::string out(method);
  for (size_t i = 1; i < out.size(); ++i) {
    out[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(out[i])));
  }
  return out;
}

std::string ErrorPrefix(const Url& url, std::string_view method, std::string_view target) {
  return GoMethod(method) + " \"" + (url.tls ? "https://" : "http://") + url.HostPort() +
         std::string(target) + "\": ";
}

StatusOr<std::pair<Url, std::string>> ParseRedirect(const std::string& location) {
  size_t scheme_end = location.find("://");
  if (scheme_end == std::string::npos) {
    return UnavailableError("redirect to a relative location is not supported");
  }
  size_t path_start = location.find('/', scheme_end + 3);
  std::string base = location.substr(0, path_start);
  std::string target = path_start == std::string::npos ? "/" : location.substr(path_start);
  TRESOR_ASSIGN_OR_RETURN(Url url, ParseUrl(base));
  return std::make_pair(std::move(url), std::move(target));
}

std::pair<std::string, std::string> SendRequestLine(const Url& url, std::string_view method,
                                                    std::string_view path) {
  std::string verb(method);
  std::string target = url.path_prefix + std::string(path);
  if (verb == "LIST") {
    verb = "GET";
    target += target.find('?') == std::string::npos ? "?list=true" : "&list=true";
  }
  return {std::move(verb), std::move(target)};
}

const char* JsonContentType(std::string_view method) {
  return method == "PATCH" ? "application/merge-patch+json" : "application/json";
}

std::vector<std::pair<std::string, std::string>> CommonHeaders(const Url& url,
                                                               const ClientOptions& options,
                                                               std::string_view target) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", url.HostPort()},
      {"User-Agent", std::string("tresor-cli/") + kVersion},
      {"X-Vault-Request", "true"},
  };
  if (!options.token.empty()) headers.emplace_back("X-Vault-Token", options.token);
  const bool preflight =
      target.substr(url.path_prefix.size()).starts_with("/v1/sys/internal/ui/mounts/");
  if (!options.wrap_ttl.empty() && !preflight) {
    headers.emplace_back("X-Vault-Wrap-TTL", options.wrap_ttl);
  }
  return headers;
}

StatusOr<std::size_t> ReadPiece(int fd, std::uint64_t offset, std::uint64_t size,
                                std::vector<char>& out) {
  const std::size_t want =
      static_cast<std::size_t>(std::min<std::uint64_t>(size - offset, out.size()));
  for (;;) {
    const ssize_t got = ::pread(fd, out.data(), want, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return IOError(std::string("reading the file to upload: ") + std::strerror(errno));
    if (got == 0) {
      return IOError("the file to upload ended after " + std::to_string(offset) + " of " +
                     std::to_string(size) + " bytes");
    }
    return static_cast<std::size_t>(got);
  }
}

Json ParseJsonBody(const std::string& raw_body) {
  if (raw_body.empty()) return nullptr;
  Json body = Json::parse(raw_body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return nullptr;
  return body;
}

}  // namespace tresor::cli::internal
