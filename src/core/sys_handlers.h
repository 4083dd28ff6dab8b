// The handlers of the core's own sys/ endpoints, registered into a
// SysRouter. Split by concern: sys_seal_handlers.cc (init, seal-status,
// unseal, seal), sys_health_handlers.cc (health, leader),
// sys_key_handlers.cc (key-status, rotate).
//
// Threads: handlers are called concurrently; they hold no state of their own.
#pragma once

#include <functional>
#include <mutex>

#include <initializer_list>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "core/generate_root.h"
#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/rekey.h"
#include "core/replication/dr_replication.h"
#include "core/sys_router.h"

namespace tresor::core {

struct CoreOptions;

struct SysContext {
  Lifecycle& lifecycle;
  const CoreOptions& options;
  Clock& clock;
  Ha& ha;
  Rekey& rekey;           // sys/rekey/*
  Rekey& rekey_recovery;  // sys/rekey-recovery-key/*
  GenerateRoot& generate_root;
  // The DR role, for sys/health's DR-secondary code.
  const replication::DrReplication& dr;
  // Held by a whole-state restore (snapshot or point in time): one at a time.
  std::mutex& restore_mutex;
  // Whether an audit device's last write failed (sys/health's audit_failing).
  std::function<bool()> audit_failing = nullptr;
};

void RegisterSysHandlers(SysRouter& router, SysContext context);
// The checks before a whole-state restore (initialised or forced, unsealed,
// active, none other running) and the lock held while it runs.
// `how_to_force` names the way to force one in the message.
StatusOr<std::unique_lock<std::mutex>> BeginWholeStateRestore(SysContext ctx, bool force,
                                                              std::string_view how_to_force);
void RegisterSealHandlers(SysRouter& router, SysContext context);
void RegisterHealthHandlers(SysRouter& router, SysContext context);
void RegisterKeyHandlers(SysRouter& router, SysContext context);
// sys/rekey/init, update and verify, and the same under
// sys/rekey-recovery-key/ for the recovery keys.
void RegisterRekeyHandlers(SysRouter& router, SysContext context);
// sys/tools/random and sys/tools/hash.
void RegisterToolsHandlers(SysRouter& router);
// sys/host-info, sys/in-flight-req, sys/internal/counters/tokens.
class InFlightRequests;
void RegisterRuntimeHandlers(SysRouter& router, SysContext context, InFlightRequests& in_flight);
// sys/monitor (log streaming, common/log_stream.h).
void RegisterMonitorHandlers(SysRouter& router);
// sys/leases/* and the legacy sys/renew, sys/revoke* (core/leases.h).
class Leases;
void RegisterLeaseHandlers(SysRouter& router, Leases& leases);
// sys/wrapping/wrap, unwrap, lookup and rewrap (core/response_wrapping.h).
class ResponseWrapping;
void RegisterWrappingHandlers(SysRouter& router, ResponseWrapping& wrapping);
// The sys/wrapping/ paths a wrapping token may call on itself without a
// policy: unwrap, rewrap and lookup.
bool IsWrappingSelfServicePath(std::string_view path);
// sys/generate-root/attempt and update.
void RegisterGenerateRootHandlers(SysRouter& router, SysContext context);
// The same flow's two endpoints under `base` ("sys/generate-root", or a DR
// secondary's generate-operation-token) for `flow`.
void RegisterGenerateRootFlow(SysRouter& router, const std::string& base, GenerateRoot& flow);

// Shared by the quorum endpoints (sys_seal_handlers.cc defines them).

inline constexpr char kNoPgpSharesWhy[] = "Tresor does not encrypt key shares with PGP keys yet";

// A key share as Vault accepts it: hex or base64 (hex first; a hex reading
// of the wrong length falls back to base64). Wipes `key`. InvalidArgument
// when it is neither. (sys/unseal checks the length after the server's
// state, so that an uninitialised server says so first.)
StatusOr<SecureBytes> DecodeShare(std::string key);
// The `key` (required, a 33-byte share) and `nonce` of a quorum update
// call; refuses any other field.
struct ShareAndNonce {
  SecureBytes share;
  std::string nonce;
};
StatusOr<ShareAndNonce> ReadShareAndNonce(const nlohmann::json& data);
// InvalidArgument naming the fields of `data` not in `known`: these
// endpoints refuse what they would otherwise ignore.
Status RefuseUnknownFields(const nlohmann::json& data,
                           std::initializer_list<std::string_view> known);
// InvalidArgument unless both are in 1..255 (the exact rules are
// ValidateSealConfig's); keeps the cast to int safe.
Status CheckShareCounts(long long shares, long long threshold);
// sys/storage/raft/* (join, bootstrap challenge/answer, configuration,
// remove-peer, autopilot/state), sys/ha-status, sys/step-down.
void RegisterRaftHandlers(SysRouter& router, SysContext context);
// sys/storage/raft/cluster-tls and cluster-tls/rotate (the cluster port's CA).
void RegisterClusterTlsHandlers(SysRouter& router, SysContext context);
// sys/storage/raft/snapshot and snapshot-force (save, restore).
void RegisterSnapshotHandlers(SysRouter& router, SysContext context);

}  // namespace tresor::core
