// sys/replication/status, sys/replication/dr/* (Vault Enterprise's DR
// replication API; docs/replication.md): status (unauthenticated), the
// primary's enable, secondary-token, revoke-secondary, demote and disable
// (sudo), and the secondary's enable (sudo), promote, update-primary,
// disable (authorised by a DR operation token in the body, as in Vault)
// and generate-operation-token/attempt|update (the generate-root flow with
// the primary's key shares).
#pragma once

#include "core/replication/dr_replication.h"
#include "core/sys_router.h"

namespace tresor::core {

void RegisterReplicationHandlers(SysRouter& router, replication::DrReplication& dr);

}  // namespace tresor::core
