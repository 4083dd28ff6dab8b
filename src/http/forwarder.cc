#include "http/forwarder.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <exception>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <type_traits>
#include <vector>

#include "common/metrics.h"

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
  out.keep_alive(true);  // the connection is pooled (ForwardPooled)
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

// A connection to the active node, kept open between forwarded requests
// (tearing one down and setting up another per request halved a standby's
// write rate). Used by one thread at a time: it is either in the pool or
// owned by the call using it.
template <class Stream>
struct Connection {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  explicit Connection(std::shared_ptr<net::ssl::context> context)
      : tls(std::move(context)), stream(MakeStream(io, tls.get())) {}

  static Stream MakeStream(net::io_context& io, net::ssl::context* context) {
    if constexpr (kTls) {
      return Stream(io, *context);
    } else {
      return Stream(io);
    }
  }

  // False when the active closed the connection while it was idle (or
  // sent anything unasked, which leaves it unusable): a non-blocking peek
  // finds end of stream, an error or bytes. Catches the active's idle
  // timeout and restarts before a request is written into a dead socket.
  bool StillOpen() {
    if (buffer.size() > 0) return false;
    auto& socket = beast::get_lowest_layer(stream).socket();
    if (!socket.is_open()) return false;
    char byte;
    const ssize_t got = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  void Close() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream).socket().close(ignored);
  }

  std::shared_ptr<net::ssl::context> tls;  // outlives `stream`
  net::io_context io;
  Stream stream;
  beast::flat_buffer buffer;
  SteadyClock::time_point idle_since;
};

// Idle connections to each active node (keyed by base URL and CA file),
// at most kMaxIdlePerTarget each, closed after kMaxIdle unused. Requests
// in flight at once each take their own connection, so under load the pool
// holds about as many connections as the standby has concurrent clients.
template <class Stream>
class ConnectionPool {
 public:
  using Pooled = std::unique_ptr<Connection<Stream>>;
  // Below the active's http_idle_timeout default (5 minutes), and short
  // enough that a standby holds no sockets long after a burst.
  static constexpr std::chrono::seconds kMaxIdle{30};
  static constexpr std::size_t kMaxIdlePerTarget = 128;

  static ConnectionPool& Instance() {
    static ConnectionPool pool;
    return pool;
  }

  // The most recently used idle connection to `key`, idle for less than
  // `max_idle`, that is still open, or null.
  Pooled Take(const std::string& key, std::chrono::steady_clock::duration max_idle) {
    for (;;) {
      Pooled taken;
      {
        std::lock_guard lock(mu_);
        auto it = idle_.find(key);
        if (it == idle_.end() || it->second.empty()) return nullptr;
        taken = std::move(it->second.back());
        it->second.pop_back();
      }
      if (SteadyClock::now() - taken->idle_since < max_idle && taken->StillOpen()) return taken;
    }
  }

  // Keeps `connection` for the next request to `key` and closes the
  // connections that have been idle too long, to any target.
  void Give(const std::string& key, Pooled connection) {
    const auto now = SteadyClock::now();
    connection->idle_since = now;
    std::vector<Pooled> expired;  // closed outside the lock
    std::lock_guard lock(mu_);
    for (auto it = idle_.begin(); it != idle_.end();) {
      auto& list = it->second;
      // Oldest first: the list is in the order connections were returned.
      auto fresh = std::find_if(list.begin(), list.end(),
                                [now](const Pooled& c) { return now - c->idle_since < kMaxIdle; });
      std::move(list.begin(), fresh, std::back_inserter(expired));
      list.erase(list.begin(), fresh);
      it = list.empty() && it->first != key ? idle_.erase(it) : std::next(it);
    }
    auto& list = idle_[key];
    if (list.size() < kMaxIdlePerTarget) list.push_back(std::move(connection));
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<Pooled>> idle_;  // guarded by mu_
};

// One request/response exchange on a connection, each step an asynchronous
// operation run on this thread until it completes or the deadline passes.
template <class Stream>
class Exchange {
 public:
  static constexpr bool kTls = Connection<Stream>::kTls;

  Exchange(const BaseUrl& url, SteadyClock::time_point deadline, Connection<Stream>& connection)
      : url_(url), deadline_(deadline), c_(connection) {}

