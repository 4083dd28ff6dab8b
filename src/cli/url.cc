#include "cli/url.h"

#include <arpa/inet.h>

#include <charconv>

namespace tresor::cli {
namespace {

bool IsIpv4(const std::string& host) {
  in_addr addr{};
  return inet_pton(AF_INET, host.c_str(), &addr) == 1;
}

bool IsIpv6(const std::string& host) {
  in6_addr addr{};
  return inet_pton(AF_INET6, host.c_str(), &addr) == 1;
}

}  // namespace

std::string Url::HostPort() const {
  std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return out + ":" + std::to_string(port);
}

std::string Url::Format(std::string_view path) const {
  return std::string(tls ? "https://" : "http://") + HostPort() + path_prefix + std::string(path);
}

StatusOr<Url> ParseUrl(std::string_view text) {
  Url url;
  std::string_view rest = text;
  if (rest.starts_with("https://")) {
    url.tls = true;
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else {
    return InvalidArgumentError("address \"" + std::string(text) +
                                "\" must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    // Do not echo the address: it may hold a password.
    return InvalidArgumentError("address must not contain user information (user@host)");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return InvalidArgumentError("address \"" + std::string(text) +
                                "\" must not contain a query or fragment");
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return InvalidArgumentError("address \"" + std::string(text) + "\": missing ']'");
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') {
        return InvalidArgumentError("address \"" + std::string(text) +
                                    "\": unexpected text after ']'");
      }
      port_text = after.substr(1);
      if (port_text.empty()) {
        return InvalidArgumentError("address \"" + std::string(text) + "\": empty port");
      }
    }
    if (!IsIpv6(url.host)) {
      return InvalidArgumentError("address \"" + std::string(text) +
                                  "\": invalid IPv6 address in brackets");
    }
    url.host_is_ip = true;
  } else {
    size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) {
        return InvalidArgumentError("address \"" + std::string(text) + "\": empty port");
      }
    }
    url.host_is_ip = IsIpv4(url.host);
  }
  if (url.host.empty()) {
    return InvalidArgumentError("address \"" + std::string(text) + "\" has no host");
  }
  if (url.host.find_first_of(" \t\r\n") != std::string::npos) {
    return InvalidArgumentError("address \"" + std::string(text) + "\": invalid host");
  }
  if (port_text.empty()) {
    url.port = url.tls ? 443 : 80;
  } else {
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return InvalidArgumentError("address \"" + std::string(text) + "\": invalid port \"" +
                                  std::string(port_text) + "\"");
    }
    url.port = static_cast<uint16_t>(port);
  }
  while (path.ends_with("/")) path.remove_suffix(1);
  url.path_prefix = std::string(path);
  return url;
}

}  // namespace tresor::cli
