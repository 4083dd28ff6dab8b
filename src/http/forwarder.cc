#include "http/forwarder.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <exception>
#include <memory>
#include <optional>
#include <set>
#include <type_traits>
#include <vector>

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Generous: a LIST of a large folder is the biggest answer Tresor gives.
constexpr std::uint64_t kMaxResponseBodyBytes = 256ull * 1024 * 1024;
constexpr std::uint32_t kMaxResponseHeaderBytes = 1024 * 1024;

struct BaseUrl {
  bool tls = false;
  std::string host;  // without brackets for IPv6
  std::string port;
  std::string path_prefix;  // "" or "/prefix", never ending in '/'
  std::string original;     // for error messages

  std::string HostHeader() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + port;
  }
};

// Beast 1.74 takes boost::string_view, which does not convert from std's.
beast::string_view BeastView(std::string_view s) { return {s.data(), s.size()}; }

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

StatusOr<BaseUrl> ParseBaseUrl(const std::string& url) {
  const auto bad = [&url](std::string_view why) {
    return InvalidArgumentError("cannot forward to \"" + url + "\": " + std::string(why));
  };
  BaseUrl parsed;
  parsed.original = url;
  std::string_view rest = url;
  const std::string scheme = Lowercase(rest.substr(0, rest.find("://")));
  if (rest.find("://") == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return bad("not an http:// or https:// URL");
  }
  parsed.tls = scheme == "https";
  rest.remove_prefix(scheme.size() + 3);
  const std::string_view authority = rest.substr(0, rest.find('/'));
  std::string_view path =
      authority.size() < rest.size() ? rest.substr(authority.size()) : std::string_view{};
  if (authority.find_first_of("@?#") != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return bad("only scheme, host, port and path are allowed");
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    parsed.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("junk after the IPv6 address");
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    parsed.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (parsed.host.empty()) return bad("no host");
  if (port.empty()) {
    parsed.port = parsed.tls ? "443" : "80";
  } else if (!IsAllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) == 0 ||
             std::stoi(std::string(port)) > 65535) {
    return bad("bad port");
  } else {
    parsed.port = std::string(port);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  parsed.path_prefix = std::string(path);
  return parsed;
}

// The header names the Connection header lists: hop-by-hop as well
// (RFC 9110, 7.6.1).
std::set<std::string> ConnectionTokens(const beast_http::fields& fields) {
  std::set<std::string> tokens;
  for (auto it = fields.find(beast_http::field::connection);
       it != fields.end() && it->name() == beast_http::field::connection; ++it) {
    for (const auto& token : beast_http::token_list{it->value()}) {
      tokens.insert(Lowercase(ToStdView(token)));
    }
  }
  return tokens;
}

// Hop-by-hop headers describe one connection and are never relayed.
bool IsHopByHop(std::string_view lower_name, const std::set<std::string>& connection_tokens) {
  static const std::set<std::string, std::less<>> kHopByHop = {
      "connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer"};
  return kHopByHop.count(lower_name) > 0 || lower_name.rfind("proxy-", 0) == 0 ||
         connection_tokens.count(std::string(lower_name)) > 0;
}

// "1.2.3.4:5" -> "1.2.3.4", "[::1]:5" -> "::1", "::1" -> "::1".
std::string AddressWithoutPort(std::string_view address) {
  if (!address.empty() && address.front() == '[') {
    return std::string(address.substr(1, address.find(']') - 1));
  }
  const auto colon = address.find(':');
  if (colon != std::string_view::npos && address.find(':', colon + 1) == std::string_view::npos) {
    return std::string(address.substr(0, colon));
  }
  return std::string(address);
}

HttpRequest BuildForwardedRequest(const BaseUrl& url, const HttpRequest& request,
                                  const ForwardOptions& options) {
  HttpRequest out;
  out.version(11);
  if (request.method() == beast_http::verb::unknown) {
    out.method_string(request.method_string());  // LIST
  } else {
    out.method(request.method());
  }
  out.target(url.path_prefix + std::string(ToStdView(request.target())));
  const std::set<std::string> connection_tokens = ConnectionTokens(request);
  std::string forwarded_for;
  for (const auto& field : request) {
    const std::string name = Lowercase(ToStdView(field.name_string()));
    if (IsHopByHop(name, connection_tokens) || name == "host" || name == "content-length" ||
        name == "expect") {
      continue;
    }
    if (name == "x-forwarded-for") {
      if (!forwarded_for.empty()) forwarded_for += ", ";
      forwarded_for += std::string(ToStdView(field.value()));
      continue;
    }
    out.insert(field.name_string(), field.value());
  }
  if (!options.client_address.empty()) {
    if (!forwarded_for.empty()) forwarded_for += ", ";
    forwarded_for += AddressWithoutPort(options.client_address);
  }
  if (!forwarded_for.empty()) out.set("X-Forwarded-For", forwarded_for);
  out.set(beast_http::field::host, url.HostHeader());
  out.set(BeastView(kForwardedHeader), "1");
  out.body() = request.body();
  if (!out.body().empty() || request.has_content_length()) out.content_length(out.body().size());
  out.keep_alive(false);  // one connection per call
  return out;
}

StatusOr<std::shared_ptr<net::ssl::context>> MakeClientTlsContext(const std::string& ca_file) {
  try {
    auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
    SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION);
    context->set_verify_mode(net::ssl::verify_peer);
    beast::error_code ec;
    if (ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(ca_file, ec);
    }
    if (ec) {
      return InvalidArgumentError("cannot load the CA certificates " +
                                  (ca_file.empty() ? "from the system" : "from " + ca_file) + ": " +
                                  ec.message());
    }
    return context;
  } catch (const std::exception& e) {
    return InternalError(std::string("cannot create a TLS client context: ") + e.what());
  }
}

