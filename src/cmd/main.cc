// The tresor binary. `tresor server ...` runs the server (server/); every
// `tresor operator raft recover`, `operator backup` and `operator migrate` work offline on a
// stopped server's storage, `operator raft snapshot verify` on an archive file (server/); every
// other command is the client CLI (cli/), which talks to a server over HTTP.
#include <string_view>

#include "cli/cli.h"
#include "server/backup_command.h"
#include "server/migrate_command.h"
#include "server/recover_command.h"
#include "server/server_command.h"
#include "server/snapshot_verify_command.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string_view(argv[1]) == "server") {
    return tresor::server::RunServerCommand(argc - 2, argv + 2);
  }
  // Offline, on the server's own storage: not a client command.
  if (argc >= 4 && std::string_view(argv[1]) == "operator" && std::string_view(argv[2]) == "raft" &&
      std::string_view(argv[3]) == "recover") {
    return tresor::server::RunRaftRecoverCommand(argc - 4, argv + 4);
  }
  if (argc >= 5 && std::string_view(argv[1]) == "operator" && std::string_view(argv[2]) == "raft" &&
      std::string_view(argv[3]) == "snapshot" && std::string_view(argv[4]) == "verify") {
    return tresor::server::RunSnapshotVerifyCommand(argc - 5, argv + 5);
  }
  if (argc >= 3 && std::string_view(argv[1]) == "operator" &&
      std::string_view(argv[2]) == "backup") {
    return tresor::server::RunBackupCommand(argc - 3, argv + 3);
  }
  if (argc >= 3 && std::string_view(argv[1]) == "operator" &&
      std::string_view(argv[2]) == "migrate") {
    return tresor::server::RunMigrateCommand(argc - 3, argv + 3);
  }
  return tresor::cli::Run(argc, argv);
}
