// TlsTunnel: mutual TLS over one connected TCP handle, offered to libraft as
// plaintext on a uv_pipe_t. libraft reads and writes only uv streams, so the
// TCP socket carries TLS and libraft gets one end of a
// socketpair(AF_UNIX, SOCK_STREAM); the tunnel pumps bytes between the other
// end and the TLS connection (memory BIOs, no socket BIO).
//
// Protocol: a TLS handshake (TLS versions, ciphers, tickets and the trusted CA
// are the caller's SSL_CTX settings), then each side sends one plaintext byte,
// kReadyByte, once it has accepted the peer (its certificate verified and
// `check_peer` passed). In TLS 1.3 the client's handshake completes before the
// server has verified the client's certificate; without this byte a client
// whose certificate the server refuses would report on_ready and then lose
// the connection. With it, a refusal by either side fails both (on_failed),
// and on_ready means both sides accepted each other. The bytes after it are
// libraft's protocol, unchanged.
//
// Memory is bounded: each direction holds at most about kMaxQueued bytes
// waiting for a slow reader (plus one read buffer and TLS framing); past that
// the tunnel stops reading the other side until it drains. Either side ending
// (EOF, error, close_notify, a TLS error) ends the whole tunnel: when one side
// ends in order, what is already queued toward the other is flushed first
// (best effort) before that side gets EOF.
//
// No timers of its own: the owner bounds the handshake (Shutdown() on its
// own timer: a peer may stall before its ready byte) and sets TCP_USER_TIMEOUT
// or keepalive on the socket, which end the tunnel with on_closed(UV_ETIMEDOUT).
// While one direction is paused, the tunnel learns of an end on the paused
// side (e.g. libraft closing while the peer is not reading) only once it
// drains; Shutdown() cuts that short.
//
// Who calls it: KeyedTransport, after accepting or connecting a cluster
// connection. Tests drive it directly on a loop of their own.
//
// Threads: everything, callbacks included, runs on the loop's thread; the
// tunnel has no thread of its own. Nothing it logs or reports contains
// plaintext or key material.
#pragma once

#include <openssl/ssl.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace tresor::raft {

class TlsTunnel {
 public:
  // The size of the tunnel's one read buffer (reads from either handle and
  // decrypted plaintext pass through it).
  static constexpr std::size_t kBufferSize = 64 * 1024;
  // Past this many bytes waiting to be written to a handle, the tunnel stops
  // reading the handle that feeds it; it resumes below half of it.
  static constexpr std::size_t kMaxQueued = 4 * 1024 * 1024;
  // The plaintext byte each side sends once it accepts the peer.
  static constexpr char kReadyByte = 0x01;

  struct Callbacks {
    // The handshake finished, the peer's certificate verified (the SSL's
    // own verify settings decide how; a peer without a certificate always
    // fails), `check_peer` returned ok and the peer accepted us: `plain` is
    // a raft_malloc'd uv_pipe_t, initialised on the loop, connected, reading
    // stopped, for libraft (which uv_close()s and raft_free()s it).
    std::function<void(uv_stream_t* plain)> on_ready;
    // Optional extra check after the handshake (e.g. the peer certificate's
    // common name); a non-ok Status fails the tunnel with its message.
    std::function<Status(SSL* ssl)> check_peer;
    // The tunnel failed before on_ready (bad certificate, refused by the
    // peer, peer closed, TCP error, Shutdown()): a reason for logs, never
    // secret. Called at most once, instead of on_ready. May be called before
    // Start() returns (when the TCP handle cannot be read at all).
    std::function<void(std::string reason)> on_failed;
    // After on_ready: the connection ended. `status` is 0 for an orderly end
    // (either side closed, close_notify, Shutdown()), else the libuv error
    // that ended it (e.g. UV_ETIMEDOUT when TCP_USER_TIMEOUT fired,
    // UV_ECONNRESET; UV_EPROTO for a TLS error). Called once.
    std::function<void(int status)> on_closed;
    // The tunnel has closed all its handles, SSL_free()d and deleted itself
    // (after on_failed or on_closed). Never called before Start() returns.
    // The owner uses it to know when the loop has nothing of ours left.
    std::function<void()> on_gone;
  };

  // Takes ownership of `tcp` (connected, initialised on `loop`, reading
  // stopped, allocated with raft_malloc: it is freed with raft_free) and
  // `ssl` (SSL_new'd; the tunnel SSL_free()s it, calls SSL_set_accept_state
  // or SSL_set_connect_state per `server` and attaches memory BIOs). Starts
  // the TLS handshake at once. The returned tunnel is valid until on_gone.
  // REQUIRES: callbacks.on_ready is set.
  // REQUIRES: SIGPIPE is ignored (libuv writes with write(2), so a write to a
  // closed socket raises it).
  static TlsTunnel* Start(uv_loop_t* loop, uv_tcp_t* tcp, SSL* ssl, bool server,
                          Callbacks callbacks);

