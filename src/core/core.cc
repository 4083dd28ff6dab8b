#include "core/core.h"

#include <spdlog/spdlog.h>

#include "core/audit/sys_audit_handlers.h"
#include "core/engine_factory.h"
#include "core/sys_handlers.h"
#include "core/sys_metrics_handlers.h"
#include "core/sys_mount_handlers.h"
#include "core/sys_policy_handlers.h"
#include "core/sys_replication_handlers.h"
#include "core/snapshot_recovery.h"
#include "core/token_leases.h"
#include "core/sys_snapshot_auto_handlers.h"

#include <filesystem>

#include "common/duration.h"
#include "engines/auth/token/token_responses.h"
#include "engines/secrets/cubbyhole/cubbyhole.h"

namespace tresor::core {
namespace {

bool IsSysPath(std::string_view path) { return path == "sys" || path.starts_with("sys/"); }

// The wrap TTL a request asked for; sys/wrapping/wrap always wraps.
std::chrono::seconds EffectiveWrapTtl(const Request& request) {
  if (request.wrap_ttl.count() == 0 && request.path == "sys/wrapping/wrap") return kDefaultWrapTtl;
  return request.wrap_ttl;
}

// A policy's min_wrapping_ttl / max_wrapping_ttl on the path decided for
// `operation` (docs/wrapping.md).
Status CheckWrappingBounds(const policy::Acl& acl, Operation operation, const std::string& path,
                           std::chrono::seconds wrap_ttl) {
  const auto bounds = acl.WrappingBoundsOn(operation, path);
  if (bounds.min.count() > 0 && wrap_ttl < bounds.min) {
    if (wrap_ttl.count() == 0) {
      return InvalidArgumentError("policy requires this request to be wrapped: send "
                                  "X-Vault-Wrap-TTL of at least " + FormatDuration(bounds.min));
    }
    return InvalidArgumentError("X-Vault-Wrap-TTL: " + FormatDuration(wrap_ttl) +
                                " is shorter than the policy's min_wrapping_ttl of " +
                                FormatDuration(bounds.min) + " on this path");
  }
  if (bounds.max.count() > 0 && wrap_ttl > bounds.max) {
    return InvalidArgumentError("X-Vault-Wrap-TTL: " + FormatDuration(wrap_ttl) +
                                " is longer than the policy's max_wrapping_ttl of " +
                                FormatDuration(bounds.max) + " on this path");
  }
  return Status::Ok();
}

}  // namespace

Core::Core(storage::Backend& physical, Clock& clock, CoreOptions options)
    : clock_(clock),
      options_(std::move(options)),
      lifecycle_(physical, clock, options_.cluster_name),
      rekey_(lifecycle_, clock, Rekey::Target::kUnsealKeys),
      rekey_recovery_(lifecycle_, clock, Rekey::Target::kRecoveryKeys),
      generate_root_(lifecycle_, clock),
      ha_(lifecycle_, physical, clock, HaOptions{options_.api_addr, options_.cluster_addr}),
      dr_(physical, lifecycle_, ha_, clock,
          replication::DrOptions{options_.cluster_addr, options_.api_addr}),
      auto_snapshots_(lifecycle_, ha_, clock,
                      physical.AsSnapshotter(),
                      physical.AsReplicationLog(),
                      options_.scratch_dir.empty()
                          ? std::filesystem::temp_directory_path().string() + "/tresor-snapshot-auto"
                          : options_.scratch_dir,
                      [this] { return dr_.mode() != replication::Mode::kSecondary; }),
      write_archiver_(lifecycle_, ha_, clock,
                      physical.AsReplicationLog(), auto_snapshots_, auto_snapshots_.scratch_dir(),
                      [this] { return dr_.mode() != replication::Mode::kSecondary; }),
      loaded_snapshots_(clock, auto_snapshots_.scratch_dir()),
      policies_(lifecycle_.Barrier()),
      audit_(lifecycle_.Barrier(), clock),
      mounts_(lifecycle_.Barrier(), clock, BuiltinEngineFactory(lifecycle_.Tokens())),
      wrapping_(lifecycle_.Tokens(), [this]() -> std::shared_ptr<storage::Backend> {
        auto cubbyhole = mounts_.Find(MountKind::kSecrets, "cubbyhole/");
        if (cubbyhole == nullptr) return nullptr;
        return cubbyhole->view;
      }),
      in_flight_(clock) {
  const SysContext sys_context{lifecycle_,      options_,        clock_, ha_,
                               rekey_,          rekey_recovery_, generate_root_,
                               dr_,             restore_mutex_,
                               [this] { return audit_.Failing(); }};
  RegisterSysHandlers(sys_, sys_context);
  RegisterMountHandlers(sys_, mounts_, policies_);
  RegisterAuditHandlers(sys_, audit_);
  RegisterReplicationHandlers(sys_, dr_);
  RegisterSnapshotAutoHandlers(sys_, auto_snapshots_, write_archiver_);
  RegisterSnapshotPitrHandlers(sys_, sys_context, auto_snapshots_.scratch_dir());
  RegisterSnapshotLoadHandlers(sys_, sys_context, loaded_snapshots_);
  RegisterWrappingHandlers(sys_, wrapping_);
  RegisterMetricsHandlers(sys_, {lifecycle_, ha_, clock_, auto_snapshots_, mounts_, dr_});
  leases_.AddSource(NewTokenLeaseSource(lifecycle_.Tokens()));
  RegisterLeaseHandlers(sys_, leases_);
  RegisterRuntimeHandlers(sys_, sys_context, in_flight_);
  RegisterMonitorHandlers(sys_);
  dr_.SetBatchTokenCheck([this](const std::string& token, const std::string& path) {
    return CheckTokenAllowsUpdate(token, path);
  });
  RegisterPolicyHandlers(
      sys_, PolicyHandlerContext{
                policies_, [this](const std::string& token) -> StatusOr<std::vector<std::string>> {
                  TRESOR_ASSIGN_OR_RETURN(auto entry, lifecycle_.Tokens().Lookup(token));
                  if (!entry.has_value()) return PermissionDeniedError();
                  return entry->policies;
                },
                [this](const std::string& accessor) -> StatusOr<std::vector<std::string>> {
                  TRESOR_ASSIGN_OR_RETURN(auto entry,
                                          lifecycle_.Tokens().LookupByAccessor(accessor));
                  if (!entry.has_value()) return NotFoundError("no token with this accessor");
                  return entry->policies;
                }});
  // A revoked token's cubbyhole goes with it.
  lifecycle_.Tokens().SetRevokeHook([this](const std::string& token_hash) {
    auto cubbyhole = mounts_.Find(MountKind::kSecrets, "cubbyhole/");
    if (cubbyhole == nullptr) return;
    Status destroyed = engines::cubbyhole::DestroyCubbyhole(*cubbyhole->view, token_hash);
    if (!destroyed.ok()) {
      spdlog::error("could not delete a revoked token's cubbyhole: {}", destroyed.message());
    }
  });
  lifecycle_.SetUnsealHooks(
      [this] {
        policies_.InvalidateCache();
        TRESOR_RETURN_IF_ERROR(mounts_.Load());
        TRESOR_RETURN_IF_ERROR(audit_.Load());
        ha_.OnUnseal();
        return Status::Ok();
      },
      [this] {
        ha_.OnSeal();
        audit_.Unload();
        mounts_.Unload();
        policies_.InvalidateCache();
      });
  lifecycle_.SetSeals(options_.seal, options_.old_seal);
  if (options_.token_reap_interval.count() > 0) reaper_ = std::thread([this] { RunReaper(); });
  if (options_.seal != nullptr) auto_unsealer_ = std::thread([this] { RunAutoUnseal(); });
  // A new active node reloads what a standby may hold stale copies of.
  ha_.Start([this] {
    // An attempt left from an earlier term as active is stale.
    rekey_.Clear();
    rekey_recovery_.Clear();
    generate_root_.Clear();
    policies_.InvalidateCache();
    // Tokens this node cached in an earlier term may have been revoked or
    // renewed by another active node since.
    TRESOR_RETURN_IF_ERROR(lifecycle_.Tokens().Load());
    TRESOR_RETURN_IF_ERROR(audit_.Load());
    mounts_.Unload();
    // A DR secondary writes nothing of its own: its data is the primary's.
    if (dr_.mode() == replication::Mode::kSecondary) return mounts_.Load();
    // A seal migration unsealed while standby is written now.
    Status migrated = lifecycle_.CompletePendingMigration();
    if (!migrated.ok()) spdlog::error("writing the seal migration failed: {}", migrated.message());
    Status rewrapped = lifecycle_.RewrapRootKeyIfRotated();
    if (!rewrapped.ok()) {
      spdlog::warn("could not re-wrap the root key under the seal's latest key: {}",
                   rewrapped.message());
    }
    return mounts_.Load();
  });
  dr_.Start();
  auto_snapshots_.Start();
  write_archiver_.Start();
}

Core::~Core() {
  write_archiver_.Stop();
  auto_snapshots_.Stop();
  dr_.Stop();
  ha_.Stop();
  {
    std::lock_guard lock(reaper_mu_);
    stopping_ = true;
  }
  reaper_cv_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  if (auto_unsealer_.joinable()) auto_unsealer_.join();
  // Seal while the members the seal hook touches still exist.
  lifecycle_.Seal().IgnoreError();
}

void Core::RunReaper() {
  std::unique_lock lock(reaper_mu_);
  while (!reaper_cv_.wait_for(lock, options_.token_reap_interval, [this] { return stopping_; })) {
    lock.unlock();
    // Only the active node writes; a standby's reaping is the active's job,
    // and a DR secondary's is its primary's (whose deletions it receives).
    if (!lifecycle_.Sealed() && ha_.IsActive() &&
        dr_.mode() != replication::Mode::kSecondary) {
      auto reaped = ReapExpiredTokens();
      if (!reaped.ok() && reaped.status().code() != StatusCode::kSealed) {
        spdlog::warn("reaping expired tokens failed: {}", reaped.status().message());
      }
    }
    lock.lock();
  }
}

void Core::RunAutoUnseal() {
  using std::chrono::seconds;
  seconds wait{0}, backoff{1};
  std::string last_error;
  auto last_logged = clock_.MonotonicNow() - std::chrono::hours(1);
  std::unique_lock lock(reaper_mu_);
  while (!reaper_cv_.wait_for(lock, wait, [this] { return stopping_; })) {
    lock.unlock();
    wait = seconds(1);
    auto initialized = lifecycle_.Initialized();
    if (initialized.ok() && *initialized && lifecycle_.Sealed() &&
        !lifecycle_.SealedByOperator()) {
      Status unsealed = lifecycle_.AutoUnseal();
      if (unsealed.ok()) {
        backoff = seconds(1);
        last_error.clear();
      } else {
        // Say it when it changes, and again every 30 s while it lasts.
        auto now = clock_.MonotonicNow();
        if (unsealed.message() != last_error || now - last_logged >= seconds(30)) {
          spdlog::warn("still sealed: auto-unseal through the seal \"{}\" failed: {}; retrying",
                       lifecycle_.ConfiguredSealType(), unsealed.message());
          last_error = unsealed.message();
          last_logged = now;
        }
        wait = backoff;
        backoff = std::min(backoff * 2, options_.auto_unseal_max_backoff);
      }
    }
    lock.lock();
  }
}

StatusOr<std::size_t> Core::ReapExpiredTokens() { return lifecycle_.Tokens().ReapExpired(); }

StatusOr<Response> Core::Handle(const Request& request) {
  const auto in_flight = in_flight_.Track(request);
  if (dr_.mode() == replication::Mode::kSecondary &&
      !replication::DrReplication::AllowsOnSecondary(request.path)) {
    return InvalidArgumentError("path disabled in replication DR secondary mode");
  }
  // Tresor's synchronous DR mode: a request that wrote is answered once a
  // secondary holds what it wrote.
  // A wrap TTL that could never be granted is refused before anything runs.
  if (EffectiveWrapTtl(request) > lifecycle_.Tokens().limits().max_ttl) {
    return InvalidArgumentError("X-Vault-Wrap-TTL: " + FormatDuration(EffectiveWrapTtl(request)) +
                                " is longer than the system's max TTL of " +
                                FormatDuration(lifecycle_.Tokens().limits().max_ttl));
  }
  const std::optional<std::uint64_t> mark = dr_.SynchronousMark();
  audit::AuditRecord record;
  record.request = &request;
  StatusOr<Response> result = HandleRouted(request, record);
  if (result.ok()) result = WrapIfAsked(request, std::move(*result));
  if (record.request_logged) {
    // As Vault: an answer that cannot be audited is not given.
    Status audited = audit_.LogResponse(record, result);
    if (!audited.ok()) return audited;
  }
  TRESOR_ASSIGN_OR_RETURN(Response response, std::move(result));
  if (mark.has_value()) TRESOR_RETURN_IF_ERROR(dr_.AwaitReplicated(*mark));
  return response;
}

StatusOr<Response> Core::WrapIfAsked(const Request& request, Response response) {
  const std::chrono::seconds ttl = EffectiveWrapTtl(request);
  if (ttl.count() == 0 || !HasWrappableContent(response)) return response;
  return wrapping_.Wrap(response, ttl, request.path);
}

Status Core::CheckTokenAllowsUpdate(const std::string& token, const std::string& path) {
  TRESOR_ASSIGN_OR_RETURN(auto entry, lifecycle_.Tokens().Lookup(token));
  if (!entry.has_value()) return PermissionDeniedError();
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const policy::Acl> acl, policies_.AclFor(entry->policies));
  if (!acl->Allows(Operation::kUpdate, path, /*needs_sudo=*/false)) return PermissionDeniedError();
  return Status::Ok();
}