// Built once: loading the system's CA bundle costs milliseconds, too much
// to pay per forwarded request. Read-only after construction.
const StatusOr<std::shared_ptr<net::ssl::context>>& DefaultClientTlsContext() {
  static const StatusOr<std::shared_ptr<net::ssl::context>> context = MakeClientTlsContext("");
  return context;
}

// One request/response exchange on a fresh connection, each step an
// asynchronous operation run on this thread until it completes or the
// deadline passes.
template <class Stream>
class Exchange {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Exchange(const BaseUrl& url, SteadyClock::time_point deadline, net::ssl::context* tls)
      : url_(url), deadline_(deadline), stream_(MakeStream(io_, tls)) {}

  StatusOr<HttpResponse> Run(HttpRequest& request) {
    TRESOR_RETURN_IF_ERROR(Connect());
    beast::error_code ec = Await(
        [&](auto done) {
          beast_http::async_write(stream_, request,
                                  [done](beast::error_code e, std::size_t) { done(e); });
        },
        [&] { Close(); });
    if (ec) return IOError(Describe("sending the request", ec));
    return ReadResponse(request.method() == beast_http::verb::head);
  }

  ~Exchange() { Close(); }

 private:
  static Stream MakeStream(net::io_context& io, net::ssl::context* tls) {
    if constexpr (kTls) {
      return Stream(io, *tls);
    } else {
      return Stream(io);
    }
  }

  std::string Describe(std::string_view step, beast::error_code ec) const {
    const bool timed_out = ec == net::error::timed_out;
    return "forwarding to " + url_.original + ": " + std::string(step) +
           (timed_out ? " timed out" : " failed: " + ec.message());
  }

