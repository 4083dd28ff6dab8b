#include "http/listener.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <charconv>

#include "http/tls_context.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

// After an accept failure such as EMFILE, wait before trying again rather
// than spinning on the same error.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};

std::string FormatBound(const tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

StatusOr<std::pair<std::string, unsigned short>> SplitHostPort(std::string_view address) {
  std::string_view host;
  std::string_view port;
  if (!address.empty() && address.front() == '[') {
    const std::size_t close = address.find(']');
    if (close == std::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return InvalidArgumentError("invalid listener address \"" + std::string(address) +
                                  "\": want [host]:port");
    }
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos || address.find(':') != colon) {
      return InvalidArgumentError("invalid listener address \"" + std::string(address) +
                                  "\": want host:port");
    }
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned short port_number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) {
    return InvalidArgumentError("invalid port in listener address \"" + std::string(address) +
                                "\"");
  }
  return std::make_pair(std::string(host), port_number);
}

Listener::Listener(net::io_context& io, ConnectionEnvironment env)
    : io_(io),
      env_(std::move(env)),
      acceptor_(net::make_strand(io)),
      retry_timer_(acceptor_.get_executor()) {}

StatusOr<std::shared_ptr<Listener>> Listener::Bind(net::io_context& io,
                                                   const ListenerOptions& options,
                                                   ConnectionEnvironment env) {
  TRESOR_ASSIGN_OR_RETURN(auto host_port, SplitHostPort(options.address));
  env.options = std::make_shared<const ListenerOptions>(options);
  env.tls_context.reset();
  if (!options.tls_disable) {
    TRESOR_ASSIGN_OR_RETURN(env.tls_context, MakeServerTlsContext(options));
  }

  boost::system::error_code ec;
  tcp::endpoint endpoint;
  if (host_port.first.empty()) {
    endpoint = tcp::endpoint(tcp::v4(), host_port.second);
  } else {
    tcp::resolver resolver(io);
    auto results = resolver.resolve(host_port.first, std::to_string(host_port.second),
                                    tcp::resolver::passive | tcp::resolver::numeric_service, ec);
    if (ec || results.empty()) {
      return InvalidArgumentError("cannot resolve listener address \"" + options.address +
                                  "\": " + ec.message());
    }
    endpoint = results.begin()->endpoint();
  }

  auto listener = std::make_shared<Listener>(io, std::move(env));
  auto& acceptor = listener->acceptor_;
  const auto fail = [&](std::string_view what) {
    return IOError("failed to listen on " + options.address + ": " + std::string(what) + ": " +
                   ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  // Lets a restarted server bind while old connections sit in TIME_WAIT;
  // on Linux it does not allow two live listeners on one port.
  acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  const tcp::endpoint bound = acceptor.local_endpoint(ec);
  if (ec) return fail("local_endpoint");
  listener->bound_address_ = FormatBound(bound);
  return listener;
}

void Listener::StartAccepting() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
}

void Listener::Stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    boost::system::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

void Listener::CloseNow() {
  stopped_ = true;
  boost::system::error_code ignored;
  retry_timer_.cancel();
  acceptor_.close(ignored);
}

void Listener::Accept() {
  if (stopped_) return;
  // Each connection gets its own strand, so connections proceed in
  // parallel on the I/O threads while each one's steps stay ordered.
  acceptor_.async_accept(
      net::make_strand(io_),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        self->OnAccept(ec, std::move(socket));
      });
}

void Listener::OnAccept(boost::system::error_code ec, tcp::socket socket) {
  if (stopped_ || ec == net::error::operation_aborted) return;
  if (ec) {
    spdlog::warn("http: accept on {} failed: {}", bound_address_, ec.message());
    retry_timer_.expires_after(kAcceptRetryDelay);
    retry_timer_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
      if (!wait_ec) self->Accept();
    });
    return;
  }
  ServeConnection(std::move(socket), env_);
  Accept();
}

}  // namespace tresor::http
