#include "http/connection.h"

#include "http/connection_internal.h"

namespace tresor::http {
namespace {

std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace

void ServeConnection(boost::asio::ip::tcp::socket socket, const ConnectionEnvironment& env) {
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  // A peer that vanished between accept and here is simply dropped.
  if (ec) return;
  std::string remote_address = FormatEndpoint(remote);
  if (env.tls_context) {
    connection_internal::ServeTlsConnection(std::move(socket), env, std::move(remote_address));
  } else {
    connection_internal::ServePlainConnection(std::move(socket), env, std::move(remote_address));
  }
}

}  // namespace tresor::http
