// The connection state machine behind ServeConnection (connection.h), a
// template over the stream type. Only connection_plain.cc and
// connection_tls.cc include it, each instantiating one stream type: the two
// instantiations are the heaviest code in the build, and in separate files
// they compile in parallel and a change to one recompiles one.
#pragma once

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "http/connection.h"
#include "http/forwarder.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "http/strand_call.h"

namespace tresor::http::connection_internal {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace beast_http = boost::beast::http;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// Go's net/http allows 1 MiB of headers; Beast's default (8 KiB) is too
// small for long policies in headers, 64 KiB is plenty for Vault's API.
inline constexpr std::uint32_t kMaxHeaderBytes = 64 * 1024;
inline constexpr std::size_t kReadChunk = 16 * 1024;
// After the last response (a 413, say) the client may still be sending; we
// read and discard for a little while so that closing does not reset the
// connection before the client has read the response ("lingering close").
inline constexpr std::chrono::seconds kLingerTimeout{2};
inline constexpr std::size_t kMaxLingerBytes = 1024 * 1024;

// A raw request body (RequestHandler::WantsRawBody) comes off the socket in
// pieces of this size: two in memory at a time (one read ahead).
inline constexpr std::size_t kRawBodyPieceBytes = 1024 * 1024;

// Completion callback of one strand operation run for a worker (StrandCall).
using Done = std::function<void(beast::error_code)>;

// One piece of a raw request body, filled on the strand for the worker.
struct RawPiece {
  char* data = nullptr;
  std::size_t capacity = 0;
  std::size_t bytes = 0;  // how much of data the piece holds
  bool last = false;      // the body is complete after this piece
};

// The path part of a request target, for logs: the query may carry
// sensitive values and is never logged.
inline std::string LoggablePath(std::string_view target) {
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

  void AbortBlockedWorkers() override { strand_call_.Abort(); }

 private:
  enum class State {
    kStarting,
    kWaitingForRequest,
    kReadingRequest,
    kHandling,
    kWriting,
    kStreaming,  // a worker is sending a streamed body (core::Response::body_stream)
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
    // Beast refuses a Content-Length above the limit as soon as the header
    // is parsed, before OnHeader could tell a raw body (whose cap this is)
    // from an ordinary one; OnHeader then applies max_request_size.
    parser_->body_limit(kMaxRawBodyBytes);
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
    if (WantsRawBody(header)) return StartRawBody();
    const auto length = parser_->content_length();
    if (length && *length > Options().max_request_size) {
      return OnReadError(beast_http::error::body_limit);
    }
    parser_->body_limit(Options().max_request_size);  // also bounds a chunked body
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
      const bool raw = raw_parser_.has_value() || (parser_ && WantsRawBody(parser_->get()));
      const std::uint64_t limit = raw ? kMaxRawBodyBytes : Options().max_request_size;
      return RespondAndClose(TooLargeError("request body too large: the limit is " +
                                           std::to_string(limit) + " bytes"));
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
    const beast_http::request_header<>* header_seen = nullptr;
    if (raw_parser_) {
      header_seen = &raw_parser_->get().base();
    } else if (parser_ && parser_->is_header_done()) {
      header_seen = &parser_->get().base();
    }
    if (header_seen != nullptr) {
      const auto& header = *header_seen;
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
    ResponseContext context = ContextFor(request);
    // The body is parsed only when this node answers: a standby relays the
    // request as it came, and the active parses it.
    auto parsed = ParseApiRequestHead(request, remote_address_);
    if (!parsed.ok())
      return Respond(BuildHttpResponse(parsed.status(), context), context.keep_alive);
    context.request_id = parsed->request_id;
    context.head_only = parsed->head_only;
    std::optional<std::string> active_url;
    if (!AskForwardTarget(*parsed, context, active_url)) return;
    const auto give_up = std::chrono::steady_clock::now() + kReforwardWindow;
    auto pause = std::chrono::milliseconds(10);
    while (active_url) {
      // A standby relays the request to the active node (http/forwarder.h),
      // except what is streamed, which the forwarder would hold in memory.
      if (env_.handler->RedirectOnly(*parsed)) {
        return Respond(RedirectAsStandby(*active_url, request, context), context.keep_alive);
      }
      HttpResponse answer = AnswerAsStandby(*active_url, request, remote_address_, context);
      // The node this one took for the active has lost the role (a change
      // of leader not seen here yet) and did nothing: ask again, until the
      // new active is known here or this node is it.
      if (parsed->forwarded || !IsNotActiveAnswer(answer) ||
          std::chrono::steady_clock::now() >= give_up) {
        return Respond(std::move(answer), context.keep_alive);
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, std::chrono::milliseconds(160));
      if (!AskForwardTarget(*parsed, context, active_url)) return;
    }
    if (Status body = ParseApiRequestBody(request, *parsed); !body.ok()) {
      return Respond(BuildHttpResponse(body, context), context.keep_alive);
    }
    Answer(*parsed, context);
  }

  static ResponseContext ContextFor(const HttpRequest& request) {
    ResponseContext context;
    context.http_version = request.version();
    context.head_only = request.method() == beast_http::verb::head;
    context.keep_alive = request.keep_alive();
    return context;
  }

  // Sets `active_url` from the handler's ForwardTarget. Returns false when
  // that threw (a bug): the 500 has then been sent.
  bool AskForwardTarget(const core::Request& request, const ResponseContext& context,
                        std::optional<std::string>& active_url) {
    try {
      active_url = env_.handler->ForwardTarget(request);
      return true;
    } catch (const std::exception& e) {
      spdlog::error("http: ForwardTarget threw for request_id={}: {}", request.request_id,
                    e.what());
    }
    Respond(BuildHttpResponse(InternalError("internal error"), context), context.keep_alive);
    return false;
  }

  // Runs on a worker thread: the handler, then its answer, streamed or not.
  // With a raw body, the connection is kept only if the handler read all of
  // it (the rest would be taken for the next request).
  void Answer(const core::Request& request, ResponseContext context,
              const std::function<bool()>& raw_body_finished = nullptr) {
    StatusOr<core::Response> result = InternalError("internal error");
    try {
      result = env_.handler->Handle(request);
    } catch (const std::exception& e) {
      // Handlers report errors as Status; an escaped exception is a bug,
      // but it must not take the worker thread (and the process) down.
      spdlog::error("http: request handler threw for request_id={}: {}", request.request_id,
                    e.what());
      result = InternalError("internal error");
    }
    if (raw_body_finished && !raw_body_finished()) context.keep_alive = false;
    if (result.ok() && result->body_stream) return StreamOnWorker(*result, context);
    Respond(BuildHttpResponse(result, context), context.keep_alive);
  }

  // --- Raw request bodies (RequestHandler::WantsRawBody) ---

  bool WantsRawBody(const beast_http::request_header<>& header) const {
    const auto method = header.method();
    if (method != beast_http::verb::put && method != beast_http::verb::post) return false;
    // A target that does not parse is refused by ParseApiRequest later.
    auto path = ApiPathOfTarget(ToStdView(header.target()));
    return path.ok() && env_.handler->WantsRawBody(ToStdView(header.method_string()), *path);
  }

  // On the strand, right after the header of a raw-body request: the body
  // stays on the socket while a worker decides, then the handler pulls it
  // piece by piece (ReceiveRawBodyOnWorker).
  void StartRawBody() {
    state_ = State::kHandling;
    Tcp().expires_never();
    const auto& header = parser_->get();
    auto expect = header.find(beast_http::field::expect);
    const bool expect_continue = expect != header.end() &&
                                 beast::iequals(expect->value(), "100-continue") &&
                                 !parser_->is_done();
    // Beast moves a parser to another body type between header and body.
    raw_parser_.emplace(std::move(*parser_));
    parser_.reset();
    raw_parser_->body_limit(kMaxRawBodyBytes);
    HttpRequest head{raw_parser_->get().base()};
    log_method_ = std::string(head.method_string());
    log_path_ = LoggablePath(ToStdView(head.target()));
    std::optional<std::uint64_t> content_length;
    if (auto declared = raw_parser_->content_length()) content_length = *declared;
    net::post(*env_.workers, [self = this->shared_from_this(), head = std::move(head),
                              expect_continue, content_length] {
      self->ReceiveRawBodyOnWorker(head, expect_continue, content_length);
    });
  }

  // Runs on a worker thread. A standby redirects before the body is read
  // (and before 100 Continue, so a client that waits for it sends nothing).
  // Otherwise the handler gets the body as a stream (core::RawBody) that
  // pulls each piece off the socket when it asks for it: 100 Continue goes
  // out on its first read, and nothing of the body is held but the piece
  // being read.
  void ReceiveRawBodyOnWorker(const HttpRequest& head, bool expect_continue,
                              std::optional<std::uint64_t> content_length) {
    ResponseContext context = ContextFor(head);
    // Until the whole body is read, an answer ends the connection.
    auto parsed = ParseApiRequest(head, remote_address_);
    if (!parsed.ok()) return Respond(BuildHttpResponse(parsed.status(), context), false);
    context.request_id = parsed->request_id;
    std::optional<std::string> active_url;
    if (!AskForwardTarget(*parsed, context, active_url)) return;
    if (active_url) return Respond(RedirectAsStandby(*active_url, head, context), false);
    // Refused before the handler sees it, as a JSON body over its limit is.
    if (content_length && *content_length > kMaxRawBodyBytes) {
      return PostReadError(beast_http::error::body_limit);
    }

    auto ahead = std::make_shared<RawReadAhead>();
    auto body = std::make_shared<core::RawBody>(
        content_length, RawBodyPull(ahead, expect_continue, head.version()));
    parsed->raw_body = body;
    // A read still running when the handler is done (it stopped reading)
    // must complete before the answer goes out on the same strand.
    Answer(*parsed, context, [this, ahead, &body] {
      if (ahead->pending) {
        ahead->pending = false;
        if (!strand_call_.Wait()) ahead->ended = ahead->piece.last;
      }
      // The whole body is off the socket: the connection may serve on.
      return body->finished() || ahead->ended;
    });
  }

  // The pieces of a streamed raw body: one read runs ahead, into the other
  // buffer, while the handler works on the piece it got (so the upload and,
  // say, a restore's staging overlap). Shared with the read in flight.
  struct RawReadAhead {
    std::array<std::vector<char>, 2> buffers{std::vector<char>(kRawBodyPieceBytes),
                                             std::vector<char>(kRawBodyPieceBytes)};
    RawPiece piece;  // the read in flight, or the one that completed last
    std::size_t next = 0;  // the buffer the next read fills
    bool pending = false;  // a read was begun and not waited for
    bool ended = false;    // the last piece was read
  };

  // Begins reading the next piece (runs on the worker).
  void BeginRawRead(const std::shared_ptr<RawReadAhead>& ahead) {
    std::vector<char>& buffer = ahead->buffers[ahead->next];
    ahead->next ^= 1;
    ahead->piece = RawPiece{buffer.data(), buffer.size()};
    ahead->pending = true;
    strand_call_.Begin(executor_, [self = this->shared_from_this(), ahead](Done done) {
      self->ReadRawPiece(&ahead->piece, std::move(done));
    });
  }

  // The pull of a streamed raw body (core::RawBody::Pull), on the worker
  // that handles the request.
  core::RawBody::Pull RawBodyPull(std::shared_ptr<RawReadAhead> ahead, bool expect_continue,
                                  unsigned version) {
    auto self = this->shared_from_this();
    return [self, ahead, expect_continue, version]() mutable -> StatusOr<std::string_view> {
      if (expect_continue) {
        expect_continue = false;
        auto ec = self->strand_call_.Run(self->executor_, [self, version](Done done) {
          self->WriteContinue(version, std::move(done));
        });
        if (ec) return UnavailableError("the client went away before sending the body");
      }
      while (!ahead->ended || ahead->pending) {
        if (!ahead->pending) self->BeginRawRead(ahead);
        auto ec = self->strand_call_.Wait();
        ahead->pending = false;
        if (ec == beast_http::error::body_limit) {
          return TooLargeError("request body too large: the limit is " +
                               std::to_string(kMaxRawBodyBytes) + " bytes");
        }
        if (ec) return UnavailableError("reading the request body failed: " + ec.message());
        ahead->ended = ahead->piece.last;
        const std::string_view got(ahead->piece.data, ahead->piece.bytes);
        if (!ahead->ended) self->BeginRawRead(ahead);
        if (!got.empty()) return got;
      }
      return std::string_view();
    };
  }

  // Strand: sends 100 Continue for a raw body the worker is ready for.
  void WriteContinue(unsigned version, Done done) {
    if (state_ == State::kClosed) return done(net::error::operation_aborted);
    continue_ = std::make_unique<beast_http::response<beast_http::empty_body>>(
        beast_http::status::continue_, version);
    SetWriteExpiry();
    beast_http::async_write(stream_, *continue_,
                            [self = this->shared_from_this(), done = std::move(done)](
                                beast::error_code ec, std::size_t) {
                              self->continue_.reset();
                              done(ec);
                            });
  }

  // Strand: reads the next piece of a raw body into piece->data. Each piece
  // must arrive within read_timeout (a step timeout: a body of many GiB
  // cannot be bounded as a whole).
  void ReadRawPiece(RawPiece* piece, Done done) {
    if (state_ == State::kClosed || !raw_parser_) return done(net::error::operation_aborted);
    if (raw_parser_->is_done()) return FinishRawBody(piece, std::move(done));
    state_ = State::kReadingRequest;
    auto& body = raw_parser_->get().body();
    body.data = piece->data;
    body.size = piece->capacity;
    body.more = true;
    Tcp().expires_after(Options().read_timeout);
    beast_http::async_read(stream_, buffer_, *raw_parser_,
                           [self = this->shared_from_this(), piece, done = std::move(done)](
                               beast::error_code ec, std::size_t) mutable {
                             // need_buffer: the piece is full, the body goes on.
                             if (ec && ec != beast_http::error::need_buffer) return done(ec);
                             piece->bytes = piece->capacity - self->raw_parser_->get().body().size;
                             if (self->raw_parser_->is_done())
                               return self->FinishRawBody(piece, std::move(done));
                             done({});
                           });
  }

  void FinishRawBody(RawPiece* piece, Done done) {
    piece->last = true;
    raw_parser_.reset();
    state_ = State::kHandling;
    Tcp().expires_never();
    done({});
  }

  void PostReadError(beast::error_code ec) {
    net::post(executor_, [self = this->shared_from_this(), ec] { self->OnReadError(ec); });
  }

  void PostClose() {
    net::post(executor_, [self = this->shared_from_this()] { self->Close(); });
  }

  // --- Streamed responses (core::Response::body_stream) ---

  // Runs on a worker thread: calls the producer, which blocks in write()
  // while each piece goes out on the strand. The header goes out with the
  // first piece, so a producer that fails at once still gets a proper
  // error response.
  void StreamOnWorker(const core::Response& response, const ResponseContext& context) {
    StreamingResponseHeader header = BuildStreamingResponseHeader(response, context);
    if (context.head_only) {
      return Respond(HttpResponse{std::move(header.base())}, header.keep_alive());
    }
    auto self = this->shared_from_this();
    const bool chunked = header.chunked();
    bool header_sent = false;
    auto send_header = [&]() -> beast::error_code {
      header_sent = true;
      return strand_call_.Run(executor_, [self, &header](Done done) {
        self->WriteStreamHeader(&header, std::move(done));
      });
    };
    const std::function<Status(std::string_view)> write = [&](std::string_view bytes) -> Status {
      if (bytes.empty()) return Status::Ok();  // an empty chunk would end the body
      beast::error_code ec;
      if (!header_sent) ec = send_header();
      if (!ec) {
        ec = strand_call_.Run(executor_, [self, bytes, chunked](Done done) {
          self->WriteStreamPiece(bytes, chunked, std::move(done));
        });
      }
      if (ec) return IOError("sending the response body failed: " + ec.message());
      return Status::Ok();
    };
    Status produced = InternalError("internal error");
    try {
      produced = response.body_stream(write);
    } catch (const std::exception& e) {
      spdlog::error("http: body producer threw for request_id={}: {}", context.request_id,
                    e.what());
      produced = InternalError("internal error");
    }
    if (!produced.ok()) {
      if (!header_sent) return Respond(BuildHttpResponse(produced, context), context.keep_alive);
      // Closing without the last chunk is how the client learns the body
      // is incomplete.
      spdlog::warn("http: {} {}: streamed response failed midway, closing the connection: {}",
                   log_method_, log_path_, produced.message());
      return PostClose();
    }
    beast::error_code ec;
    if (!header_sent) ec = send_header();
    if (!ec) {
      ec = strand_call_.Run(
          executor_, [self, chunked](Done done) { self->FinishStream(chunked, std::move(done)); });
    }
    if (ec) return PostClose();
    const bool keep_alive = header.keep_alive();
    net::post(executor_, [self, keep_alive] { self->AfterStream(keep_alive); });
  }

  // A streamed piece that the client does not take within this time ends
  // the stream: write_timeout when set, else the idle timeout, so that a
  // client that stops reading cannot hold a worker forever.
  void SetStreamExpiry() {
    Tcp().expires_after(Options().write_timeout.count() > 0 ? Options().write_timeout
                                                            : Options().idle_timeout);
  }

  void WriteStreamHeader(StreamingResponseHeader* header, Done done) {
    if (state_ == State::kClosed) return done(net::error::operation_aborted);
    state_ = State::kStreaming;
    stream_serializer_ =
        std::make_unique<beast_http::response_serializer<beast_http::empty_body>>(*header);
    SetStreamExpiry();
    beast_http::async_write_header(stream_, *stream_serializer_,
                                   [self = this->shared_from_this(), done = std::move(done)](
                                       beast::error_code ec, std::size_t) {
                                     self->stream_serializer_.reset();
                                     done(ec);
                                   });
  }

  void WriteStreamPiece(std::string_view bytes, bool chunked, Done done) {
    if (state_ == State::kClosed) return done(net::error::operation_aborted);
    SetStreamExpiry();
    auto on_written = [self = this->shared_from_this(), done = std::move(done)](
                          beast::error_code ec, std::size_t) { done(ec); };
    const net::const_buffer piece(bytes.data(), bytes.size());
    if (chunked) {
      net::async_write(stream_, beast_http::make_chunk(piece), std::move(on_written));
    } else {
      net::async_write(stream_, piece, std::move(on_written));
    }
  }

  void FinishStream(bool chunked, Done done) {
    if (state_ == State::kClosed) return done(net::error::operation_aborted);
    if (!chunked) return done({});  // HTTP/1.0: closing the connection ends the body
    SetStreamExpiry();
    net::async_write(stream_, beast_http::make_chunk_last(),
                     [self = this->shared_from_this(), done = std::move(done)](
                         beast::error_code ec, std::size_t) { done(ec); });
  }

  void AfterStream(bool keep_alive) {
    if (state_ == State::kClosed) return;
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - request_start_);
    spdlog::debug("http: {} {} -> streamed in {:.3f} ms to {}", log_method_, log_path_,
                  elapsed.count() / 1000.0, remote_address_);
    keep_alive_ = keep_alive && !env_.registry->draining();
    if (!keep_alive_) return CloseGracefully();
    WaitForRequest(/*first=*/false);
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
    if (state_ == State::kHandling || state_ == State::kWriting || state_ == State::kStreaming) {
      return;
    }
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
  // Replaces parser_ after the header when the handler wants the body raw.
  std::optional<beast_http::request_parser<beast_http::buffer_body>> raw_parser_;
  std::unique_ptr<beast_http::response_serializer<beast_http::empty_body>> stream_serializer_;
  std::unique_ptr<beast_http::response<beast_http::empty_body>> continue_;
  std::unique_ptr<HttpResponse> response_;
  bool keep_alive_ = false;
  SteadyClock::time_point request_start_ = SteadyClock::now();
  std::string log_method_;
  std::string log_path_;
  std::array<char, 4096> linger_buffer_{};
  std::size_t lingered_bytes_ = 0;

  // How a worker streaming a body waits for the strand. Thread-safe.
  StrandCall strand_call_;
};

// Start serving an accepted socket over plain TCP or TLS (ServeConnection
// picks one); `remote_address` is the peer as logs show it.
void ServePlainConnection(tcp::socket socket, const ConnectionEnvironment& env,
                          std::string remote_address);
void ServeTlsConnection(tcp::socket socket, const ConnectionEnvironment& env,
                        std::string remote_address);

}  // namespace tresor::http::connection_internal
