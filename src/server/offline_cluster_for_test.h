// Test-only helpers for the offline command tests (snapshot verify, backup,
// migrate): a Core over some physical storage, initialised, unsealed and
// filled with a kv mount, secrets, a policy and a token; and archives
// written from that storage the way a save would write them, optionally
// with records altered before their checksums are computed.
//
// Thread safety: none; each test owns its objects.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/encoding.h"
#include "core/core.h"
#include "snapshot/archive_file.h"
#include "snapshot/meta.h"
#include "snapshot/sums_seal.h"
#include "storage/backend.h"

namespace tresor::server {

class OfflineClusterForTest {
 public:
  // Initialises `physical` with `shares` key shares and `threshold`, unseals
  // it and writes `secrets` kv secrets ("kv/k<i>" = {"v": "value-<i>"}), a
  // policy "reader" and one more token. `physical` outlives this object.
  OfflineClusterForTest(storage::Backend& physical, int shares = 1, int threshold = 1,
                        int secrets = 5)
      : physical_(physical),
        core_(physical, clock_,
              core::CoreOptions{.storage_type = "test",
                                .cluster_name = "",
                                .token_reap_interval = std::chrono::seconds(0)}) {
    auto init = Call(core::Operation::kUpdate, "sys/init",
                     {{"secret_shares", shares}, {"secret_threshold", threshold}});
    EXPECT_TRUE(init.ok()) << init.status().ToString();
    for (const auto& key : init->data["keys_base64"]) keys_base64.push_back(key);
    for (const auto& key : init->data["keys"]) keys_hex.push_back(key);
    root_token = init->data["root_token"];
    for (int i = 0; i < threshold; ++i) {
      EXPECT_TRUE(Call(core::Operation::kUpdate, "sys/unseal", {{"key", keys_base64[i]}}).ok());
    }
    EXPECT_FALSE(core_.lifecycle().Sealed());
    EXPECT_TRUE(Call(core::Operation::kUpdate, "sys/mounts/kv",
                     {{"type", "kv"}, {"options", {{"version", "1"}}}}, root_token)
                    .ok());
    for (int i = 0; i < secrets; ++i) {
      EXPECT_TRUE(Call(core::Operation::kUpdate, "kv/k" + std::to_string(i),
                       {{"v", "value-" + std::to_string(i)}}, root_token)
                      .ok());
    }
    EXPECT_TRUE(Call(core::Operation::kUpdate, "sys/policy/reader",
                     {{"policy", "path \"kv/*\" { capabilities = [\"read\"] }"}}, root_token)
                    .ok());
    EXPECT_TRUE(
        Call(core::Operation::kUpdate, "auth/token/create", {{"policies", {"reader"}}}, root_token)
            .ok());
  }

  StatusOr<core::Response> Call(core::Operation op, std::string path, nlohmann::json data = nullptr,
                                std::string token = "") {
    core::Request r;
    r.operation = op;
    r.path = std::move(path);
    r.data = std::move(data);
    r.client_token = std::move(token);
    return core_.Handle(r);
  }

  // The unseal key shares, decoded, the first `count` of them (all by default).
  std::vector<SecureBytes> Keys(std::size_t count = 0) const {
    std::vector<SecureBytes> out;
    for (std::size_t i = 0; i < keys_base64.size() && (count == 0 || i < count); ++i) {
      out.push_back(ToSecureBytes(*Base64Decode(keys_base64[i])));
    }
    return out;
  }

  // Every physical record, as stored.
  std::map<std::string, std::string> Records() {
    std::map<std::string, std::string> out;
    auto names = storage::ListRecursive(physical_, "");
    EXPECT_TRUE(names.ok());
    for (const auto& name : *names) out[name] = **physical_.Get(name);
    return out;
  }

  // Writes Records() (after `alter`, if any) as an archive at `path`, its
  // sums sealed by `seal` (this cluster's root key when null).
  void WriteArchive(const std::string& path,
                    const std::function<void(std::map<std::string, std::string>&)>& alter = {},
                    const snapshot::SumsSeal* seal = nullptr) {
    std::map<std::string, std::string> records = Records();
    if (alter) alter(records);
    snapshot::RootKeySumsSeal own(core_.lifecycle().RootKeyBarrier());
    snapshot::Meta meta;
    meta.id = "0-0-1";
    meta.created_at = "2026-01-01T00:00:00Z";
    meta.cluster_id = ClusterId();
    meta.keyring_term = 1;
    auto written = snapshot::WriteArchiveFile(
        path, meta,
        [&records](const snapshot::RecordVisitor& visit) -> Status {
          for (const auto& [key, value] : records) TRESOR_RETURN_IF_ERROR(visit(key, value));
          return Status::Ok();
        },
        seal != nullptr ? *seal : own);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  std::string ClusterId() { return core_.lifecycle().GetSealStatus()->cluster_id; }
  const barrier::AesGcmBarrier& RootKeyBarrier() { return core_.lifecycle().RootKeyBarrier(); }
  core::Core& core() { return core_; }

  std::vector<std::string> keys_base64;
  std::vector<std::string> keys_hex;
  std::string root_token;

 private:
  storage::Backend& physical_;
  FakeClock clock_;
  core::Core core_;
};

}  // namespace tresor::server
