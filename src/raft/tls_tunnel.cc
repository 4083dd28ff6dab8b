#include "raft/tls_tunnel.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/check.h"
#include "raft/libraft.h"

namespace tresor::raft {

// One uv_write of bytes that could not be written at once; owns a copy.
struct TlsTunnel::Write {
  uv_write_t req{};
  TlsTunnel* tunnel = nullptr;
  std::unique_ptr<char[]> bytes;
};

TlsTunnel* TlsTunnel::Start(uv_loop_t* loop, uv_tcp_t* tcp, SSL* ssl, bool server,
                            Callbacks callbacks) {
  TRESOR_CHECK(callbacks.on_ready != nullptr);
  auto* tunnel = new TlsTunnel(loop, tcp, ssl, std::move(callbacks));
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  int rv = uv_read_start(tunnel->tcp_stream(), &TlsTunnel::OnAlloc, &TlsTunnel::OnTcpRead);
  if (rv != 0) {
    tunnel->End(rv, std::string("cannot read the connection: ") + uv_strerror(rv));
    return tunnel;
  }
  tunnel->Advance();  // a client sends its first flight now
  return tunnel;
}

TlsTunnel::TlsTunnel(uv_loop_t* loop, uv_tcp_t* tcp, SSL* ssl, Callbacks callbacks)
    : loop_(loop),
      tcp_(tcp),
      ssl_(ssl),
      network_in_(BIO_new(BIO_s_mem())),
      network_out_(BIO_new(BIO_s_mem())),
      callbacks_(std::move(callbacks)),
      buffer_(new char[kBufferSize]) {
  TRESOR_CHECK(network_in_ != nullptr && network_out_ != nullptr);
  // An empty input BIO means "not yet" (SSL_ERROR_WANT_READ), never EOF: the
  // end of the connection is learnt from the TCP handle.
  BIO_set_mem_eof_return(network_in_, -1);
  SSL_set_bio(ssl_, network_in_, network_out_);
  // A write SSL could not take (SSL_ERROR_WANT_READ) is retried from our own
  // copy, not from the read buffer it came in.
  SSL_set_mode(ssl_, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  tcp_->data = this;
  shutdown_req_.data = this;
  open_handles_ = 1;
}

TlsTunnel::~TlsTunnel() { SSL_free(ssl_); }  // and the BIOs with it

std::size_t TlsTunnel::queued_bytes() const {
  std::size_t queued = unencrypted_.size() + BIO_ctrl_pending(network_in_);
  if (tcp_ != nullptr) {
    queued += uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(tcp_));
  }
  if (pipe_open_) {
    queued += uv_stream_get_write_queue_size(reinterpret_cast<const uv_stream_t*>(&pipe_));
  }
  return queued;
}

void TlsTunnel::Shutdown() {
  if (state_ == State::kEnded) {
    CloseAll();  // an orderly end may still be flushing: cut it short
    return;
  }
  End(0, "shut down");
}

// ---- The TLS state machine.

void TlsTunnel::Advance() {
  if (state_ == State::kHandshake) FinishHandshake();
  if (state_ == State::kConfirming) Confirm();
  if (state_ != State::kOpen) return;
  ReadPlaintext();
  if (state_ == State::kOpen && !unencrypted_.empty()) {
    std::string pending;
    pending.swap(unencrypted_);
    EncryptFromPipe(pending.data(), pending.size());  // keeps it again if still refused
    MaybeResumePipe();
  }
}

void TlsTunnel::FinishHandshake() {
  ERR_clear_error();
  int rv = SSL_do_handshake(ssl_);
  int error = rv == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rv);
  std::string failure = rv == 1 || error == SSL_ERROR_WANT_READ ? "" : SslFailure(error);
  if (rv != 1) {
    Flush();  // our next flight, or the alert that tells the peer why we give up
    if (state_ == State::kHandshake && error != SSL_ERROR_WANT_READ) End(UV_EPROTO, failure);
    return;
  }
  // Done. A client's last flight is not flushed yet: it goes out with the
  // ready byte, in one segment. (Sent apart, a server refusing the client
  // could close before reading the byte, and the client would see a reset
  // instead of the server's alert.)