  // Starts the operation with a `done(error_code)` callback and runs it to
  // completion, or until the deadline, when `cancel` aborts it and the
  // result is timed_out.
  template <class Start, class Cancel>
  beast::error_code Await(Start start, Cancel cancel) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec) { result = ec; });
    io_.restart();
    io_.run_until(deadline_);
    if (result) return *result;
    cancel();
    io_.restart();
    io_.run();  // lets the aborted operation finish before `result` dies
    return net::error::timed_out;
  }

  Status Connect() {
    std::vector<tcp::endpoint> endpoints;
    beast::error_code ec;
    const auto literal = net::ip::make_address(url_.host, ec);
    if (!ec) {
      endpoints.emplace_back(literal, static_cast<unsigned short>(std::stoi(url_.port)));
    } else {
      // Asio resolves on a helper thread; a cancelled lookup still waits for
      // getaddrinfo to return (bounded by the system resolver's timeout).
      tcp::resolver resolver(io_);
      ec = Await(
          [&](auto done) {
            resolver.async_resolve(url_.host, url_.port,
                                   [&endpoints, done](beast::error_code e, auto results) {
                                     for (const auto& entry : results) {
                                       endpoints.push_back(entry.endpoint());
                                     }
                                     done(e);
                                   });
          },
          [&] { resolver.cancel(); });
      if (ec) return UnavailableError(Describe("resolving " + url_.host, ec));
    }
    ec = Await(
        [&](auto done) {
          beast::get_lowest_layer(stream_).async_connect(
              endpoints, [done](beast::error_code e, const tcp::endpoint&) { done(e); });
        },
        [&] { Close(); });
    if (ec) return UnavailableError(Describe("connecting", ec));
    if constexpr (kTls) {
      // SNI carries host names only (RFC 6066, 3).
      beast::error_code not_an_address;
      net::ip::make_address(url_.host, not_an_address);
      if (not_an_address && !SSL_set_tlsext_host_name(stream_.native_handle(), url_.host.c_str())) {
        return UnavailableError("forwarding to " + url_.original + ": cannot set TLS SNI");
      }
      stream_.set_verify_callback(net::ssl::host_name_verification(url_.host));
      ec = Await([&](auto done) { stream_.async_handshake(net::ssl::stream_base::client, done); },
                 [&] { Close(); });
      if (ec) return UnavailableError(Describe("the TLS handshake", ec));
    }
    return Status::Ok();
  }

  StatusOr<HttpResponse> ReadResponse(bool head) {
    for (;;) {
      beast_http::response_parser<beast_http::string_body> parser;
      parser.body_limit(kMaxResponseBodyBytes);
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.skip(head);
      beast::error_code ec = Await(
          [&](auto done) {
            beast_http::async_read(stream_, buffer_, parser,
                                   [done](beast::error_code e, std::size_t) { done(e); });
          },
          [&] { Close(); });
      if (ec) return IOError(Describe("reading the answer", ec));
      HttpResponse response = parser.release();
      // An interim 1xx answer (we never send Expect, but a server may send
      // 103 Early Hints) is followed by the real one.
      if (beast_http::to_status_class(response.result()) ==
          beast_http::status_class::informational) {
        continue;
      }
      return response;
    }
  }

  void Close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  const BaseUrl& url_;
  const SteadyClock::time_point deadline_;
  net::io_context io_;
  Stream stream_;
  beast::flat_buffer buffer_;
};

// Removes the hop-by-hop headers of the active's answer; the length is
// recomputed by whoever writes the body.
void StripHopByHop(HttpResponse& response) {
  const std::set<std::string> connection_tokens = ConnectionTokens(response);
  std::vector<std::string> doomed;
  for (const auto& field : response) {
    const std::string name = Lowercase(ToStdView(field.name_string()));
    if (IsHopByHop(name, connection_tokens)) doomed.push_back(name);
  }
  for (const auto& name : doomed) response.erase(name);
}

bool StatusForbidsBody(unsigned status) { return status < 200 || status == 204 || status == 304; }

