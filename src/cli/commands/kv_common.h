// How the `kv` commands find where a key lives. Vault's CLI asks the server
// which mount holds a path (GET sys/internal/ui/mounts/<path>) and whether
// it is KV version 1 or 2; for version 2 it inserts the API prefix after the
// mount ("secret/foo" -> "secret/data/foo", "secret/metadata/foo", ...). The
// mount may instead be named with -mount=, the key then being relative to it.
//
// KvCommand does that resolution for every kv subcommand, so each one only
// says what to do with the resolved path.
//
// Who calls it: the kv_*.cc commands. One thread.
#pragma once

#include <string>

#include "cli/commands/api_command.h"

namespace tresor::cli {

struct KvPath {
  std::string mount;    // "secret/" (always with a trailing slash; "" if unknown)
  std::string key;      // the key below the mount: "foo/bar" ("" for the mount itself)
  int version = 1;      // 1 or 2
  std::string v1_path;  // the path a v1 request goes to: mount + key

  // The v2 API path: mount + prefix + "/" + key ("secret/data/foo"), or
  // mount + prefix for the mount itself ("secret/metadata").
  std::string Full(std::string_view prefix) const;
};

// Asks the server about `mount_or_path` (GET sys/internal/ui/mounts/...) and
// returns the mount path and KV version: 404 (an old server without that
// endpoint) means version 1 as in Vault; other errors are returned.
StatusOr<std::pair<std::string, int>> KvPreflight(HttpClient& client, const std::string& path);

// Resolves the command's argument, with `mount_flag` when not empty.
StatusOr<KvPath> ResolveKvPath(HttpClient& client, const std::string& arg,
                               const std::string& mount_flag);

// A kv subcommand taking KEY as its first argument and the -mount flag.
class KvCommand : public ApiCommand {
 public:
  using ApiCommand::ApiCommand;

 protected:
  void DefineCommandFlags(FlagSet& flags) final;
  int Run(ApiContext& context) final;

  virtual void DefineKvFlags(FlagSet& flags) {}
  // Runs with the key resolved.
  virtual int RunKv(ApiContext& context, const KvPath& path) = 0;

 private:
  std::string mount_;
};

// For a subcommand that needs KV v2 run on a v1 mount: prints `what` (e.g.
// "Metadata not supported on KV Version 1") and returns 1, as Vault does.
int NotOnV1(CommandIo& io, std::string_view what);

}  // namespace tresor::cli