  // Whatever the SSL_CTX's verify mode, the cluster port is mutual TLS: no
  // certificate, or one that did not verify, is a failure.
  if (SSL_get0_peer_certificate(ssl_) == nullptr) {
    End(UV_EPROTO, "the peer presented no certificate");
    return;
  }
  if (long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK) {
    End(UV_EPROTO, std::string("the peer's certificate did not verify: ") +
                       X509_verify_cert_error_string(verify));
    return;
  }
  if (callbacks_.check_peer) {
    Status accepted = callbacks_.check_peer(ssl_);
    if (state_ != State::kHandshake) return;  // the callback called Shutdown()
    if (!accepted.ok()) {
      End(UV_EPROTO, accepted.message());
      return;
    }
  }
  ERR_clear_error();
  rv = SSL_write(ssl_, &kReadyByte, 1);
  failure = rv == 1 ? "" : SslFailure(SSL_get_error(ssl_, rv));
  Flush();
  if (state_ != State::kHandshake) return;
  if (rv != 1) {
    End(UV_EPROTO, failure);
    return;
  }
  state_ = State::kConfirming;
}

void TlsTunnel::Confirm() {
  char byte = 0;
  ERR_clear_error();
  int rv = SSL_read(ssl_, &byte, 1);  // one byte: what follows is libraft's
  int error = rv > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rv);
  std::string failure = rv > 0 || error == SSL_ERROR_WANT_READ ? "" : SslFailure(error);
  Flush();
  if (state_ != State::kConfirming) return;
  if (rv <= 0) {
    // A refusal by the peer arrives here as its alert (e.g. "unknown ca").
    if (error != SSL_ERROR_WANT_READ) End(UV_EPROTO, "the peer did not accept us: " + failure);
    return;
  }
  if (byte != kReadyByte) {
    End(UV_EPROTO, "the peer does not speak the tunnel's protocol");
    return;
  }
  BecomeReady();
}

void TlsTunnel::BecomeReady() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
    End(UV_EPROTO, std::string("socketpair: ") + std::strerror(errno));
    return;
  }
  uv_pipe_init(loop_, &pipe_, 0);
  pipe_.data = this;
  pipe_open_ = true;
  ++open_handles_;
  auto* plain = static_cast<uv_pipe_t*>(raft_malloc(sizeof(uv_pipe_t)));
  TRESOR_CHECK(plain != nullptr);
  uv_pipe_init(loop_, plain, 0);
  plain->data = nullptr;  // libraft's
  auto free_plain = [](uv_handle_t* handle) { raft_free(handle); };
  // uv_pipe_open owns the descriptor only when it succeeds.
  int rv = uv_pipe_open(&pipe_, fds[0]);
  if (rv != 0) ::close(fds[0]);
  int plain_rv = uv_pipe_open(plain, fds[1]);
  if (plain_rv != 0) ::close(fds[1]);
  if (rv == 0) rv = plain_rv;
  if (rv != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(plain), free_plain);
    End(rv, std::string("cannot open the plaintext pipe: ") + uv_strerror(rv));
    return;
  }
  state_ = State::kOpen;
  callbacks_.on_ready(reinterpret_cast<uv_stream_t*>(plain));
  if (state_ != State::kOpen) return;  // the callback called Shutdown()
  rv = uv_read_start(pipe_stream(), &TlsTunnel::OnAlloc, &TlsTunnel::OnPipeRead);
  if (rv != 0) End(rv, "");
}