std::string TrimTrailingSlashes(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

HttpResponse RedirectToActive(const std::string& active_url, const HttpRequest& request,
                              const ResponseContext& context) {
  HttpResponse response{beast_http::status::temporary_redirect, context.http_version};
  response.set(beast_http::field::location,
               TrimTrailingSlashes(active_url) + std::string(ToStdView(request.target())));
  response.set(beast_http::field::cache_control, "no-store");
  response.content_length(0);
  return response;
}

// The active's answer as this node sends it on: same status, headers and
// body, in the client's HTTP version.
HttpResponse Relay(HttpResponse answer, const ResponseContext& context) {
  answer.version(context.http_version);
  if (!context.head_only) {
    // HEAD keeps the active's Content-Length (that of the GET) and no body.
    answer.erase(beast_http::field::content_length);
    if (StatusForbidsBody(answer.result_int())) {
      answer.body().clear();
    } else {
      answer.content_length(answer.body().size());
    }
  }
  return answer;
}

// The path part of a request target, for logs: the query may carry
// sensitive values and is never logged.
std::string LoggablePath(const HttpRequest& request) {
  const std::string_view target = ToStdView(request.target());
  return std::string(target.substr(0, target.find('?')));
}

}  // namespace

StatusOr<HttpResponse> ForwardRequest(const std::string& base_url, const HttpRequest& request,
                                      const ForwardOptions& options) {
  TRESOR_ASSIGN_OR_RETURN(const BaseUrl url, ParseBaseUrl(base_url));
  const auto deadline = SteadyClock::now() + options.timeout;
  try {
    HttpRequest forwarded = BuildForwardedRequest(url, request, options);
    StatusOr<HttpResponse> answer = InternalError("unset");
    if (url.tls) {
      StatusOr<std::shared_ptr<net::ssl::context>> context =
          options.tls_ca_file.empty() ? DefaultClientTlsContext()
                                      : MakeClientTlsContext(options.tls_ca_file);
      if (!context.ok()) return context.status();
      Exchange<beast::ssl_stream<beast::tcp_stream>> exchange(url, deadline, context->get());
      answer = exchange.Run(forwarded);
    } else {
      Exchange<beast::tcp_stream> exchange(url, deadline, nullptr);
      answer = exchange.Run(forwarded);
    }
    if (answer.ok()) StripHopByHop(*answer);
    return answer;
  } catch (const std::exception& e) {
    // Beast and Asio report misuse by exception; none is expected here.
    return InternalError("forwarding to " + base_url + " failed: " + e.what());
  }
}

HttpResponse RedirectAsStandby(const std::string& active_url, const HttpRequest& request,
                               const ResponseContext& context) {
  if (active_url.empty() || request.find(BeastView(kForwardedHeader)) != request.end()) {
    return BuildHttpResponse(UnavailableError(std::string(kNoActiveNodeMessage)), context);
  }
  return RedirectToActive(active_url, request, context);
}

HttpResponse AnswerAsStandby(const std::string& active_url, const HttpRequest& request,
                             std::string_view client_address, const ResponseContext& context) {
  const bool already_forwarded = request.find(BeastView(kForwardedHeader)) != request.end();
  if (active_url.empty() || already_forwarded) {
    if (already_forwarded) {
      spdlog::warn(
          "http: {} {} was forwarded here by a standby, but this node is a standby too; "
          "answering 503",
          std::string(ToStdView(request.method_string())), LoggablePath(request));
    }
    return BuildHttpResponse(UnavailableError(std::string(kNoActiveNodeMessage)), context);
  }
  if (request.find(BeastView(kNoForwardingHeader)) != request.end()) {
    return RedirectToActive(active_url, request, context);
  }
  ForwardOptions options;
  options.client_address = std::string(client_address);
  StatusOr<HttpResponse> answer = ForwardRequest(active_url, request, options);
  if (answer.ok()) return Relay(std::move(*answer), context);
  spdlog::warn("http: {} {}: {}", std::string(ToStdView(request.method_string())),
               LoggablePath(request), answer.status().message());
  if (answer.status().code() == StatusCode::kIOError) {
    return BuildHttpResponse(IOError("error " + answer.status().message()), context);
  }
  return RedirectToActive(active_url, request, context);
}

}  // namespace tresor::http
