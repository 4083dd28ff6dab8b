#include "seal/transit_wrapper.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/encoding.h"
#include "seal/http_call.h"
#include "seal/seal_options.h"

namespace tresor::seal {
namespace {

// The first error of a Vault error body, or the status line.
std::string ErrorOf(const HttpResponse& r) {
  try {
    auto j = nlohmann::json::parse(r.body);
    if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
      return "HTTP " + std::to_string(r.status) + ": " + j["errors"][0].get<std::string>();
    }
  } catch (const std::exception&) {
  }
  return "HTTP " + std::to_string(r.status);
}

class TransitWrapper final : public KeyWrapper {
 public:
  TransitWrapper(std::string address, std::string token, std::string mount, std::string key,
                 TlsOptions tls, bool renew)
      : address_(std::move(address)),
        token_(std::move(token)),
        mount_(std::move(mount)),
        key_(std::move(key)),
        tls_(std::move(tls)) {
    if (renew) renewer_ = std::thread([this] { RenewLoop(); });
  }

  ~TransitWrapper() override {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (renewer_.joinable()) renewer_.join();
    std::fill(token_.begin(), token_.end(), '\0');
  }

  std::string Type() const override { return "transit"; }

  StatusOr<std::string> Wrap(const SecureBytes& key) override {
    std::string plaintext = Base64Encode(AsStringView(key));
    auto answer = Call("encrypt/" + key_, {{"plaintext", plaintext}});
    std::fill(plaintext.begin(), plaintext.end(), '\0');
    if (!answer.ok()) return answer.status();
    try {
      return answer->at("data").at("ciphertext").get<std::string>();
    } catch (const std::exception&) {
      return UnavailableError("the transit seal's encrypt answer has no ciphertext");
    }
  }

  StatusOr<SecureBytes> Unwrap(std::string_view blob) override {
    if (blob.rfind("vault:v", 0) != 0) {
      return InvalidArgumentError("the stored root key was not wrapped by a transit seal");
    }
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer,
                            Call("decrypt/" + key_, {{"ciphertext", std::string(blob)}}));
    try {
      std::string& encoded = answer.at("data").at("plaintext").get_ref<std::string&>();
      auto decoded = Base64Decode(encoded);
      std::fill(encoded.begin(), encoded.end(), '\0');
      if (!decoded.ok()) return UnavailableError("the transit seal answered a malformed key");
      SecureBytes key = ToSecureBytes(*decoded);
      std::fill(decoded->begin(), decoded->end(), '\0');
      return key;
    } catch (const std::exception&) {
      return UnavailableError("the transit seal's decrypt answer has no plaintext");
    }
  }

  std::string KeyVersion(std::string_view blob) const override {
    std::size_t colon = blob.find(':', 6);
    return blob.rfind("vault:v", 0) == 0 && colon != std::string_view::npos
               ? std::string(blob.substr(6, colon - 6))
               : "";
  }

 private:
  StatusOr<nlohmann::json> Call(const std::string& path, const nlohmann::json& body,
                                const std::string& method = "POST") {
    HttpRequest request;
    request.method = method;
    request.url = address_ + "/v1/" + (path.rfind("auth/", 0) == 0 ? path : mount_ + path);
    request.headers = {"Content-Type: application/json", "X-Vault-Token: " + token_};
    request.body = body.is_null() ? "" : body.dump();
    request.tls = tls_;
    auto response = HttpCall(request);
    std::fill(request.headers[1].begin(), request.headers[1].end(), '\0');
    if (!response.ok()) return response.status();
    if (response->status == 403) {
      return PermissionDeniedError("the transit seal at " + address_ + " refused the token (" +
                                   ErrorOf(*response) + "): is it expired or revoked?");
    }
    if (response->status == 503 || response->status >= 500) {
      return UnavailableError("the transit seal at " + address_ + " is not available (" +
                              ErrorOf(*response) + ")");
    }
    if (response->status != 200) {
      return FailedPreconditionError("the transit seal at " + address_ + " refused " + path +
                                     " (" + ErrorOf(*response) + ")");
    }
    try {
      return nlohmann::json::parse(response->body);
    } catch (const std::exception&) {
      return UnavailableError("the transit seal at " + address_ + " answered something not JSON");
    }
  }

