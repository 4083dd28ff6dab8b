// A bound TCP acceptor for one `listener "tcp"` block: accepts connections
// and hands each to ServeConnection with the listener's options and TLS
// context.
//
// Owned by http::Server, which creates it with Bind (at AddListener time,
// so a bad address or certificate is reported at once), calls
// StartAccepting once the I/O threads run, and Stop/CloseNow on shutdown.
//
// Threads: the acceptor lives on its own strand; StartAccepting and Stop may
// be called from any thread. CloseNow only when no I/O thread runs.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>

#include "common/status.h"
#include "http/connection.h"
#include "http/listener_options.h"

namespace tresor::http {

// Splits "host:port" or "[v6]:port". An empty host means all interfaces.
// Returns InvalidArgument for a missing or non-numeric port.
StatusOr<std::pair<std::string, unsigned short>> SplitHostPort(std::string_view address);

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // Resolves options.address, loads the TLS context (unless tls_disable),
  // and binds and listens. `env` supplies everything but options and TLS.
  // Returns InvalidArgument for a bad address, tls_min_version or
  // certificate/key file (the message names the file), IOError naming the
  // address when it cannot be bound (in use, not local, no permission).
  static StatusOr<std::shared_ptr<Listener>> Bind(boost::asio::io_context& io,
                                                  const ListenerOptions& options,
                                                  ConnectionEnvironment env);

  // "host:port" actually bound (with the real port when 0 was asked for).
  const std::string& bound_address() const { return bound_address_; }

  // Begins the accept loop on the listener's strand.
  void StartAccepting();
  // Stops accepting and closes the socket, on the strand (asynchronously).
  void Stop();
  // Closes the socket now. REQUIRES: no thread is running the io_context.
  void CloseNow();

  // Use Bind.
  Listener(boost::asio::io_context& io, ConnectionEnvironment env);

 private:
  void Accept();
  void OnAccept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::io_context& io_;
  const ConnectionEnvironment env_;
  boost::asio::ip::tcp::acceptor acceptor_;  // on its own strand
  boost::asio::steady_timer retry_timer_;    // same strand
  std::string bound_address_;
  bool stopped_ = false;  // strand-only
};

}  // namespace tresor::http
