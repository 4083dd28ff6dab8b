// The built-in commands and the one function that registers them all. A new
// command adds a factory declaration here, its own file in this folder, and
// one line in RegisterBuiltinCommands().
//
// Who calls it: cmd/main.cc (and tests that dispatch through a registry);
// the server's commands register beside these (server/commands.h).
// Thread safety: call RegisterBuiltinCommands once, before dispatching.
#pragma once

#include <memory>

#include "cli/framework.h"

namespace tresor::cli {

std::unique_ptr<Command> NewOperatorInitCommand();
std::unique_ptr<Command> NewOperatorUnsealCommand();
std::unique_ptr<Command> NewOperatorSealCommand();
std::unique_ptr<Command> NewOperatorKeyStatusCommand();
std::unique_ptr<Command> NewOperatorRotateCommand();
std::unique_ptr<Command> NewOperatorRekeyCommand();
std::unique_ptr<Command> NewOperatorGenerateRootCommand();
std::unique_ptr<Command> NewStatusCommand();
std::unique_ptr<Command> NewVersionCommand();
std::unique_ptr<Command> NewMonitorCommand();  // monitor.cc: streams sys/monitor

// Raft membership and HA.
std::unique_ptr<Command> NewOperatorRaftJoinCommand();
std::unique_ptr<Command> NewOperatorRaftListPeersCommand();
std::unique_ptr<Command> NewOperatorRaftSnapshotAutoStatusCommand();
std::unique_ptr<Command> NewOperatorRaftRemovePeerCommand();
std::unique_ptr<Command> NewOperatorRaftAutopilotStateCommand();
std::unique_ptr<Command> NewOperatorMembersCommand();
std::unique_ptr<Command> NewOperatorStepDownCommand();

// Snapshots.
std::unique_ptr<Command> NewOperatorRaftSnapshotInspectCommand();
std::unique_ptr<Command> NewOperatorRaftSnapshotSaveCommand();
std::unique_ptr<Command> NewOperatorRaftSnapshotRestoreCommand();
std::unique_ptr<Command> NewOperatorRaftSnapshotLoadCommand();
std::unique_ptr<Command> NewOperatorRaftSnapshotUnloadCommand();
std::unique_ptr<Command> NewRecoverCommand();

// Secrets, tokens, policies, mounts.
std::unique_ptr<Command> NewReadCommand();
std::unique_ptr<Command> NewWriteCommand();
std::unique_ptr<Command> NewListCommand();
std::unique_ptr<Command> NewDeleteCommand();
std::unique_ptr<Command> NewKvGetCommand();
std::unique_ptr<Command> NewKvPutCommand();
std::unique_ptr<Command> NewKvPatchCommand();
std::unique_ptr<Command> NewKvDeleteCommand();
std::unique_ptr<Command> NewKvUndeleteCommand();
std::unique_ptr<Command> NewKvDestroyCommand();
std::unique_ptr<Command> NewKvListCommand();
std::unique_ptr<Command> NewKvMetadataGetCommand();
std::unique_ptr<Command> NewKvMetadataPutCommand();
std::unique_ptr<Command> NewKvMetadataDeleteCommand();
std::unique_ptr<Command> NewLoginCommand();
std::unique_ptr<Command> NewUnwrapCommand();
std::unique_ptr<Command> NewLeaseRenewCommand();
std::unique_ptr<Command> NewLeaseRevokeCommand();
std::unique_ptr<Command> NewLeaseLookupCommand();
std::unique_ptr<Command> NewTokenCreateCommand();
std::unique_ptr<Command> NewTokenLookupCommand();
std::unique_ptr<Command> NewTokenRenewCommand();
std::unique_ptr<Command> NewTokenRevokeCommand();
std::unique_ptr<Command> NewTokenCapabilitiesCommand();
std::unique_ptr<Command> NewPolicyWriteCommand();
std::unique_ptr<Command> NewPolicyReadCommand();
std::unique_ptr<Command> NewPolicyListCommand();
std::unique_ptr<Command> NewPolicyDeleteCommand();
std::unique_ptr<Command> NewPolicyFmtCommand();
std::unique_ptr<Command> NewSecretsEnableCommand();
std::unique_ptr<Command> NewSecretsDisableCommand();
std::unique_ptr<Command> NewSecretsListCommand();
std::unique_ptr<Command> NewSecretsTuneCommand();
std::unique_ptr<Command> NewSecretsMoveCommand();
std::unique_ptr<Command> NewAuthEnableCommand();
std::unique_ptr<Command> NewAuthDisableCommand();
std::unique_ptr<Command> NewAuthListCommand();
std::unique_ptr<Command> NewAuditEnableCommand();
std::unique_ptr<Command> NewAuditDisableCommand();
std::unique_ptr<Command> NewAuditListCommand();

void RegisterBuiltinCommands(CommandRegistry& registry);

}  // namespace tresor::cli
