// Parsing of the server address (TRESOR_ADDR / VAULT_ADDR / -address) into
// the pieces the HTTP client needs: scheme, host, port and a path prefix.
//
// Accepts http:// and https:// URLs with an optional port (default 80 / 443)
// and IPv6 literals in brackets ("https://[::1]:8200"). A trailing path is kept
// as a prefix for every request (Vault allows an address behind a proxy path).
// Query strings, fragments and user:password@ are rejected: they would be
// silently dropped or leak credentials into error messages.
//
// Who calls it: the HTTP client. Thread-safe, stateless.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::cli {

struct Url {
  bool tls = false;         // https
  std::string host;         // without brackets for IPv6 ("::1")
  uint16_t port = 0;        // always filled (default for the scheme if absent)
  std::string path_prefix;  // "" or "/something" without a trailing slash
  bool host_is_ip = false;  // an IPv4 or IPv6 literal (no SNI; IP SAN checked)

  // "host:port", bracketing IPv6 ("[::1]:8200"): the Host header and the
  // "dial tcp" part of error messages.
  std::string HostPort() const;
  // "http://host:port" + path_prefix + path: the URL shown in error messages.
  std::string Format(std::string_view path) const;
};

// Returns InvalidArgument naming what is wrong (never echoing a password).
StatusOr<Url> ParseUrl(std::string_view text);

}  // namespace tresor::cli
