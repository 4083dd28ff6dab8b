#include "storage/etcd/etcd_backend.h"

#include <atomic>
#include <unordered_map>

#include "common/encoding.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_fence.h"
#include "storage/etcd/etcd_ha.h"
#include "storage/etcd/etcd_options.h"

namespace tresor::storage {
namespace {

constexpr std::size_t kEtcdListPage = 256;
constexpr std::size_t kEtcdMaxTxnOps = 128;
constexpr char kEtcdLockFolder[] = "core/_lock/";

bool EtcdReserved(std::string_view key) { return key.starts_with(kEtcdLockFolder); }

class EtcdBackend : public Backend {
 public:
  EtcdBackend(EtcdOptions options, std::shared_ptr<EtcdClient> client)
      : options_(std::move(options)), client_(std::move(client)) {
    if (options_.ha_enabled) {
      ha_ = std::make_unique<EtcdHA>(client_, options_.path + kEtcdLockFolder, options_, fence_);
    }
  }
  ~EtcdBackend() override { Close().IgnoreError(); }

  StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    TRESOR_RETURN_IF_ERROR(ValidateKey(key));
    TRESOR_RETURN_IF_ERROR(CheckOpen());
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer,
                            client_->Call("/v3/kv/range", {{"key", EtcdB64(Full(key))}}));
    auto kvs = answer.find("kvs");
    if (kvs == answer.end() || kvs->empty()) return std::optional<std::string>();
    auto value = (*kvs)[0].find("value");
    if (value == (*kvs)[0].end()) return std::optional<std::string>(std::string());
    auto decoded = Base64Decode(value->get<std::string>());
    if (!decoded.ok()) return CorruptionError("etcd sent a value that is not base64");
    return std::optional<std::string>(std::move(decoded).value());
  }

  Status Put(std::string_view key, std::string_view value) override {
    return Batch({Operation::Put(std::string(key), std::string(value))});
  }

  Status Delete(std::string_view key) override {
    return Batch({Operation::Delete(std::string(key))});
  }

