#include "storage/etcd/etcd_client.h"

#include <openssl/err.h>

#include <charconv>

#include "common/encoding.h"

namespace tresor::storage {
namespace {

constexpr std::size_t kEtcdIdlePerMember = 8;

// gRPC status codes the gateway reports in "code".
constexpr int kGrpcNotFound = 5;
constexpr int kGrpcPermissionDenied = 7;
constexpr int kGrpcUnavailable = 14;
constexpr int kGrpcUnauthenticated = 16;

std::string EtcdTlsLoadError(const std::string& what, const std::string& file) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  return "storage \"etcd\": cannot load " + what + " \"" + file + "\": " + text;
}

}  // namespace

std::string EtcdB64(std::string_view bytes) { return Base64Encode(bytes); }

std::string EtcdPrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    unsigned char last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // etcd: "every key from key on"
}

std::int64_t EtcdInt(const nlohmann::json& object, const char* field) {
  auto found = object.find(field);
  if (found == object.end()) return 0;
  if (found->is_number_integer()) return found->get<std::int64_t>();
  if (!found->is_string()) return 0;
  const std::string& text = found->get_ref<const std::string&>();
  std::int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

StatusOr<std::unique_ptr<EtcdClient>> EtcdClient::Create(const EtcdOptions& options) {
  bool any_tls = false;
  for (const EtcdEndpoint& endpoint : options.endpoints) any_tls = any_tls || endpoint.tls;
  SSL_CTX* ctx = nullptr;
  if (any_tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    bool loaded = options.tls_ca_file.empty()
                      ? SSL_CTX_set_default_verify_paths(ctx) == 1
                      : SSL_CTX_load_verify_locations(ctx, options.tls_ca_file.c_str(), nullptr) ==
                            1;
    if (!loaded) {
      std::string message = EtcdTlsLoadError("tls_ca_file", options.tls_ca_file);
      SSL_CTX_free(ctx);
      return InvalidArgumentError(message);
    }
    if (!options.tls_cert_file.empty()) {
      if (SSL_CTX_use_certificate_chain_file(ctx, options.tls_cert_file.c_str()) != 1) {
        std::string message = EtcdTlsLoadError("tls_cert_file", options.tls_cert_file);
        SSL_CTX_free(ctx);
        return InvalidArgumentError(message);
      }
      if (SSL_CTX_use_PrivateKey_file(ctx, options.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
          SSL_CTX_check_private_key(ctx) != 1) {
        std::string message = EtcdTlsLoadError("tls_key_file", options.tls_key_file);
        SSL_CTX_free(ctx);
        return InvalidArgumentError(message);
      }
    }
  }
  return std::unique_ptr<EtcdClient>(new EtcdClient(options, ctx));
}

EtcdClient::EtcdClient(const EtcdOptions& options, SSL_CTX* tls_ctx)
    : endpoints_(options.endpoints),
      tls_ctx_(tls_ctx),
      server_name_(options.tls_server_name),
      username_(options.username),
      password_(options.password),
      timeout_(options.request_timeout),
      idle_(options.endpoints.size()) {}

EtcdClient::~EtcdClient() {
  CloseIdle();
  if (tls_ctx_ != nullptr) SSL_CTX_free(tls_ctx_);
}

void EtcdClient::CloseIdle() {
  std::lock_guard lock(mu_);
  for (auto& member : idle_) member.clear();
}

std::string EtcdClient::Token() {
  std::lock_guard lock(mu_);
  return token_;
}

StatusOr<EtcdHttpResponse> EtcdClient::Send(std::string_view path, const std::string& body,
                                            const std::string& token) {
  std::size_t first;
  {
    std::lock_guard lock(mu_);
    first = preferred_;
  }
  std::string failures;
  for (std::size_t i = 0; i < endpoints_.size(); ++i) {
    std::size_t member = (first + i) % endpoints_.size();
    const EtcdEndpoint& endpoint = endpoints_[member];
    // A kept-alive connection the member has closed meanwhile fails before
    // any answer arrives; then one fresh connection is tried.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::unique_ptr<EtcdHttpConnection> connection;
      bool reused = false;
      {
        std::lock_guard lock(mu_);
        if (attempt == 0 && !idle_[member].empty()) {
          connection = std::move(idle_[member].back());
          idle_[member].pop_back();
          reused = true;
        }
      }
      if (connection == nullptr) {
        auto connected = EtcdHttpConnection::Connect(endpoint, endpoint.tls ? tls_ctx_ : nullptr,
                                                     server_name_, timeout_);
        if (!connected.ok()) {
          failures += (failures.empty() ? "" : "; ") + std::string(connected.status().message());
          break;  // the next member
        }
        connection = std::move(connected).value();
      }
      bool answered = false;
      auto response = connection->Post(path, token, body, &answered);
      if (response.ok()) {
        std::lock_guard lock(mu_);
        preferred_ = member;
        if (connection->reusable() && idle_[member].size() < kEtcdIdlePerMember) {
          idle_[member].push_back(std::move(connection));
        }
        return response;
      }
      if (answered || response.status().code() != StatusCode::kUnavailable) {
        // The request reached the member and may have been applied: another
        // try could apply it twice, so the caller decides.
        return response.status();
      }
      if (!reused) {
        failures += (failures.empty() ? "" : "; ") + std::string(response.status().message()) +
                    " (" + endpoint.url + ")";
        break;
      }
    }
  }
  return UnavailableError("etcd is unreachable: " + failures);
}

Status EtcdClient::Authenticate() {
  nlohmann::json request = {{"name", username_}, {"password", password_}};
  TRESOR_ASSIGN_OR_RETURN(EtcdHttpResponse response,
                          Send("/v3/auth/authenticate", request.dump(), ""));
  nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, false);
  if (response.status != 200 || !answer.is_object() || !answer.contains("token")) {
    std::string message = answer.is_object() && answer.contains("message")
                              ? answer["message"].get<std::string>()
                              : "HTTP " + std::to_string(response.status);
    return PermissionDeniedError("etcd refused the username and password of storage \"etcd\" (" +
                                 message + ")");
  }
  std::lock_guard lock(mu_);
  token_ = answer["token"].get<std::string>();
  return Status::Ok();
}