// Decrypts what the network sent, into the pipe toward libraft, until SSL
// wants more bytes or the pipe holds kMaxQueued; then the TCP handle is not
// read until the pipe drains (MaybeResumeNetwork), which bounds the records
// waiting in network_in_ to one read.
void TlsTunnel::ReadPlaintext() {
  while (state_ == State::kOpen) {
    if (uv_stream_get_write_queue_size(pipe_stream()) > kMaxQueued) {
      PauseNetwork();
      return;
    }
    ERR_clear_error();
    int rv = SSL_read(ssl_, buffer_.get(), static_cast<int>(kBufferSize));
    int error = rv > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rv);
    bool fatal = rv <= 0 && error != SSL_ERROR_WANT_READ && error != SSL_ERROR_ZERO_RETURN;
    std::string failure = fatal ? SslFailure(error) : "";
    if (rv > 0) {
      last_received_ = uv_now(loop_);
      if (!WriteTo(pipe_stream(), buffer_.get(), static_cast<std::size_t>(rv))) return;
    }
    Flush();  // SSL_read answers post-handshake messages (a KeyUpdate) itself
    if (state_ != State::kOpen || rv > 0) continue;
    if (error == SSL_ERROR_WANT_READ) return;
    if (error == SSL_ERROR_ZERO_RETURN) {  // close_notify
      EndFromNetwork();
      return;
    }
    spdlog::warn("raft: TLS error on a cluster connection: {}", failure);
    End(UV_EPROTO, failure);
    return;
  }
}

// Encrypts what libraft wrote onto the TCP connection; stops reading the
// pipe while the connection holds kMaxQueued (MaybeResumePipe resumes).
void TlsTunnel::EncryptFromPipe(const char* data, std::size_t size) {
  ERR_clear_error();
  int rv = SSL_write(ssl_, data, static_cast<int>(size));
  int error = rv > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl_, rv);
  std::string failure = rv > 0 || error == SSL_ERROR_WANT_READ ? "" : SslFailure(error);
  Flush();
  if (state_ != State::kOpen) return;
  if (rv <= 0) {
    if (error != SSL_ERROR_WANT_READ) {
      spdlog::warn("raft: TLS error on a cluster connection: {}", failure);
      End(UV_EPROTO, failure);
      return;
    }
    // SSL must read first (never expected with TLS 1.3): keep the bytes and
    // take no more from libraft until Advance() has written them.
    unencrypted_.assign(data, size);
    PausePipe();
    return;
  }
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE, SSL_write took everything.
  if (uv_stream_get_write_queue_size(tcp_stream()) > kMaxQueued) PausePipe();
}

// ---- Moving bytes.

void TlsTunnel::Flush() {
  std::size_t size = BIO_ctrl_pending(network_out_);
  if (size == 0) return;
  auto records = std::make_unique<char[]>(size);
  int got = BIO_read(network_out_, records.get(), static_cast<int>(size));
  TRESOR_CHECK(got == static_cast<int>(size));
  if (tcp_ == nullptr || uv_is_closing(reinterpret_cast<uv_handle_t*>(tcp_))) return;
  bytes_out_ += size;
  WriteTo(tcp_stream(), records.get(), size);
}

bool TlsTunnel::WriteTo(uv_stream_t* stream, const char* data, std::size_t size) {
  // Written at once when the socket takes it (the common case: no copy);
  // uv_try_write refuses while earlier writes are queued, keeping the order.
  uv_buf_t buf = uv_buf_init(const_cast<char*>(data), static_cast<unsigned>(size));
  int written = uv_try_write(stream, &buf, 1);
  if (written < 0 && written != UV_EAGAIN) {
    WriteFailed(stream, written);
    return false;
  }
  std::size_t done = written > 0 ? static_cast<std::size_t>(written) : 0;
  if (done == size) return true;
  auto* write = new Write;
  write->tunnel = this;
  write->req.data = write;
  write->bytes = std::make_unique<char[]>(size - done);
  std::memcpy(write->bytes.get(), data + done, size - done);
  buf = uv_buf_init(write->bytes.get(), static_cast<unsigned>(size - done));
  int rv = uv_write(&write->req, stream, &buf, 1, &TlsTunnel::OnWritten);
  if (rv != 0) {
    delete write;
    WriteFailed(stream, rv);
    return false;
  }
  return true;
}

