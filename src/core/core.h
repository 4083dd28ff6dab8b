// Core: the request pipeline and the composition of the server's state.
// Every request passes through Handle:
//   sys route? -> sealed check -> token (UseToken) -> ACL policy -> handler
// where the handler is a core sys/ endpoint or the engine of the mount with
// the longest matching prefix. The ACL check uses the full request path and
// Vault's create-versus-update rule (an engine's Exists decides whether a
// write creates), and demands sudo on root-protected paths.
//
// State that lives only while unsealed (the mount table's engines, the token
// store's salt, cached ACLs) is loaded by the unseal hook and dropped by the
// seal hook (Lifecycle::SetUnsealHooks).
//
// Who calls it: http/ (through RequestHandler), server/ (construction and
// -dev set-up).
// Threads: Handle is safe to call from many threads at once. A background
// thread reaps expired tokens while the Core lives; with an auto seal, another
// unseals the node through it.
#pragma once

#include <chrono>
#include <functional>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "core/audit/audit_broker.h"
#include "core/generate_root.h"
#include "core/ha.h"
#include "core/in_flight.h"
#include "core/leases.h"
#include "core/lifecycle.h"
#include "core/mount_table.h"
#include "core/policy/policy_store.h"
#include "core/rekey.h"
#include "core/replication/dr_replication.h"
#include "core/response_wrapping.h"
#include "core/request.h"
#include "core/snapshot_paths.h"
#include "core/snapshot_auto/auto_snapshotter.h"
#include "core/snapshot_auto/write_archiver.h"
#include "core/snapshot_load.h"
#include "core/sys_router.h"
#include "seal/key_wrapper.h"
#include "storage/backend.h"

namespace tresor::core {

struct CoreOptions {
  // Reported in sys/seal-status ("file", "inmem", ...).
  std::string storage_type;
  // From the config; empty to generate one at init.
  std::string cluster_name;
  // How often expired tokens are revoked in the background; 0 disables the
  // background thread (tests call ReapExpiredTokens themselves).
  std::chrono::seconds token_reap_interval{60};
  // High availability (raft storage only): what this node advertises.
  std::string api_addr{};
  std::string cluster_addr{};
  // How a joining node talks to the leader's API: POSTs body to
  // base_url + "/v1/" + path and returns the JSON answer (an error status
  // carries the leader's message). Set by server/; null in unit tests.
  std::function<StatusOr<nlohmann::json>(const std::string& base_url, const std::string& path,
                                         const nlohmann::json& body)>
      post_json = nullptr;
  // The auto-unseal providers of the config's seal blocks (Lifecycle::
  // SetSeals): the enabled one (null: Shamir) and a disabled one a
  // migration moves away from. With `seal`, a background thread unseals
  // the node through it (retrying while the provider is unreachable).
  std::shared_ptr<seal::KeyWrapper> seal = nullptr;
  std::shared_ptr<seal::KeyWrapper> old_seal = nullptr;
  // How long the auto-unseal thread waits between failed attempts, at most.
  std::chrono::seconds auto_unseal_max_backoff{5};
  // Where an automated snapshot is written and checked before an upload
  // (beside the storage; empty: the system's temporary directory).
  std::string scratch_dir{};
  // The running config without secrets, for sys/config/state/sanitized
  // (server/config_sanitized.h); null where there is no config (tests).
  nlohmann::json sanitized_config = nullptr;
};

class Core final : public RequestHandler {
 public:
  // physical and clock outlive the Core.
  Core(storage::Backend& physical, Clock& clock, CoreOptions options);
  ~Core() override;

  StatusOr<Response> Handle(const Request& request) override;
  // Snapshots (core/snapshot_paths.h): a restore or load takes its body raw, and a
  // standby redirects a save (unless stale) and a restore to the active.
  bool WantsRawBody(std::string_view method, std::string_view path) const override {
    return TakesSnapshotBody(method, path);
  }
  bool RedirectOnly(const Request& request) const override {
    return IsRedirectedSnapshotSave(request);
  }
  std::optional<std::string> ForwardTarget(const Request& request) override {
    return ha_.ForwardTarget(request);
  }
  Ha& ha() { return ha_; }
  replication::DrReplication& dr() { return dr_; }

  // Revokes every token that has expired or run out of uses. Sealed when
  // sealed.
  StatusOr<std::size_t> ReapExpiredTokens();

  Lifecycle& lifecycle() { return lifecycle_; }
  MountTable& mounts() { return mounts_; }
  // The audit devices; the server reopens them on SIGHUP.
  audit::Broker& audit() { return audit_; }
  const CoreOptions& options() const { return options_; }

 private:
  // Writes the request's audit entry into `record` once the caller is known
  // (docs/audit.md); Handle writes the response entry.
  StatusOr<Response> HandleRouted(const Request& request, audit::AuditRecord& record);
  // The audit request entry, before the request runs: fails the request
  // when devices are enabled and none took it.
  Status AuditRequest(audit::AuditRecord& record, const std::string& path);
  // The answer wrapped when the request asked for it (docs/wrapping.md).
  StatusOr<Response> WrapIfAsked(const Request& request, Response response);
  StatusOr<Response> HandleWithEngine(Request request, const policy::Acl& acl);
  // A token of the token store whose policy allows an update of `path`
  // (a batch DR operation token, docs/replication.md); read-only.
  Status CheckTokenAllowsUpdate(const std::string& token, const std::string& path);
  // An auth method's unauthenticated path (login): no token, no ACL; a
  // successful login becomes a new orphan token.
  StatusOr<Response> HandleLogin(const Request& request, const Mount& mount,
                                 const std::string& relative_path);
  void RunReaper();
  // Unseals through the auto seal whenever the node is initialised and
  // sealed (not by an operator), retrying with a growing pause.
  void RunAutoUnseal();

  Clock& clock_;
  const CoreOptions options_;
  Lifecycle lifecycle_;
  // The quorum flows: their progress is in memory on the active node only.
  Rekey rekey_;           // unseal keys (Shamir)
  Rekey rekey_recovery_;  // recovery keys (auto seals)
  GenerateRoot generate_root_;
  Ha ha_;
  replication::DrReplication dr_;
  snapshot_auto::AutoSnapshotter auto_snapshots_;
  snapshot_auto::WriteArchiver write_archiver_;
  LoadedSnapshots loaded_snapshots_;  // single-path recovery
  std::mutex restore_mutex_;  // SysContext::restore_mutex
  policy::PolicyStore policies_;
  audit::Broker audit_;
  MountTable mounts_;
  ResponseWrapping wrapping_;
  Leases leases_;
  InFlightRequests in_flight_;
  SysRouter sys_;

  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;  // GUARDED_BY(reaper_mu_)
  std::thread reaper_;
  std::thread auto_unsealer_;  // RunAutoUnseal, only with an auto seal
};

}  // namespace tresor::core