Status Core::AuditRequest(audit::AuditRecord& record, const std::string& path) {
  if (!audit_.Enabled()) return Status::Ok();
  if (auto routed = mounts_.Route(path); routed.has_value()) {
    record.mount_type = routed->mount->entry.type;
  }
  return audit_.LogRequest(record);
}

StatusOr<Response> Core::HandleRouted(const Request& request, audit::AuditRecord& record) {
  if (ha_.Removed() && request.path != "sys/health" && request.path != "sys/seal-status") {
    return UnavailableError(
        "this node was removed from the raft cluster and serves nothing: wipe its storage path, "
        "then start it and join a cluster again");
  }
  TRESOR_RETURN_IF_ERROR(ha_.ConfirmActiveForRequest());
  const SysRoute* route = IsSysPath(request.path) ? sys_.Find(request.path) : nullptr;
  if (route != nullptr && route->unauthenticated) {
    return route->Dispatch(request);
  }
  if (route != nullptr && route->open_until_initialized) {
    TRESOR_ASSIGN_OR_RETURN(bool initialized, lifecycle_.Initialized());
    if (!initialized) return route->Dispatch(request);
  }
  if (lifecycle_.Sealed()) return SealedError();
  if (route == nullptr) {
    // An auth method's login needs no token and no policy.
    auto routed = mounts_.Route(request.path);
    if (routed.has_value() && routed->mount->engine != nullptr &&
        routed->mount->IsUnauthenticated(routed->relative_path)) {
      TRESOR_RETURN_IF_ERROR(AuditRequest(record, request.path));
      return HandleLogin(request, *routed->mount, routed->relative_path);
    }
  }

  TRESOR_ASSIGN_OR_RETURN(auto token, lifecycle_.Tokens().UseToken(request.client_token));
  if (!token.has_value()) return PermissionDeniedError();
  // Copied only when it is written: the hot path pays nothing without audit.
  if (audit_.Enabled()) record.token = *token;
  TRESOR_RETURN_IF_ERROR(AuditRequest(record, request.path));
  if (!token->bound_cidrs.empty() && !logical::ClientInCidrs(request, token->bound_cidrs)) {
    return PermissionDeniedError();
  }
  // Nothing is stored for a batch token, so there is nowhere to keep its
  // cubbyhole (Vault refuses the same).
  if (token->type == "batch" && (request.path == "cubbyhole" ||
                                 request.path.starts_with("cubbyhole/"))) {
    return InvalidArgumentError(
        "cubbyhole operations are only supported by \"service\" type tokens");
  }
  // A wrapping token is good for one thing: giving up what it wraps.
  const bool wrapping_self_service = IsWrappingToken(*token);
  if (wrapping_self_service && !IsWrappingSelfServicePath(request.path)) {
    return PermissionDeniedError();
  }
  TRESOR_ASSIGN_OR_RETURN(std::shared_ptr<const policy::Acl> acl,
                          policies_.AclFor(token->policies));

  Request authorized = request;
  authorized.client_token_hash = token->id_hash;
  authorized.client_token_accessor = token->accessor;
  authorized.client_token_policies = token->policies;

  if (route != nullptr) {
    if (!route->any_token && !wrapping_self_service &&
        !acl->Allows(request.operation, request.path, route->sudo)) {
      return PermissionDeniedError();
    }
    TRESOR_RETURN_IF_ERROR(
        CheckWrappingBounds(*acl, request.operation, request.path, EffectiveWrapTtl(request)));
    return route->Dispatch(authorized);
  }
  return HandleWithEngine(std::move(authorized), *acl);
}