void TlsTunnel::WriteFailed(uv_stream_t* stream, int status) {
  if (state_ == State::kEnded) {
    CloseHandle(reinterpret_cast<uv_handle_t*>(stream));  // an orderly end could not flush
    return;
  }
  if (state_ == State::kOpen && stream == pipe_stream()) {
    EndFromPipe();  // libraft closed its end (EPIPE)
    return;
  }
  End(status, std::string("cannot send: ") + uv_strerror(status));
}

void TlsTunnel::PauseNetwork() {
  if (network_paused_) return;
  network_paused_ = true;
  uv_read_stop(tcp_stream());
}

void TlsTunnel::PausePipe() {
  if (pipe_paused_) return;
  pipe_paused_ = true;
  uv_read_stop(pipe_stream());
}

// Resuming below half the limit, not just under it, saves stopping and
// starting on every write.
void TlsTunnel::MaybeResumeNetwork() {
  if (state_ != State::kOpen || !network_paused_ ||
      uv_stream_get_write_queue_size(pipe_stream()) > kMaxQueued / 2) {
    return;
  }
  network_paused_ = false;
  Advance();  // the records already received first; this may pause again
  if (state_ != State::kOpen || network_paused_) return;
  int rv = uv_read_start(tcp_stream(), &TlsTunnel::OnAlloc, &TlsTunnel::OnTcpRead);
  if (rv != 0) End(rv, "");
}

void TlsTunnel::MaybeResumePipe() {
  if (state_ != State::kOpen || !pipe_paused_ || !unencrypted_.empty() ||
      uv_stream_get_write_queue_size(tcp_stream()) > kMaxQueued / 2) {
    return;
  }
  pipe_paused_ = false;
  int rv = uv_read_start(pipe_stream(), &TlsTunnel::OnAlloc, &TlsTunnel::OnPipeRead);
  if (rv != 0) EndFromPipe();
}

// ---- Ending. Each way sets kEnded first and reports last, so that a
// callback calling Shutdown() finds the handles already closing.

void TlsTunnel::End(int status, const std::string& reason) {
  if (state_ == State::kEnded) return;
  bool was_open = state_ == State::kOpen;
  state_ = State::kEnded;
  CloseAll();
  Report(was_open, status, reason);
}

void TlsTunnel::EndFromNetwork() {
  state_ = State::kEnded;
  CloseHandle(reinterpret_cast<uv_handle_t*>(tcp_));
  // The plaintext already queued reaches libraft before its EOF.
  uv_read_stop(pipe_stream());
  if (uv_shutdown(&shutdown_req_, pipe_stream(), &TlsTunnel::OnShutdown) != 0) {
    CloseHandle(reinterpret_cast<uv_handle_t*>(&pipe_));
  }
  Report(true, 0, "");
}

void TlsTunnel::EndFromPipe() {
  state_ = State::kEnded;
  CloseHandle(reinterpret_cast<uv_handle_t*>(&pipe_));
  uv_read_stop(tcp_stream());
  unencrypted_.clear();
  // close_notify, after the records already queued, then FIN.
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
  Flush();
  if (tcp_ != nullptr && !uv_is_closing(reinterpret_cast<uv_handle_t*>(tcp_)) &&
      uv_shutdown(&shutdown_req_, tcp_stream(), &TlsTunnel::OnShutdown) != 0) {
    CloseHandle(reinterpret_cast<uv_handle_t*>(tcp_));
  }
  Report(true, 0, "");
}

void TlsTunnel::Report(bool was_open, int status, const std::string& reason) {
  if (was_open) {
    if (callbacks_.on_closed) callbacks_.on_closed(status);
  } else if (callbacks_.on_failed) {
    callbacks_.on_failed(reason);
  }
}

void TlsTunnel::CloseAll() {
  if (tcp_ != nullptr) CloseHandle(reinterpret_cast<uv_handle_t*>(tcp_));
  if (pipe_open_) CloseHandle(reinterpret_cast<uv_handle_t*>(&pipe_));
}