StatusOr<nlohmann::json> EtcdClient::Call(std::string_view path, const nlohmann::json& request) {
  const std::string body = request.dump();
  for (int attempt = 0;; ++attempt) {
    std::string token;
    if (!username_.empty()) {
      token = Token();
      if (token.empty()) {
        TRESOR_RETURN_IF_ERROR(Authenticate());
        token = Token();
      }
    }
    TRESOR_ASSIGN_OR_RETURN(EtcdHttpResponse response, Send(path, body, token));
    nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, false);
    if (response.status == 200) {
      if (!answer.is_object()) return IOError("etcd sent an answer that is not JSON");
      return answer;
    }
    std::string message = answer.is_object() && answer.contains("message") &&
                                  answer["message"].is_string()
                              ? answer["message"].get<std::string>()
                              : "HTTP status " + std::to_string(response.status);
    int code = answer.is_object() ? static_cast<int>(EtcdInt(answer, "code")) : 0;
    bool token_trouble = message.find("invalid auth token") != std::string::npos ||
                         code == kGrpcUnauthenticated;
    if (token_trouble && !username_.empty() && attempt == 0) {
      std::lock_guard lock(mu_);
      token_.clear();
      continue;  // authenticate again, once
    }
    if (message.find("too large") != std::string::npos ||
        message.find("larger than max") != std::string::npos) {
      return TooLargeError("etcd refused the request as too large (" + message +
                           "; etcd's --max-request-bytes is 1.5 MiB by default)");
    }
    if (code == kGrpcUnavailable) return UnavailableError("etcd: " + message);
    if (code == kGrpcNotFound) return NotFoundError("etcd: " + message);
    if (code == kGrpcPermissionDenied || code == kGrpcUnauthenticated) {
      return PermissionDeniedError("etcd: " + message);
    }
    return IOError("etcd: " + message);
  }
}

}  // namespace tresor::storage