  TlsTunnel(const TlsTunnel&) = delete;
  TlsTunnel& operator=(const TlsTunnel&) = delete;

  // Ends the tunnel now: closes the TCP connection and our pipe end
  // (libraft's end then reads EOF), dropping whatever was queued. Before
  // on_ready it is a failure (on_failed), after it an orderly end
  // (on_closed(0)). Idempotent; also cuts short an orderly end that is
  // still flushing. REQUIRES: on_gone has not been called.
  void Shutdown();

  // Bytes received from / sent to the network so far (TLS records), and the
  // last time (uv_now) plaintext arrived from the peer (0: never).
  std::uint64_t bytes_in() const { return bytes_in_; }
  std::uint64_t bytes_out() const { return bytes_out_; }
  std::uint64_t last_received() const { return last_received_; }
  // Bytes the tunnel holds that are waiting to be written to either handle
  // or encrypted. Diagnostics and tests.
  std::size_t queued_bytes() const;

  // Whether the tunnel has stopped reading TCP (the pipe toward libraft is
  // full) or our pipe end (the TCP connection is full).
  bool NetworkPausedForTest() const { return network_paused_; }
  bool PipePausedForTest() const { return pipe_paused_; }

 private:
  enum class State {
    kHandshake,   // TLS handshake in progress
    kConfirming,  // we accepted the peer and sent kReadyByte; waiting for theirs
    kOpen,        // on_ready called: pumping
    kEnded,       // on_failed / on_closed called; handles closing
  };
  struct Write;

  TlsTunnel(uv_loop_t* loop, uv_tcp_t* tcp, SSL* ssl, Callbacks callbacks);
  ~TlsTunnel();

  // Runs the TLS state machine as far as the bytes in hand allow.
  void Advance();
  void FinishHandshake();  // kHandshake: verifies the peer, sends kReadyByte
  void Confirm();          // kConfirming: waits for the peer's kReadyByte
  void BecomeReady();      // makes the socketpair, calls on_ready
  void ReadPlaintext();
  void EncryptFromPipe(const char* data, std::size_t size);
  // Moves the TLS records SSL produced onto the TCP connection. Called after
  // every SSL call.
  void Flush();
  // Writes to `stream`, directly when the socket takes it, else queued (a
  // copy). Returns false, having ended the tunnel, on a write error.
  bool WriteTo(uv_stream_t* stream, const char* data, std::size_t size);
  void WriteFailed(uv_stream_t* stream, int status);
  void PauseNetwork();
  void PausePipe();
  void MaybeResumeNetwork();
  void MaybeResumePipe();

  // The ways the tunnel ends; each reports (on_failed or on_closed) once.
  // End: close everything now. `status` for on_closed, `reason` for on_failed.
  void End(int status, const std::string& reason);
  // After ready, the peer ended in order (EOF, close_notify): what is queued
  // toward libraft is flushed before its EOF.
  void EndFromNetwork();
  // After ready, libraft closed its end: close_notify and what is queued
  // toward the peer are flushed before the FIN.
  void EndFromPipe();
  void Report(bool was_open, int status, const std::string& reason);
  void CloseAll();
  void CloseHandle(uv_handle_t* handle);
  // A reason for logs from OpenSSL's error queue (which it clears).
  std::string SslFailure(int ssl_error) const;

  uv_stream_t* tcp_stream() { return reinterpret_cast<uv_stream_t*>(tcp_); }
  uv_stream_t* pipe_stream() { return reinterpret_cast<uv_stream_t*>(&pipe_); }

  static void OnAlloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void OnTcpRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnPipeRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  uv_loop_t* loop_;
  uv_tcp_t* tcp_;           // raft_malloc'd; raft_free'd (and null) once closed
  uv_pipe_t pipe_{};        // our end of the socketpair, once ready
  bool pipe_open_ = false;  // pipe_ initialised and its close callback not yet run
  SSL* ssl_;
  BIO* network_in_;   // records received, for SSL to read (owned by ssl_)
  BIO* network_out_;  // records SSL wrote, for Flush (owned by ssl_)
  Callbacks callbacks_;
  State state_ = State::kHandshake;
  int open_handles_ = 0;          // the tunnel deletes itself when none are left
  uv_shutdown_t shutdown_req_{};  // for an orderly end; only one per tunnel

  std::unique_ptr<char[]> buffer_;  // see kBufferSize; never holds data across callbacks
  std::string unencrypted_;         // plaintext SSL_write refused for now (WANT_READ)
  bool network_paused_ = false;
  bool pipe_paused_ = false;

  std::uint64_t bytes_in_ = 0;
  std::uint64_t bytes_out_ = 0;
  std::uint64_t last_received_ = 0;
};

}  // namespace tresor::raft