  StatusOr<std::vector<std::string>> ListPage(std::string_view prefix, std::string_view after,
                                              std::size_t limit) override {
    TRESOR_RETURN_IF_ERROR(ValidatePrefix(prefix));
    TRESOR_RETURN_IF_ERROR(CheckOpen());
    std::vector<std::string> names;
    if (EtcdReserved(prefix)) return names;
    const std::string full = Full(prefix);
    const std::string end = EtcdPrefixEnd(full);
    // The first key that may give a name > after: past every key of the
    // folder `after` names, or just past the key itself.
    std::string cursor = full;
    if (!after.empty()) {
      cursor = after.back() == '/' ? EtcdPrefixEnd(full + std::string(after))
                                   : full + std::string(after) + '\0';
    }
    const std::string hidden = options_.path + kEtcdLockFolder;
    while (limit == 0 || names.size() < limit) {
      nlohmann::json request = {{"key", EtcdB64(cursor)},
                                {"range_end", EtcdB64(end)},
                                {"keys_only", true},
                                {"limit", kEtcdListPage}};
      TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer, client_->Call("/v3/kv/range", request));
      auto kvs = answer.find("kvs");
      if (kvs == answer.end() || kvs->empty()) break;
      for (const nlohmann::json& kv : *kvs) {
        auto key = Base64Decode(kv.value("key", ""));
        if (!key.ok() || !key->starts_with(full)) {
          return CorruptionError("etcd sent a key outside the range asked for");
        }
        if (*key < cursor) continue;  // inside a folder already listed
        std::string name = key->substr(full.size());
        std::size_t slash = name.find('/');
        if (slash == std::string::npos) {
          cursor = *key + '\0';
        } else {
          name.resize(slash + 1);
          cursor = EtcdPrefixEnd(full + name);
          if (full + name == hidden) continue;
        }
        names.push_back(std::move(name));
        if (limit != 0 && names.size() == limit) break;
      }
      if (!answer.value("more", false)) break;
    }
    return names;
  }

  Status Batch(const std::vector<Operation>& ops) override {
    for (const Operation& op : ops) {
      TRESOR_RETURN_IF_ERROR(ValidateKey(op.key));
      if (EtcdReserved(op.key)) {
        return InvalidArgumentError("storage \"etcd\": keys under \"" +
                                    std::string(kEtcdLockFolder) +
                                    "\" are reserved for the HA lock");
      }
    }
    TRESOR_RETURN_IF_ERROR(CheckOpen());
    if (ops.empty()) return Status::Ok();
    // The last operation on a key decides its outcome; etcd refuses a txn
    // that names a key twice.
    std::unordered_map<std::string_view, std::size_t> last;
    for (std::size_t i = 0; i < ops.size(); ++i) last[ops[i].key] = i;
    if (last.size() > kEtcdMaxTxnOps) {
      return TooLargeError("storage \"etcd\": a batch of " + std::to_string(last.size()) +
                           " keys is more than etcd applies in one transaction (" +
                           std::to_string(kEtcdMaxTxnOps) + ", etcd's --max-txn-ops)");
    }
    nlohmann::json success = nlohmann::json::array();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (last[ops[i].key] != i) continue;
      const Operation& op = ops[i];
      if (op.type == Operation::Type::kPut) {
        success.push_back(
            {{"request_put", {{"key", EtcdB64(Full(op.key))}, {"value", EtcdB64(op.value)}}}});
      } else {
        success.push_back({{"request_delete_range", {{"key", EtcdB64(Full(op.key))}}}});
      }
    }
    nlohmann::json txn = {{"success", std::move(success)}};
    EtcdFence::View fence = fence_->Get();
    if (options_.ha_enabled && fence.state == EtcdFence::State::kDeposed) {
      return FailedPreconditionError(kNotHolder);
    }
    if (options_.ha_enabled && fence.state == EtcdFence::State::kHeld) {
      txn["compare"] = nlohmann::json::array({{{"key", EtcdB64(fence.key)},
                                               {"target", "CREATE"},
                                               {"result", "EQUAL"},
                                               {"create_revision", std::to_string(fence.revision)}}});
    }
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer, client_->Call("/v3/kv/txn", txn));
    if (!answer.value("succeeded", false)) return FailedPreconditionError(kNotHolder);
    return Status::Ok();
  }

  Status Close() override {
    if (closed_.exchange(true)) return Status::Ok();
    ha_.reset();  // its threads use the client
    client_->CloseIdle();
    return Status::Ok();
  }

  HABackend* AsHA() override { return ha_.get(); }

 private:
  static constexpr char kNotHolder[] = "this node no longer holds the active lock";

  std::string Full(std::string_view key) const { return options_.path + std::string(key); }
  Status CheckOpen() const {
    if (closed_.load()) return FailedPreconditionError("storage \"etcd\" is closed");
    return Status::Ok();
  }

  const EtcdOptions options_;
  // Shared with the tenures EtcdHA hands out, which may outlive this.
  const std::shared_ptr<EtcdClient> client_;
  const std::shared_ptr<EtcdFence> fence_ = std::make_shared<EtcdFence>();
  std::unique_ptr<EtcdHA> ha_;  // null without ha_enabled
  std::atomic<bool> closed_{false};
};

}  // namespace

StatusOr<std::unique_ptr<Backend>> OpenEtcdBackend(
    const std::map<std::string, std::string>& options) {
  TRESOR_ASSIGN_OR_RETURN(EtcdOptions parsed, ParseEtcdOptions(options));
  return OpenEtcdBackendWith(std::move(parsed));
}

StatusOr<std::unique_ptr<Backend>> OpenEtcdBackendWith(EtcdOptions parsed) {
  TRESOR_ASSIGN_OR_RETURN(std::unique_ptr<EtcdClient> client, EtcdClient::Create(parsed));
  // One read now, so that an unreachable etcd or a wrong password stops
  // the server at start with a message, not at the first request.
  nlohmann::json probe = {{"key", EtcdB64(parsed.path)},
                          {"range_end", EtcdB64(EtcdPrefixEnd(parsed.path))},
                          {"count_only", true}};
  auto answer = client->Call("/v3/kv/range", probe);
  if (!answer.ok()) {
    return Status(answer.status().code(),
                  "storage \"etcd\": cannot read from etcd: " +
                      std::string(answer.status().message()));
  }
  return std::unique_ptr<Backend>(std::make_unique<EtcdBackend>(std::move(parsed),
                                                                std::move(client)));
}

}  // namespace tresor::storage