  // Sends the request; IOError when that failed.
  Status Send(HttpRequest& request) {
    beast::error_code ec = Await(
        [&](auto done) {
          beast_http::async_write(c_.stream, request,
                                  [done](beast::error_code e, std::size_t) { done(e); });
        },
        [&] { c_.Close(); });
    if (ec) return IOError(Describe("sending the request", ec));
    return Status::Ok();
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
      tcp::resolver resolver(c_.io);
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
          beast::get_lowest_layer(c_.stream)
              .async_connect(endpoints,
                             [done](beast::error_code e, const tcp::endpoint&) { done(e); });
        },
        [&] { c_.Close(); });
    if (ec) return UnavailableError(Describe("connecting", ec));
    beast::get_lowest_layer(c_.stream).socket().set_option(tcp::no_delay(true), ec);
    if constexpr (kTls) {
      // SNI carries host names only (RFC 6066, 3).
      beast::error_code not_an_address;
      net::ip::make_address(url_.host, not_an_address);
      if (not_an_address &&
          !SSL_set_tlsext_host_name(c_.stream.native_handle(), url_.host.c_str())) {
        return UnavailableError("forwarding to " + url_.original + ": cannot set TLS SNI");
      }
      c_.stream.set_verify_callback(net::ssl::host_name_verification(url_.host));
      ec = Await([&](auto done) { c_.stream.async_handshake(net::ssl::stream_base::client, done); },
                 [&] { c_.Close(); });
      if (ec) return UnavailableError(Describe("the TLS handshake", ec));
    }
    return Status::Ok();
  }

  // `got_nothing` is set when the read failed before the first byte of
  // an answer.
  StatusOr<HttpResponse> ReadResponse(bool head, bool* got_nothing = nullptr) {
    for (bool first = true;; first = false) {
      beast_http::response_parser<beast_http::string_body> parser;
      parser.body_limit(kMaxResponseBodyBytes);
      parser.header_limit(kMaxResponseHeaderBytes);
      parser.skip(head);
      beast::error_code ec = Await(
          [&](auto done) {
            beast_http::async_read(c_.stream, c_.buffer, parser,
                                   [done](beast::error_code e, std::size_t) { done(e); });
          },
          [&] { c_.Close(); });
      if (ec) {
        if (got_nothing != nullptr) *got_nothing = first && !parser.got_some();
        return IOError(Describe("reading the answer", ec));
      }
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

 private:
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
    c_.io.restart();
    c_.io.run_until(deadline_);
    if (result) return *result;
    cancel();
    c_.io.restart();
    c_.io.run();  // lets the aborted operation finish before `result` dies
    return net::error::timed_out;
  }

  const BaseUrl& url_;
  const SteadyClock::time_point deadline_;
  Connection<Stream>& c_;
};

// Requests that may be sent twice: a read asks nothing of the active.
bool Replayable(const HttpRequest& request) {
  switch (request.method()) {
    case beast_http::verb::get:
    case beast_http::verb::head:
    case beast_http::verb::options:
      return true;
    case beast_http::verb::unknown:
      return ToStdView(request.method_string()) == "LIST";
    default:
      return false;
  }
}

// A write goes only on a connection idle for less than this: a server
// closes a connection it has not read from only at its idle timeout (or
// when it stops), and a write caught in that race could not be sent again
// (see ForwardPooled). Under load connections are reused within
// milliseconds; a lone write now and then gets a new one.
constexpr std::chrono::seconds kMaxIdleForWrites{1};