StatusOr<Response> Core::HandleLogin(const Request& request, const Mount& mount,
                                     const std::string& relative_path) {
  Request relative = request;
  relative.path = relative_path;
  relative.mount_point = mount.route_prefix;
  if (relative.operation == Operation::kUpdate) relative.operation = Operation::kCreate;
  TRESOR_ASSIGN_OR_RETURN(Response response, mount.engine->Handle(relative));
  if (!response.login.has_value()) return response;

  // The engine vouched for the caller; the token is core's to mint, within
  // the mount's TTLs.
  const Response::Login& login = *response.login;
  std::chrono::seconds max_ttl = mount.entry.EffectiveMaxLeaseTtl();
  if (login.max_ttl_seconds > 0) max_ttl = std::min(max_ttl, std::chrono::seconds(login.max_ttl_seconds));
  std::chrono::seconds ttl = login.ttl_seconds > 0 ? std::chrono::seconds(login.ttl_seconds)
                                                   : mount.entry.EffectiveDefaultLeaseTtl();
  engines::token::NewToken spec;
  spec.policies = login.policies;
  if (login.no_default_policy) std::erase(spec.policies, "default");
  spec.meta = login.metadata;
  spec.display_name = login.display_name;
  spec.ttl = std::min(ttl, max_ttl);
  spec.explicit_max_ttl = max_ttl;
  spec.num_uses = login.num_uses;
  if (login.period_seconds > 0) {
    // A periodic token lives as long as it is renewed within each period.
    spec.period = std::min(std::chrono::seconds(login.period_seconds), max_ttl);
    spec.ttl = spec.period;
    spec.explicit_max_ttl = std::chrono::seconds(0);
  }
  if (login.token_type == "batch" || login.token_type == "default-batch") {
    spec.type = "batch";
  } else if (!login.token_type.empty() && login.token_type != "service" &&
             login.token_type != "default" && login.token_type != "default-service") {
    return InvalidArgumentError("token_type: unknown token type \"" + login.token_type + "\"");
  }
  spec.bound_cidrs = login.bound_cidrs;
  spec.path = mount.route_prefix + relative_path;
  TRESOR_ASSIGN_OR_RETURN(auto created, lifecycle_.Tokens().Create(spec));
  response.auth = engines::token::AuthData(created.entry, created.token, spec.ttl.count());
  response.login.reset();
  return response;
}

