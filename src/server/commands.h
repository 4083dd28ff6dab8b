// The server's own `tresor` commands, registered beside the client CLI's in
// the one registry (command/registry.h) that cmd/main.cc dispatches:
//
//   server                         runs a server (server_command.h)
//   operator raft recover          offline quorum-loss recovery (recover_command.h)
//   operator raft snapshot verify  the disaster-recovery drill on an archive
//                                  (snapshot_verify_command.h)
//   operator backup                offline save|restore of file storage
//                                  (backup_command.h)
//   operator migrate               offline copy between storages
//                                  (migrate_command.h)
//
// They parse their flags through command::FlagSet like every other command,
// so `-flag=v`, `--flag=v`, `-h` and the usage errors (exit 2) behave the
// same everywhere. The groups they sit in ("operator", "operator raft",
// "operator raft snapshot") are the CLI's (cli/commands/builtin.cc).
//
// Who calls it: cmd/main.cc, and the tests of these commands.
// Thread safety: call once, before dispatching.
#pragma once

#include "command/registry.h"

namespace tresor::server {

void RegisterServerCommands(command::CommandRegistry& registry);

}  // namespace tresor::server
