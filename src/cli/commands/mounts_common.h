// What `secrets ...` and `auth ...` share: both manage a mount table
// (sys/mounts, sys/auth) with the same config settings and list it in the
// same table style.
//
// Who calls it: secrets.cc and auth.cc. One thread.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cli/commands/api_command.h"
#include "cli/output.h"

namespace tresor::cli {

// The settings flags of enable and tune: -description, -default-lease-ttl,
// -max-lease-ttl, -options k=v (repeatable) and, for secrets, -version.
struct MountSettingsFlags {
  std::string description;
  std::string default_lease_ttl;
  std::string max_lease_ttl;
  std::vector<std::string> options;
  int64_t version = 0;

  void Define(FlagSet& flags, bool with_version);
  // Adds "description" (when given), "config" {default_lease_ttl,
  // max_lease_ttl} (when given) and "options" (the k=v pairs, plus
  // version = "N" when -version was given) to `body`. Returns
  // InvalidArgument for malformed -options.
  Status AddTo(const FlagSet& flags, int stdin_fd, Json& body, bool config_nested) const;
};

// The mount map of a sys/mounts or sys/auth answer: "data" when present (the
// envelope), else the top-level members that are mounts (objects).
Json MountsOf(const Json& response);

// A TTL cell as Vault prints it: "system" for 0 (the system default),
// else the number of seconds as a duration.
std::string TtlCell(const Json& mount, const char* key);

// GET `path`, then -format=json prints the mount map; table prints `header`
// and one row per mount from `row`, sorted by path. Returns the exit code.
int ListMounts(ApiContext& context, const std::string& path, const std::string& doing,
               const Row& header, const std::function<Row(const std::string&, const Json&)>& row);

}  // namespace tresor::cli

namespace tresor::cli {

// `secrets enable` and `auth enable` are the same request to different
// tables; so are the two disables. What differs is described here.
struct MountKind {
  std::string table;  // "sys/mounts/" or "sys/auth/"
  bool secrets;       // secrets engines take -version
  std::string enable_help;
  std::string disable_help;
};
const MountKind& SecretsMountKind();
const MountKind& AuthMountKind();

std::unique_ptr<Command> NewMountEnableCommand(const MountKind& kind);
std::unique_ptr<Command> NewMountDisableCommand(const MountKind& kind);

}  // namespace tresor::cli