StatusOr<Response> Core::HandleWithEngine(Request request, const policy::Acl& acl) {
  auto routed = mounts_.Route(request.path);
  // "sys/" has no engine: a sys/ path the SysRouter does not know ends here.
  if (!routed.has_value() || routed->mount->engine == nullptr) {
    // Policy first, as in Vault: a 404 to a token that may not use the path
    // would tell it which mounts exist.
    if (!acl.Allows(request.operation, request.path, /*needs_sudo=*/false)) {
      return PermissionDeniedError();
    }
    return NotFoundError("no handler for route \"" + request.path +
                         "\". route entry not found.");
  }
  const Mount& mount = *routed->mount;
  const std::string full_path = std::move(request.path);
  request.path = routed->relative_path;
  request.mount_point = mount.route_prefix;
  request.mount_default_lease_ttl = mount.entry.EffectiveDefaultLeaseTtl();
  request.mount_max_lease_ttl = mount.entry.EffectiveMaxLeaseTtl();

  // A path as it was in a loaded snapshot, read or recovered.
  if (NamesLoadedSnapshot(request)) {
    return HandleSnapshotRecovery(request, full_path, mount, acl, loaded_snapshots_,
                                  lifecycle_.RootKeyBarrier());
  }
  // Vault's existence check: a write to something that does not exist yet
  // needs "create", to something that does, "update".
  if (request.operation == Operation::kUpdate) {
    TRESOR_ASSIGN_OR_RETURN(std::optional<bool> exists, mount.engine->Exists(request));
    if (exists.has_value() && !*exists) request.operation = Operation::kCreate;
  }
  if (!acl.Allows(request.operation, full_path, mount.NeedsSudo(request.path))) {
    return PermissionDeniedError();
  }
  TRESOR_RETURN_IF_ERROR(
      CheckWrappingBounds(acl, request.operation, full_path, request.wrap_ttl));
  StatusOr<Response> response = mount.engine->Handle(request);
  // A token's last use revokes it, and empties its cubbyhole, before the
  // request runs; what that request wrote to the cubbyhole goes too.
  if (mount.entry.type == "cubbyhole" && response.ok() &&
      (request.operation == Operation::kCreate || request.operation == Operation::kUpdate)) {
    auto live = lifecycle_.Tokens().LookupByHash(request.client_token_hash);
    if (live.ok() && !live->has_value()) {
      Status destroyed =
          engines::cubbyhole::DestroyCubbyhole(*mount.view, request.client_token_hash);
      if (!destroyed.ok()) {
        spdlog::error("could not delete a used-up token's cubbyhole: {}", destroyed.message());
      }
    }
  }
  return response;
}

}  // namespace tresor::core
