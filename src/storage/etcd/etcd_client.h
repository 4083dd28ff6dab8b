// storage::EtcdClient: etcd's v3 API through its JSON gateway (POST
// /v3/<service>/<method>, int64 fields as decimal strings, keys and values
// base64), for EtcdBackend and EtcdHA.
//
// It keeps a few idle connections per member, moves to the next member of
// the `address` list when one cannot be reached, and, when a username is
// configured, authenticates (/v3/auth/authenticate) and sends the token in
// the Authorization header, authenticating again when etcd says the token
// expired. Nothing it logs or returns contains a key's value or a password.
//
// Error codes of Call:
//   Unavailable        no member could be reached, or etcd answered
//                      gRPC "unavailable" (no leader, shutting down)
//   TooLarge           etcd refused the request as too large
//   NotFound           gRPC "not found" (a lease that is gone)
//   PermissionDenied   authentication failed or the user may not do this
//   IOError            any other refusal, with etcd's message
//
// Threads: safe from any thread.
#pragma once

#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"
#include "storage/etcd/etcd_http.h"
#include "storage/etcd/etcd_options.h"

namespace tresor::storage {

class EtcdClient {
 public:
  // Builds the TLS context when an https:// address is given (InvalidArgument
  // when a certificate or key file cannot be loaded). Does not connect.
  static StatusOr<std::unique_ptr<EtcdClient>> Create(const EtcdOptions& options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POSTs request to path ("/v3/kv/range") and returns etcd's answer.
  StatusOr<nlohmann::json> Call(std::string_view path, const nlohmann::json& request);

  // The idle connections are closed; later calls connect again.
  void CloseIdle();

  std::chrono::milliseconds request_timeout() const { return timeout_; }

 private:
  EtcdClient(const EtcdOptions& options, SSL_CTX* tls_ctx);
  // One attempt on members starting at the preferred one.
  StatusOr<EtcdHttpResponse> Send(std::string_view path, const std::string& body,
                                  const std::string& token);
  Status Authenticate();
  std::string Token();

  const std::vector<EtcdEndpoint> endpoints_;
  SSL_CTX* const tls_ctx_;  // owned; null without https://
  const std::string server_name_;
  const std::string username_;
  const std::string password_;
  const std::chrono::milliseconds timeout_;

  std::mutex mu_;
  std::size_t preferred_ = 0;  // the member that answered last; guarded by mu_
  // Idle connections per member, guarded by mu_.
  std::vector<std::vector<std::unique_ptr<EtcdHttpConnection>>> idle_;
  std::string token_;  // guarded by mu_; empty until authenticated
};

// Keys and values on the wire.
std::string EtcdB64(std::string_view bytes);
// The first key after every key that starts with prefix (etcd's range_end
// for a prefix): the prefix with its last byte below 0xff incremented.
std::string EtcdPrefixEnd(std::string_view prefix);
// An int64 field of an answer (sent as a decimal string; absent is 0).
std::int64_t EtcdInt(const nlohmann::json& object, const char* field);

}  // namespace tresor::storage
