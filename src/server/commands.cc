#include "server/commands.h"

#include "server/backup_command.h"
#include "server/migrate_command.h"
#include "server/recover_command.h"
#include "server/server_command.h"
#include "server/snapshot_verify_command.h"

namespace tresor::server {

void RegisterServerCommands(command::CommandRegistry& registry) {
  registry.Register("server", "Start a Tresor server", NewServerCommand);
  registry.Register("operator raft recover",
                    "Recovers a raft cluster that lost its quorum (offline, on a stopped node)",
                    NewRaftRecoverCommand);
  registry.Register("operator raft snapshot verify",
                    "Proves offline that a snapshot file restores with the given unseal keys",
                    NewSnapshotVerifyCommand);
  registry.Register("operator backup",
                    "Saves or restores a stopped server's file storage (offline)",
                    NewBackupCommand);
  registry.Register("operator migrate",
                    "Copies a stopped server's storage to another storage (offline)",
                    NewMigrateCommand);
}

}  // namespace tresor::server
