// Internal to the CLI's HTTP clients: what a request looks like on the wire
// and how an answer is read, independent of any network library. The Beast
// client (http_client.cc, http_client_transfer.cc) writes requests built
// from these, and the in-process fake the command tests use
// (fake_http_client_for_test.h) records the same, so a command test that
// checks a target, a header or an error message checks what the real
// client would have sent or said. Not for commands; they use HttpClient.
//
// Thread safety: stateless functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/http_client.h"
#include "cli/url.h"

namespace tresor::cli::internal {

// How many 307/308 redirects a request follows.
inline constexpr int kMaxRedirects = 3;

// Go's url.Error names the method "Get", "Put", ...; Vault users know that form.
std::string GoMethod(std::string_view method);

// The start of every network error, Go-style: Put "http://host:port/target":
std::string ErrorPrefix(const Url& url, std::string_view method, std::string_view target);

// Splits an absolute redirect target into the base URL and request target.
// Unavailable for a relative location; InvalidArgument for a bad URL.
StatusOr<std::pair<Url, std::string>> ParseRedirect(const std::string& location);

// The method and target Send() writes for `method` `path` against `url`: the
// address's path prefix first, and LIST sent as GET with list=true in the
// query, as Vault's Go client does.
std::pair<std::string, std::string> SendRequestLine(const Url& url, std::string_view method,
                                                    std::string_view path);

// The Content-Type of a JSON body sent with `method`: Vault's KV v2 accepts
// PATCH only as a JSON merge patch (RFC 7386).
const char* JsonContentType(std::string_view method);

// The headers every request to `target` carries, in order: Host,
// User-Agent, X-Vault-Request, X-Vault-Token when options.token is not empty
// and X-Vault-Wrap-TTL when options.wrap_ttl is not, except on the kv
// commands' pre-flight mount lookup (sys/internal/ui/mounts/), which Vault's
// client never wraps either: its answer is for the CLI, not the user.
std::vector<std::pair<std::string, std::string>> CommonHeaders(const Url& url,
                                                               const ClientOptions& options,
                                                               std::string_view target);

// Reads the next piece of an upload: bytes of `fd` from `offset` (of `size`
// in all) into `out`, at most out.size(), with pread (the file offset is
// untouched). Returns how many were read; IOError when reading fails or the
// file ends before `size`.
StatusOr<std::size_t> ReadPiece(int fd, std::uint64_t offset, std::uint64_t size,
                                std::vector<char>& out);

// The body parsed as JSON, or null when it is empty or not JSON.
Json ParseJsonBody(const std::string& raw_body);

}  // namespace tresor::cli::internal
