#include "cli/commands/builtin.h"

namespace tresor::cli {

void RegisterBuiltinCommands(CommandRegistry& registry) {
  registry.RegisterGroup("operator", "Perform operator-specific tasks");
  registry.Register("operator init", "Initializes a server", NewOperatorInitCommand);
  registry.Register("operator unseal", "Unseals the server", NewOperatorUnsealCommand);
  registry.Register("operator seal", "Seals the server", NewOperatorSealCommand);
  registry.Register("operator key-status", "Provides information about the active encryption key",
                    NewOperatorKeyStatusCommand);
  registry.Register("operator rotate", "Rotates the underlying encryption key",
                    NewOperatorRotateCommand);
  registry.Register("operator rekey", "Generates new unseal keys", NewOperatorRekeyCommand);
  registry.Register("operator generate-root", "Generates a new root token",
                    NewOperatorGenerateRootCommand);
  registry.Register("operator members", "Returns the list of nodes in the cluster",
                    NewOperatorMembersCommand);
  registry.Register("operator step-down", "Forces the active node to step down",
                    NewOperatorStepDownCommand);
  registry.RegisterGroup("operator raft", "Interact with Tresor's integrated storage");
  registry.Register("operator raft join", "Joins a node to the Raft cluster",
                    NewOperatorRaftJoinCommand);
  registry.Register("operator raft list-peers", "Returns the Raft peer set",
                    NewOperatorRaftListPeersCommand);
  registry.Register("operator raft remove-peer", "Removes a node from the Raft cluster",
                    NewOperatorRaftRemovePeerCommand);
  registry.RegisterGroup("operator raft autopilot", "Interact with the autopilot state");
  registry.Register("operator raft autopilot state",
                    "Displays the state of the raft cluster as seen by autopilot",
                    NewOperatorRaftAutopilotStateCommand);
  registry.RegisterGroup("operator raft snapshot",
                         "Restores and saves snapshots from the Raft cluster");
  registry.Register("operator raft snapshot inspect", "Inspects a snapshot file offline",
                    NewOperatorRaftSnapshotInspectCommand);
  registry.Register("operator raft snapshot save",
                    "Saves a snapshot of the current state of the Raft cluster into a file",
                    NewOperatorRaftSnapshotSaveCommand);
  registry.Register("operator raft snapshot restore",
                    "Installs the provided snapshot, returning the cluster to the state defined "
                    "in it",
                    NewOperatorRaftSnapshotRestoreCommand);
  registry.Register("operator raft snapshot load",
                    "Loads a snapshot beside the live state for single-path recovery",
                    NewOperatorRaftSnapshotLoadCommand);
  registry.Register("operator raft snapshot unload", "Unloads a loaded snapshot",
                    NewOperatorRaftSnapshotUnloadCommand);
  registry.Register("recover", "Recovers a secret from a loaded snapshot", NewRecoverCommand);
  registry.RegisterGroup("operator raft snapshot-auto",
                         "Automated snapshot schedules of the Raft cluster");
  registry.Register("operator raft snapshot-auto status",
                    "Lists the automated snapshot schedules and their newest verified snapshot",
                    NewOperatorRaftSnapshotAutoStatusCommand);
  registry.Register("status", "Print seal and HA status", NewStatusCommand);
  registry.Register("version", "Prints the Tresor version", NewVersionCommand);
  registry.Register("monitor", "Stream log messages from a Tresor server", NewMonitorCommand);

  registry.Register("read", "Read data and retrieves secrets", NewReadCommand);
  registry.Register("write", "Write data, configuration, and secrets", NewWriteCommand);
  registry.Register("list", "List data or secrets", NewListCommand);
  registry.Register("delete", "Delete secrets and configuration", NewDeleteCommand);
  registry.Register("login", "Authenticate locally", NewLoginCommand);

  registry.RegisterGroup("kv", "Interact with Tresor's Key-Value storage");
  registry.Register("kv get", "Retrieves data from the KV store", NewKvGetCommand);
  registry.Register("kv put", "Sets or updates data in the KV store", NewKvPutCommand);
  registry.Register("kv patch", "Sets or updates data in the KV store without overwriting",
                    NewKvPatchCommand);
  registry.Register("kv delete", "Deletes versions in the KV store", NewKvDeleteCommand);
  registry.Register("kv undelete", "Undeletes versions in the KV store", NewKvUndeleteCommand);
  registry.Register("kv destroy", "Permanently removes one or more versions in the KV store",
                    NewKvDestroyCommand);
  registry.Register("kv list", "List data or secrets", NewKvListCommand);
  registry.RegisterGroup("kv metadata", "Interact with Tresor's Key-Value storage metadata");
  registry.Register("kv metadata get", "Retrieves key metadata from the KV store",
                    NewKvMetadataGetCommand);
  registry.Register("kv metadata put", "Sets or updates key settings in the KV store",
                    NewKvMetadataPutCommand);
  registry.Register("kv metadata delete", "Deletes all versions and metadata for a key",
                    NewKvMetadataDeleteCommand);

  registry.Register("unwrap", "Unwrap a wrapped secret", NewUnwrapCommand);
  registry.RegisterGroup("lease", "Interact with leases");
  registry.Register("lease renew", "Renews the lease of a secret or token", NewLeaseRenewCommand);
  registry.Register("lease revoke", "Revokes leases and secrets", NewLeaseRevokeCommand);
  registry.Register("lease lookup", "Lookup the lease of a secret or token", NewLeaseLookupCommand);
  registry.RegisterGroup("token", "Interact with tokens");
  registry.Register("token create", "Create a new token", NewTokenCreateCommand);
  registry.Register("token lookup", "Display information about a token", NewTokenLookupCommand);
  registry.Register("token renew", "Renew a token lease", NewTokenRenewCommand);
  registry.Register("token revoke", "Revoke a token and its children", NewTokenRevokeCommand);
  registry.Register("token capabilities", "Print capabilities of a token on a path",
                    NewTokenCapabilitiesCommand);

  registry.RegisterGroup("policy", "Interact with policies");
  registry.Register("policy write", "Uploads a named policy from a file", NewPolicyWriteCommand);
  registry.Register("policy read", "Prints the contents of a policy", NewPolicyReadCommand);
  registry.Register("policy list", "Lists the installed policies", NewPolicyListCommand);
  registry.Register("policy delete", "Deletes a policy by name", NewPolicyDeleteCommand);
  registry.Register("policy fmt", "Formats a policy on disk", NewPolicyFmtCommand);

  registry.RegisterGroup("secrets", "Interact with secrets engines");
  registry.Register("secrets enable", "Enable a secrets engine", NewSecretsEnableCommand);
  registry.Register("secrets disable", "Disable a secrets engine", NewSecretsDisableCommand);
  registry.Register("secrets list", "List enabled secrets engines", NewSecretsListCommand);
  registry.Register("secrets tune", "Tune a secrets engine configuration", NewSecretsTuneCommand);
  registry.Register("secrets move", "Move a secrets engine to a new path", NewSecretsMoveCommand);

  registry.RegisterGroup("auth", "Interact with auth methods");
  registry.Register("auth enable", "Enables a new auth method", NewAuthEnableCommand);
  registry.Register("auth disable", "Disables an auth method", NewAuthDisableCommand);
  registry.Register("auth list", "Lists enabled auth methods", NewAuthListCommand);
  registry.RegisterGroup("audit", "Interact with audit devices");
  registry.Register("audit enable", "Enables an audit device", NewAuditEnableCommand);
  registry.Register("audit disable", "Disables an audit device", NewAuditDisableCommand);
  registry.Register("audit list", "Lists enabled audit devices", NewAuditListCommand);
}

}  // namespace tresor::cli
