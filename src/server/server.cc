#include "server/server.h"

#include "server/config_sanitized.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <thread>

#include "common/encoding.h"
#include "common/log_stream.h"
#include "common/logging.h"
#include "common/secure_memory.h"
#include "seal/key_wrapper_factory.h"
#include "server/leader_client.h"
#include "storage/factory.h"

namespace tresor::server {
namespace {

constexpr std::chrono::seconds kDrainDeadline{10};

http::ListenerOptions ToListenerOptions(const ListenerConfig& l) {
  http::ListenerOptions o;
  o.address = l.address;
  o.tls_disable = l.tls_disable;
  o.tls_cert_file = l.tls_cert_file;
  o.tls_key_file = l.tls_key_file;
  o.tls_min_version = l.tls_min_version;
  o.max_request_size = l.max_request_size;
  o.read_header_timeout = l.http_read_header_timeout;
  o.read_timeout = l.http_read_timeout;
  o.write_timeout = l.http_write_timeout;
  o.idle_timeout = l.http_idle_timeout;
  return o;
}

// host:port of a "scheme://host:port[/...]" URL; "" when there is none.
std::string HostPortOfUrl(const std::string& url) {
  std::size_t start = url.find("://");
  if (start == std::string::npos) return "";
  std::string rest = url.substr(start + 3);
  return rest.substr(0, rest.find('/'));
}

}  // namespace

std::string ApiAddrFor(const ServerConfig& config) {
  if (!config.api_addr.empty()) return config.api_addr;
  if (config.listeners.empty()) return "";
  const ListenerConfig& first = config.listeners.front();
  std::string host_port = first.address;
  if (host_port.rfind("0.0.0.0:", 0) == 0) host_port = "127.0.0.1" + host_port.substr(7);
  return (first.tls_disable ? "http://" : "https://") + host_port;
}

std::string ClusterAddressFor(const ServerConfig& config) {
  std::string from_url = HostPortOfUrl(config.cluster_addr);
  if (!from_url.empty()) return from_url;
  if (config.listeners.empty()) return "127.0.0.1:8201";
  const ListenerConfig& first = config.listeners.front();
  if (!first.cluster_address.empty()) return first.cluster_address;
  // As Vault: the API port + 1 on the same host (port 0 stays 0: any port).
  std::size_t colon = first.address.rfind(':');
  std::string host = first.address.substr(0, colon);
  if (host.empty() || host == "0.0.0.0" || host == "[::]") host = "127.0.0.1";
  int port = std::atoi(first.address.c_str() + colon + 1);
  return host + ":" + std::to_string(port == 0 ? 0 : port + 1);
}

namespace {

// The providers of the config's seal blocks: the enabled one and the
// disabled one a migration moves away from ("shamir" has none). A block
// that cannot be set up (a missing option, a PKCS#11 module that does not
// load) stops the start with the block's line; a provider that cannot be
// reached is only found out when unsealing, which retries.
Status MakeSeals(const ServerConfig& config, core::CoreOptions& options) {
  for (const seal::SealBlock& block : config.seals) {
    auto wrapper = seal::NewKeyWrapper(block);
    if (!wrapper.ok()) {
      std::string where = config.source_file.empty() ? "config" : config.source_file;
      if (block.line > 0) where += ":" + std::to_string(block.line);
      // The provider's message names the seal block already.
      return Status(wrapper.status().code(), where + ": " + wrapper.status().message());
    }
    std::shared_ptr<seal::KeyWrapper> shared(std::move(*wrapper));
    (block.disabled ? options.old_seal : options.seal) = std::move(shared);
  }
  return Status::Ok();
}

}  // namespace

Server::Server(ServerConfig config, Clock& clock) : config_(std::move(config)), clock_(clock) {}

Server::~Server() { Stop(); }

Status Server::Start() {
  TRESOR_RETURN_IF_ERROR(SetLogLevel(config_.log_level));
  LogStream::Default().Open();
  TRESOR_RETURN_IF_ERROR(DisableCoreDumps());
  SetMemoryLockingEnabled(!config_.disable_mlock);
  if (!config_.disable_mlock) TRESOR_RETURN_IF_ERROR(CheckMemoryLockingWorks());

  const StorageConfig& sc = *config_.storage;
  const std::string cluster_address = ClusterAddressFor(config_);
  TRESOR_ASSIGN_OR_RETURN(storage_, storage::CreateBackend(sc.type, sc.options, cluster_address));
  if (config_.ha_storage.has_value()) {
    TRESOR_ASSIGN_OR_RETURN(storage_,
                            storage::WithHAFrom(std::move(storage_), config_.ha_storage->type,
                                                config_.ha_storage->options));
  }
  core::CoreOptions core_options{.storage_type = sc.type, .cluster_name = config_.cluster_name};
  TRESOR_RETURN_IF_ERROR(MakeSeals(config_, core_options));
  core_options.api_addr = ApiAddrFor(config_);
  core_options.cluster_addr = "https://" + cluster_address;
  core_options.post_json = PostJsonToNode;
  core_options.sanitized_config = SanitizedConfig(config_);
  if (auto path = sc.options.find("path"); path != sc.options.end()) {
    core_options.scratch_dir = path->second + "/snapshot-auto-scratch";
  }
  // Before the core: its sys/metrics route reads the settings.
  metrics::Default().SetSettings(config_.telemetry);
  metrics::SetUpdatesEnabled(!config_.telemetry.disable_metrics);
  core_ = std::make_unique<core::Core>(*storage_, clock_, std::move(core_options));
  std::size_t io_threads = std::max(1u, std::thread::hardware_concurrency());
  metered_ = std::make_unique<MeteredHandler>(*core_);
  http_ = std::make_unique<http::Server>(*metered_, io_threads);
  for (const auto& listener : config_.listeners) {
    TRESOR_RETURN_IF_ERROR(http_->AddListener(ToListenerOptions(listener)));
  }
  http_->Start();
  if (sc.type == "raft" && !sc.retry_join.empty()) {
    retry_joiner_ = std::make_unique<RetryJoiner>(*core_, sc.retry_join);
  }
  return Status::Ok();
}

StatusOr<std::pair<std::string, std::string>> Server::InitializeForDev(
    const std::optional<std::string>& root_token_id) {
  core::Lifecycle& lifecycle = core_->lifecycle();
  TRESOR_ASSIGN_OR_RETURN(auto init, lifecycle.Initialize({.secret_shares = 1,
                                                           .secret_threshold = 1,
                                                           .recovery_shares = 1,
                                                           .recovery_threshold = 1,
                                                           .root_token_id = root_token_id}));
  // With an auto seal the server is unsealed by the init and has recovery
  // shares instead.
  std::vector<SecureBytes>& shares = init.key_shares.empty() ? init.recovery_shares : init.key_shares;
  if (shares.empty()) return InternalError("dev server init returned no key shares");
  if (lifecycle.Sealed()) {
    TRESOR_ASSIGN_OR_RETURN(auto status, lifecycle.SubmitUnsealShare(shares.front()));
    if (status.sealed) return InternalError("dev server did not unseal");
  }
  // As Vault's dev server: KV version 2 at secret/.
  core::MountEntry secret;
  secret.path = "secret/";
  secret.type = "kv";
  secret.description = "key/value secret storage";
  secret.options["version"] = "2";
  TRESOR_RETURN_IF_ERROR(core_->mounts().Enable(core::MountKind::kSecrets, secret).status());
  return std::make_pair(Base64Encode(AsStringView(shares.front())), init.root_token);
}

void Server::Stop() {
  retry_joiner_.reset();
  if (http_) {
    // A sys/monitor stream never ends by itself, and the drain would wait
    // for it: end them all first.
    LogStream::Default().CloseAll();
    http_->Shutdown(kDrainDeadline);
    http_.reset();
  }
  if (core_) {
    core_->lifecycle().Seal().IgnoreError();
    core_.reset();
  }
  if (storage_) {
    Status closed = storage_->Close();
    if (!closed.ok()) spdlog::error("closing storage: {}", closed.ToString());
    storage_.reset();
  }
}

void Server::Reload() {
  // Log rotation: audit files are opened again under their names.
  if (core_ != nullptr) core_->audit().Reopen();
  if (config_.source_file.empty()) return;
  auto fresh = LoadConfigFile(config_.source_file);
  if (!fresh.ok()) {
    spdlog::error("reload: keeping the running configuration: {}", fresh.status().message());
    return;
  }
  Status applied = SetLogLevel(fresh->log_level);
  if (!applied.ok()) {
    spdlog::error("reload: {}", applied.message());
    return;
  }
  config_.log_level = fresh->log_level;
  spdlog::info("reloaded configuration; log level is {}", config_.log_level);
}

std::string Server::ListenAddress(std::size_t i) const { return http_->BoundAddress(i); }

}  // namespace tresor::server
