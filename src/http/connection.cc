#include "http/connection.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <optional>
#include <type_traits>

#include "http/forwarder.h"
#include "http/request_parser.h"
#include "http/response_writer.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Go's net/http allows 1 MiB of headers; Beast's default (8 KiB) is too
// small for long policies in headers, 64 KiB is plenty for Vault's API.
constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// After the last response (a 413, say) the client may still be sending; we
// read and discard for a little while so that closing does not reset the
// connection before the client has read the response ("lingering close").
constexpr std::chrono::seconds kLingerTimeout{2};
constexpr std::size_t kMaxLingerBytes = 1024 * 1024;

std::string FormatEndpoint(const tcp::endpoint& endpoint) {
  const auto address = endpoint.address();
  std::string host = address.to_string();
  if (address.is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

// The path part of a request target, for logs: the query may carry
// sensitive values and is never logged.
std::string LoggablePath(std::string_view target) {
  return std::string(target.substr(0, target.find('?')));
}

template <class Stream>
class Connection final : public DrainableConnection,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Connection(tcp::socket socket, ConnectionEnvironment env, std::string remote_address)
      : executor_(socket.get_executor()),
        env_(std::move(env)),
        stream_(MakeStream(std::move(socket), env_)),
        remote_address_(std::move(remote_address)) {}

  ~Connection() override {
    if (id_) env_.registry->Remove(*id_);
  }

  // Called once, right after construction, from the accepting thread.
  void Start() {
    id_ = env_.registry->Add(this->weak_from_this());
    net::dispatch(executor_, [self = this->shared_from_this()] { self->Run(); });
  }

  void BeginDrain() override {
    net::post(executor_, [self = this->shared_from_this()] { self->OnDrain(); });
  }

 private:
  enum class State {
    kStarting,
    kWaitingForRequest,
    kReadingRequest,
    kHandling,
    kWriting,
    kClosing,
    kClosed
  };

  static Stream MakeStream(tcp::socket socket, const ConnectionEnvironment& env) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *env.tls_context);
    } else {
      return Stream(std::move(socket));
    }
  }

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }
  const ListenerOptions& Options() const { return *env_.options; }

  void Run() {
    if (!id_) return Close();  // the server is draining
    if constexpr (kTls) {
      // The handshake counts against the first request's header timeout.
      Tcp().expires_after(Options().read_header_timeout);
      stream_.async_handshake(net::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->WaitForRequest(/*first=*/true);
                              });
    } else {
      WaitForRequest(/*first=*/true);
    }
  }

  // Waits for the first byte of the next request: up to the header timeout
  // on a new connection, up to the idle timeout between requests.
  void WaitForRequest(bool first) {
    if (env_.registry->draining()) return Close();
    state_ = State::kWaitingForRequest;
    parser_.emplace();
    parser_->body_limit(Options().max_request_size);
    parser_->header_limit(kMaxHeaderBytes);
    if (buffer_.size() > 0) return ReadHeader();  // pipelined bytes already here
    Tcp().expires_after(first ? Options().read_header_timeout : Options().idle_timeout);
    stream_.async_read_some(buffer_.prepare(kReadChunk),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->buffer_.commit(n);
                              if (ec) return self->Close();
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    state_ = State::kReadingRequest;
    request_start_ = SteadyClock::now();
    Tcp().expires_after(std::min(Options().read_header_timeout, Options().read_timeout));
    beast_http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec) return self->OnReadError(ec);
          self->OnHeader();
        });
  }

  void OnHeader() {
    const auto& header = parser_->get();
    auto expect = header.find(beast_http::field::expect);
    if (expect != header.end() && beast::iequals(expect->value(), "100-continue") &&
        !parser_->is_done()) {
      // curl waits a second for this before sending a body over 1 KiB.
      continue_ = std::make_unique<beast_http::response<beast_http::empty_body>>(
          beast_http::status::continue_, header.version());
      SetWriteExpiry();
      beast_http::async_write(stream_, *continue_,
                              [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                                self->continue_.reset();
                                if (ec) return self->Close();
                                self->ReadBody();
                              });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    Tcp().expires_at(request_start_ + Options().read_timeout);
    beast_http::async_read(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                             if (ec) return self->OnReadError(ec);
                             self->OnRequest();
                           });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == beast_http::error::body_limit) {
      return RespondAndClose(TooLargeError("request body too large: the limit is " +
                                           std::to_string(Options().max_request_size) + " bytes"));
    }
    if (ec == beast_http::error::header_limit) {
      return RespondAndClose(TooLargeError("request headers too large"));
    }
    // A malformed message earns a 400; a timeout, a reset or a client that
    // went away mid-message gets nothing more.
    const bool malformed =
        ec.category() == beast_http::make_error_code(beast_http::error::bad_target).category() &&
        ec != beast_http::error::end_of_stream && ec != beast_http::error::partial_message;
    if (malformed) return RespondAndClose(InvalidArgumentError("malformed HTTP request"));
    Close();
  }

  void RespondAndClose(const Status& status) {
    ResponseContext context;
    context.keep_alive = false;
    if (parser_ && parser_->is_header_done()) {
      const auto& header = parser_->get();
      context.head_only = header.method() == beast_http::verb::head;
      context.http_version = header.version();
      log_method_ = std::string(header.method_string());
      log_path_ = LoggablePath(ToStdView(header.target()));
    } else {
      log_method_ = "-";
      log_path_ = "-";
    }
    Write(BuildHttpResponse(status, context), /*keep_alive=*/false);
  }

  void OnRequest() {
    state_ = State::kHandling;
    Tcp().expires_never();
    HttpRequest request = parser_->release();
    parser_.reset();
    log_method_ = std::string(request.method_string());
    log_path_ = LoggablePath(ToStdView(request.target()));
    net::post(*env_.workers, [self = this->shared_from_this(), request = std::move(request)] {
      self->HandleOnWorker(request);
    });
  }

  // Runs on a worker thread. Touches only immutable members and `request`.
  void HandleOnWorker(const HttpRequest& request) {
    ResponseContext context;
    context.http_version = request.version();
    context.head_only = request.method() == beast_http::verb::head;
    context.keep_alive = request.keep_alive();
    StatusOr<core::Response> result = InternalError("internal error");
    auto parsed = ParseApiRequest(request, remote_address_);
    if (!parsed.ok()) {
      result = parsed.status();
    } else {
      context.request_id = parsed->request_id;
      context.head_only = parsed->head_only;
      try {
        // A standby relays the request to the active node (http/forwarder.h).
        if (auto active_url = env_.handler->ForwardTarget(*parsed)) {
          return Respond(AnswerAsStandby(*active_url, request, remote_address_, context),
                         context.keep_alive);
        }
        result = env_.handler->Handle(*parsed);
      } catch (const std::exception& e) {
        // Handlers report errors as Status; an escaped exception is a bug,
        // but it must not take the worker thread (and the process) down.
        spdlog::error("http: request handler threw for request_id={}: {}", parsed->request_id,
                      e.what());
        result = InternalError("internal error");
      }
    }
    Respond(BuildHttpResponse(result, context), context.keep_alive);
  }

  // Hands `response` from the worker back to the strand for writing.
  void Respond(HttpResponse response, bool keep_alive) {
    net::post(executor_, [self = this->shared_from_this(), response = std::move(response),
                          keep_alive]() mutable { self->Write(std::move(response), keep_alive); });
  }

  void SetWriteExpiry() {
    if (Options().write_timeout.count() > 0) {
      Tcp().expires_after(Options().write_timeout);
    } else {
      Tcp().expires_never();
    }
  }

  void Write(HttpResponse response, bool keep_alive) {
    if (state_ == State::kClosed) return;
    keep_alive_ = keep_alive && !env_.registry->draining();
    response_ = std::make_unique<HttpResponse>(std::move(response));
    response_->keep_alive(keep_alive_);
    state_ = State::kWriting;
    SetWriteExpiry();
    beast_http::async_write(stream_, *response_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->OnWrite(ec);
                            });
  }

  void OnWrite(beast::error_code ec) {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - request_start_);
    spdlog::debug("http: {} {} -> {} in {:.3f} ms from {}{}", log_method_, log_path_,
                  response_->result_int(), elapsed.count() / 1000.0, remote_address_,
                  ec ? " (write failed)" : "");
    response_.reset();
    if (ec) return Close();
    if (!keep_alive_) return CloseGracefully();
    WaitForRequest(/*first=*/false);
  }

  void OnDrain() {
    // A request being handled or answered finishes first; Write sees the
    // registry draining and closes after the response.
    if (state_ == State::kHandling || state_ == State::kWriting) return;
    Close();
  }

  // Stops sending, then reads and discards what the client still sends for
  // a moment, so the final response is not lost to a TCP reset.
  void CloseGracefully() {
    state_ = State::kClosing;
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Tcp().expires_after(kLingerTimeout);
    Linger();
  }

  void Linger() {
    Tcp().async_read_some(net::buffer(linger_buffer_),
                          [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                            self->lingered_bytes_ += n;
                            if (ec || self->lingered_bytes_ > kMaxLingerBytes) {
                              return self->Close();
                            }
                            self->Linger();
                          });
  }

  void Close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    beast::error_code ignored;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Tcp().close();  // cancels any pending operation
  }

  const net::any_io_executor executor_;  // the strand all socket work runs on
  const ConnectionEnvironment env_;
  Stream stream_;
  const std::string remote_address_;
  std::optional<std::uint64_t> id_;  // set by Start, before any other thread sees us

  // Strand-only state below.
  State state_ = State::kStarting;
  beast::flat_buffer buffer_;
  std::optional<beast_http::request_parser<beast_http::string_body>> parser_;
  std::unique_ptr<beast_http::response<beast_http::empty_body>> continue_;
  std::unique_ptr<HttpResponse> response_;
  bool keep_alive_ = false;
  SteadyClock::time_point request_start_ = SteadyClock::now();
  std::string log_method_;
  std::string log_path_;
  std::array<char, 4096> linger_buffer_{};
  std::size_t lingered_bytes_ = 0;
};

}  // namespace

void ServeConnection(tcp::socket socket, const ConnectionEnvironment& env) {
  beast::error_code ec;
  const tcp::endpoint remote = socket.remote_endpoint(ec);
  // A peer that vanished between accept and here is simply dropped.
  if (ec) return;
  std::string remote_address = FormatEndpoint(remote);
  if (env.tls_context) {
    auto connection = std::make_shared<Connection<beast::ssl_stream<beast::tcp_stream>>>(
        std::move(socket), env, std::move(remote_address));
    connection->Start();
  } else {
    auto connection = std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), env,
                                                                      std::move(remote_address));
    connection->Start();
  }
}

}  // namespace tresor::http