  // Renews the token at half its remaining TTL, for as long as this runs.
  void RenewLoop() {
    std::chrono::seconds wait{0};
    while (true) {
      {
        std::unique_lock lock(mu_);
        if (cv_.wait_for(lock, wait, [this] { return stopping_; })) return;
      }
      wait = RenewOnce();
    }
  }

  // One look-up or renewal; how long to wait before the next.
  std::chrono::seconds RenewOnce() {
    const bool first = !looked_up_;
    auto answer = first ? Call("auth/token/lookup-self", nullptr, "GET")
                        : Call("auth/token/renew-self", nlohmann::json::object());
    if (!answer.ok()) {
      spdlog::warn("transit seal: could not {} its token: {}; retrying in 10s",
                   first ? "look up" : "renew", answer.status().message());
      return std::chrono::seconds(10);
    }
    long long ttl = 0;
    bool renewable = false;
    try {
      if (first) {
        ttl = answer->at("data").at("ttl").get<long long>();
        renewable = answer->at("data").value("renewable", false);
      } else {
        ttl = answer->at("auth").at("lease_duration").get<long long>();
        renewable = answer->at("auth").value("renewable", false);
      }
    } catch (const std::exception&) {
      spdlog::warn("transit seal: its token look-up answer cannot be read; retrying in 10s");
      return std::chrono::seconds(10);
    }
    looked_up_ = true;
    if (ttl == 0) {
      spdlog::info("transit seal: its token does not expire; no renewal needed");
      return std::chrono::hours(24 * 365);
    }
    if (!renewable) {
      spdlog::warn("transit seal: its token expires in {}s and cannot be renewed; use a periodic "
                   "orphan token (docs/seal.md)", ttl);
      return std::chrono::hours(24 * 365);
    }
    if (!first) spdlog::debug("transit seal: token renewed for {}s", ttl);
    return std::chrono::seconds(std::max<long long>(1, ttl / 2));
  }

  const std::string address_;
  std::string token_;
  const std::string mount_;
  const std::string key_;
  const TlsOptions tls_;
  bool looked_up_ = false;  // renewal thread only
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread renewer_;    // the token renewal loop (RenewLoop)
};

}  // namespace

StatusOr<std::unique_ptr<KeyWrapper>> NewTransitWrapper(const SealBlock& block) {
  std::string address = OptionOrEnv(block, "address", "VAULT_ADDR");
  std::string token = OptionOrEnv(block, "token", "VAULT_TOKEN");
  std::string key = OptionOrEnv(block, "key_name", "VAULT_TRANSIT_SEAL_KEY_NAME");
  std::string mount = OptionOrEnv(block, "mount_path", "VAULT_TRANSIT_SEAL_MOUNT_PATH", "transit/");
  if (address.empty()) return InvalidArgumentError("seal \"transit\": address is required");
  if (token.empty()) return InvalidArgumentError("seal \"transit\": token is required");
  if (key.empty()) return InvalidArgumentError("seal \"transit\": key_name is required");
  if (!OptionOrEnv(block, "namespace", nullptr).empty()) {
    return InvalidArgumentError("seal \"transit\": namespace is not supported (Tresor has no "
                                "namespaces); leave it out");
  }
  while (!address.empty() && address.back() == '/') address.pop_back();
  while (!mount.empty() && mount.front() == '/') mount.erase(0, 1);
  if (mount.back() != '/') mount += '/';
  TlsOptions tls{OptionOrEnv(block, "tls_ca_cert", "VAULT_CACERT"),
                 OptionOrEnv(block, "tls_client_cert", "VAULT_CLIENT_CERT"),
                 OptionOrEnv(block, "tls_client_key", "VAULT_CLIENT_KEY"),
                 OptionOrEnv(block, "tls_server_name", "VAULT_TLS_SERVER_NAME"),
                 OptionIsTrue(block, "tls_skip_verify", "VAULT_SKIP_VERIFY")};
  return std::unique_ptr<KeyWrapper>(std::make_unique<TransitWrapper>(
      std::move(address), std::move(token), std::move(mount), std::move(key), std::move(tls),
      !OptionIsTrue(block, "disable_renewal")));
}

}  // namespace tresor::seal
