// One accepted HTTP/1.1 connection, plain or TLS: reads requests with
// Beast's request_parser under the listener's limits and timeouts, hands
// each complete request to a worker thread (request_parser, then
// core::RequestHandler::Handle, then response_writer), and writes the
// response back on the connection's strand. Keep-alive until the client,
// a timeout, an error or a server drain ends it.
//
// Created by listener.cc for every accepted socket. The connection keeps
// itself alive through the handlers it has outstanding; nobody owns it.
//
// Threads: all socket work happens on the connection's strand (an I/O
// thread); the handler runs on the worker pool and never touches the
// socket. Handlers of many connections run at once, up to the pool size;
// further requests queue in the pool without holding an I/O thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>
#include <string>

#include "core/request.h"
#include "http/connection_registry.h"
#include "http/listener_options.h"

namespace tresor::http {

// What every connection of a listener shares. The pointers outlive every
// connection (http::Server owns them and joins all threads first).
struct ConnectionEnvironment {
  core::RequestHandler* handler = nullptr;
  boost::asio::thread_pool* workers = nullptr;
  ConnectionRegistry* registry = nullptr;
  std::shared_ptr<const ListenerOptions> options;
  // Null for a plain-text listener.
  std::shared_ptr<boost::asio::ssl::context> tls_context;
};

// Starts serving `socket`, whose executor must be a strand of the I/O
// context. Returns at once; the connection registers with env.registry and
// closes itself when draining has already begun.
void ServeConnection(boost::asio::ip::tcp::socket socket, const ConnectionEnvironment& env);

}  // namespace tresor::http