// Forwards on a pooled connection when one is open, else on a new one,
// which goes back to the pool after a complete keep-alive answer. On a
// pooled connection the active may have closed just as the request went
// out (its idle timeout): the request is sent again on a new connection
// when the send failed (the active closed the connection unread: it
// answers every request it reads before it closes), or when no byte of
// an answer came and the request is replayable. A write whose answer was
// lost after it was sent is never sent again (the active may have applied
// it): that is an IOError, as on a new connection.
template <class Stream>
StatusOr<HttpResponse> ForwardPooled(const BaseUrl& url, const std::string& pool_key,
                                     HttpRequest& request, SteadyClock::time_point deadline,
                                     const std::string& tls_ca_file) {
  auto& pool = ConnectionPool<Stream>::Instance();
  const bool replayable = Replayable(request);
  const std::chrono::steady_clock::duration max_idle =
      replayable ? std::chrono::steady_clock::duration(ConnectionPool<Stream>::kMaxIdle)
                 : kMaxIdleForWrites;
  for (int attempt = 0;; ++attempt) {
    auto connection = attempt == 0 ? pool.Take(pool_key, max_idle) : nullptr;
    const bool reused = connection != nullptr;
    if (!reused) {
      std::shared_ptr<net::ssl::context> tls;
      if constexpr (Connection<Stream>::kTls) {
        // Built only for a new connection: loading a CA file takes time.
        TRESOR_ASSIGN_OR_RETURN(tls, tls_ca_file.empty() ? DefaultClientTlsContext()
                                                         : MakeClientTlsContext(tls_ca_file));
      }
      connection = std::make_unique<Connection<Stream>>(std::move(tls));
    }
    Exchange<Stream> exchange(url, deadline, *connection);
    if (!reused) TRESOR_RETURN_IF_ERROR(exchange.Connect());
    if (Status sent = exchange.Send(request); !sent.ok()) {
      if (reused) continue;
      return sent;
    }
    bool got_nothing = false;
    StatusOr<HttpResponse> answer =
        exchange.ReadResponse(request.method() == beast_http::verb::head, &got_nothing);
    if (!answer.ok() && reused && replayable && got_nothing) continue;
    if (answer.ok() && answer->keep_alive()) pool.Give(pool_key, std::move(connection));
    return answer;
  }
}

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

// The 503 of a standby that knows no active node; `forwarded`: the request
// came from another standby, which is told it may ask again.
HttpResponse NoActiveNode(bool forwarded, const ResponseContext& context) {
  HttpResponse answer =
      BuildHttpResponse(UnavailableError(std::string(kNoActiveNodeMessage)), context);
  if (forwarded) answer.set(BeastView(kNotActiveHeader), "1");
  return answer;
}

}  // namespace

StatusOr<HttpResponse> ForwardRequest(const std::string& base_url, const HttpRequest& request,
                                      const ForwardOptions& options) {
  static metrics::Summary& forward = metrics::Default().GetSummary(
      "vault.ha.rpc.client.forward", "Time for a standby to forward a request to the active (ms).");
  metrics::ScopedTimer timer(forward);
  TRESOR_ASSIGN_OR_RETURN(const BaseUrl url, ParseBaseUrl(base_url));
  const auto deadline = SteadyClock::now() + options.timeout;
  try {
    HttpRequest forwarded = BuildForwardedRequest(url, request, options);
    StatusOr<HttpResponse> answer = InternalError("unset");
    if (url.tls) {
      answer = ForwardPooled<beast::ssl_stream<beast::tcp_stream>>(
          url, url.original + "\n" + options.tls_ca_file, forwarded, deadline,
          options.tls_ca_file);
    } else {
      answer = ForwardPooled<beast::tcp_stream>(url, url.original, forwarded, deadline, "");
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
  const bool already_forwarded = request.find(BeastView(kForwardedHeader)) != request.end();
  if (active_url.empty() || already_forwarded) return NoActiveNode(already_forwarded, context);
  return RedirectToActive(active_url, request, context);
}

HttpResponse AnswerAsStandby(const std::string& active_url, const HttpRequest& request,
                             std::string_view client_address, const ResponseContext& context) {
  const bool already_forwarded = request.find(BeastView(kForwardedHeader)) != request.end();
  if (active_url.empty() || already_forwarded) {
    if (already_forwarded) {
      // Routine during a change of active node: the standby asks again.
      spdlog::debug(
          "http: {} {} was forwarded here by a standby, but this node is not the active one; "
          "answering 503",
          std::string(ToStdView(request.method_string())), LoggablePath(request));
    }
    return NoActiveNode(already_forwarded, context);
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

bool IsNotActiveAnswer(const HttpResponse& answer) {
  return answer.result() == beast_http::status::service_unavailable &&
         answer.find(BeastView(kNotActiveHeader)) != answer.end();
}

}  // namespace tresor::http
