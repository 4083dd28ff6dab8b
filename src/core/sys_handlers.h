// The handlers of the core's own sys/ endpoints, registered into a
// SysRouter. Split by concern: sys_seal_handlers.cc (init, seal-status,
// unseal, seal), sys_health_handlers.cc (health, leader),
// sys_key_handlers.cc (key-status, rotate).
//
// Threads: handlers are called concurrently; they hold no state of their own.
#pragma once

#include "common/clock.h"
#include "core/ha.h"
#include "core/lifecycle.h"
#include "core/sys_router.h"

namespace tresor::core {

struct CoreOptions;

struct SysContext {
  Lifecycle& lifecycle;
  const CoreOptions& options;
  Clock& clock;
  Ha& ha;
};

void RegisterSysHandlers(SysRouter& router, SysContext context);
void RegisterSealHandlers(SysRouter& router, SysContext context);
void RegisterHealthHandlers(SysRouter& router, SysContext context);
void RegisterKeyHandlers(SysRouter& router, SysContext context);
// sys/storage/raft/* (join, bootstrap challenge/answer, configuration,
// remove-peer, autopilot/state), sys/ha-status, sys/step-down.
void RegisterRaftHandlers(SysRouter& router, SysContext context);
// sys/storage/raft/snapshot and snapshot-force (save, restore).
void RegisterSnapshotHandlers(SysRouter& router, SysContext context);

}  // namespace tresor::core
