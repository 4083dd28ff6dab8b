// The sys/ endpoints of the mount tables, shaped as Vault's:
//
//   GET        sys/mounts                      every secrets engine (also top level)
//   GET        sys/mounts/<path>               one secrets engine
//   POST|PUT   sys/mounts/<path>               enable {type, description, config, options, ...}
//   DELETE     sys/mounts/<path>               disable (deletes the data)
//   GET        sys/mounts/<path>/tune          effective TTLs (768h when unset), description, options
//   POST|PUT   sys/mounts/<path>/tune          {default_lease_ttl, max_lease_ttl, description, options}
//   GET        sys/auth                        every auth method (also top level)
//   POST|PUT   sys/auth/<path>                 enable (sudo)
//   DELETE     sys/auth/<path>                 disable (sudo)
//   GET|POST   sys/auth/<path>/tune            as for sys/mounts (sudo)
//   POST|PUT   sys/remount                     {from, to} move a mount; answers a migration_id (sudo)
//   GET        sys/remount/status/<id>         the outcome of a move made since start-up
//   GET        sys/internal/ui/mounts/<path>   the mount that serves <path>, for clients
//                                              that detect the KV version (any token with
//                                              access to something under the mount)
//
// Who calls it: core, once, when it builds its SysRouter.
// Threads: handlers are called concurrently; the table and the move log are
// thread-safe.
#pragma once

#include "core/mount_table.h"
#include "core/policy/policy_store.h"
#include "core/sys_router.h"

namespace tresor::core {

// mounts and policies outlive the router.
// Registers every route above (sys_mount_handlers.cc, sys_remount_handlers.cc).
void RegisterMountHandlers(SysRouter& router, MountTable& mounts, policy::PolicyStore& policies);

// sys/remount, sys/remount/status/ and sys/internal/ui/mounts/ alone.
void RegisterRemountHandlers(SysRouter& router, MountTable& mounts, policy::PolicyStore& policies);

}  // namespace tresor::core
