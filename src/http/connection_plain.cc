// The plain-text instantiation of the connection state machine
// (connection_internal.h explains why each stream type has its own file).
#include "http/connection_internal.h"

namespace tresor::http::connection_internal {

void ServePlainConnection(tcp::socket socket, const ConnectionEnvironment& env,
                          std::string remote_address) {
  std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), env, std::move(remote_address))
      ->Start();
}

}  // namespace tresor::http::connection_internal