void TlsTunnel::CloseHandle(uv_handle_t* handle) {
  // uv_close cancels queued writes and a pending shutdown: their callbacks
  // run (UV_ECANCELED) before the close callback.
  if (!uv_is_closing(handle)) uv_close(handle, &TlsTunnel::OnClosed);
}

std::string TlsTunnel::SslFailure(int ssl_error) const {
  std::string what;
  unsigned long code = ERR_get_error();
  if (ssl_error == SSL_ERROR_ZERO_RETURN) {
    what = "the peer closed the TLS session";
  } else if (code != 0) {
    const char* reason = ERR_reason_error_string(code);
    what = reason != nullptr ? reason : "error " + std::to_string(code);
  } else {
    what = "error " + std::to_string(ssl_error);
  }
  ERR_clear_error();
  if (long verify = SSL_get_verify_result(ssl_); verify != X509_V_OK) {
    what += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  return "TLS: " + what;
}

// ---- libuv callbacks.

void TlsTunnel::OnAlloc(uv_handle_t* handle, std::size_t /*suggested*/, uv_buf_t* buf) {
  auto* tunnel = static_cast<TlsTunnel*>(handle->data);
  *buf = uv_buf_init(tunnel->buffer_.get(), static_cast<unsigned>(kBufferSize));
}

void TlsTunnel::OnTcpRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* tunnel = static_cast<TlsTunnel*>(stream->data);
  if (nread == 0 || tunnel->state_ == State::kEnded) return;
  if (nread < 0) {
    int status = static_cast<int>(nread);
    if (tunnel->state_ != State::kOpen) {
      tunnel->End(status, status == UV_EOF
                              ? std::string("the peer closed the connection during the handshake")
                              : std::string("connection: ") + uv_strerror(status));
    } else if (status == UV_EOF) {
      tunnel->EndFromNetwork();
    } else {
      tunnel->End(status, "");
    }
    return;
  }
  tunnel->bytes_in_ += static_cast<std::uint64_t>(nread);
  int put = BIO_write(tunnel->network_in_, buf->base, static_cast<int>(nread));
  TRESOR_CHECK(put == static_cast<int>(nread));  // a memory BIO fails only without memory
  tunnel->Advance();
}

void TlsTunnel::OnPipeRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* tunnel = static_cast<TlsTunnel*>(stream->data);
  if (nread == 0 || tunnel->state_ != State::kOpen) return;
  if (nread < 0) {
    tunnel->EndFromPipe();  // libraft closed its end (EOF), or it broke
    return;
  }
  tunnel->EncryptFromPipe(buf->base, static_cast<std::size_t>(nread));
}

void TlsTunnel::OnWritten(uv_write_t* req, int status) {
  auto* write = static_cast<Write*>(req->data);
  TlsTunnel* tunnel = write->tunnel;
  uv_stream_t* stream = req->handle;
  delete write;
  if (status == UV_ECANCELED) return;  // our own uv_close
  if (status != 0) {
    tunnel->WriteFailed(stream, status);
    return;
  }
  if (stream == tunnel->tcp_stream()) {
    tunnel->MaybeResumePipe();
  } else {
    tunnel->MaybeResumeNetwork();
  }
}

void TlsTunnel::OnShutdown(uv_shutdown_t* req, int /*status*/) {
  // Flushed (or failed, or canceled by our own close): either way, done.
  auto* tunnel = static_cast<TlsTunnel*>(req->data);
  tunnel->CloseHandle(reinterpret_cast<uv_handle_t*>(req->handle));
}

void TlsTunnel::OnClosed(uv_handle_t* handle) {
  auto* tunnel = static_cast<TlsTunnel*>(handle->data);
  if (handle == reinterpret_cast<uv_handle_t*>(tunnel->tcp_)) {
    raft_free(tunnel->tcp_);
    tunnel->tcp_ = nullptr;
  } else {
    tunnel->pipe_open_ = false;
  }
  if (--tunnel->open_handles_ > 0) return;
  std::function<void()> on_gone = std::move(tunnel->callbacks_.on_gone);
  delete tunnel;
  if (on_gone) on_gone();
}

}  // namespace tresor::raft
