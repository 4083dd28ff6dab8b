// sys/audit (list), sys/audit/:path (enable, disable) and
// sys/audit-hash/:path, as Vault answers them (docs/audit.md). All need sudo.
#pragma once

#include "core/audit/audit_broker.h"
#include "core/sys_router.h"

namespace tresor::core {

// broker outlives router.
void RegisterAuditHandlers(SysRouter& router, audit::Broker& broker);

}  // namespace tresor::core
