// `tresor secrets enable|disable|list|tune|move`: the secrets engine mount
// table (sys/mounts, sys/remount).
#include "cli/commands/builtin.h"
#include "cli/commands/mounts_common.h"

namespace tresor::cli {
namespace {

class SecretsListCommand final : public ApiCommand {
 public:
  SecretsListCommand() : ApiCommand(0, 0, false) {}
  std::string Help() const override {
    return "Usage: tresor secrets list [options]\n\n"
           "  Lists the enabled secrets engines, with their TTLs and options when\n"
           "  -detailed is given.\n\n"
           "      $ tresor secrets list -detailed";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("detailed", &detailed_, false,
               "Print detailed information such as TTLs and replication status about each "
               "secrets engine.");
  }
  int Run(ApiContext& context) override {
    if (!detailed_) {
      return ListMounts(context, "sys/mounts", "listing secrets engines",
                        {"Path", "Type", "Accessor", "Description"},
                        [](const std::string& path, const Json& mount) -> Row {
                          return {path, mount.value("type", ""), mount.value("accessor", ""),
                                  mount.value("description", "")};
                        });
    }
    return ListMounts(context, "sys/mounts", "listing secrets engines",
                      {"Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Replication",
                       "Seal Wrap", "Options", "Description", "UUID"},
                      [](const std::string& path, const Json& mount) -> Row {
                        return {path,
                                mount.value("type", ""),
                                mount.value("accessor", ""),
                                TtlCell(mount, "default_lease_ttl"),
                                TtlCell(mount, "max_lease_ttl"),
                                mount.value("local", false) ? "local" : "replicated",
                                mount.value("seal_wrap", false) ? "true" : "false",
                                FormatValue(mount.value("options", Json())),
                                mount.value("description", ""),
                                mount.value("uuid", "")};
                      });
  }

 private:
  bool detailed_ = false;
};

class SecretsTuneCommand final : public ApiCommand {
 public:
  SecretsTuneCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor secrets tune [options] PATH\n\n"
           "  Tunes the configuration of the secrets engine at PATH. Only the given\n"
           "  settings change.\n\n"
           "      $ tresor secrets tune -default-lease-ttl=72h -max-lease-ttl=96h kv1/";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override { settings_.Define(flags, true); }
  int Run(ApiContext& context) override {
    std::string path = EnsureTrailingSlash(SanitizePath(context.args()[0]));
    Json body = Json::object();
    if (Status added = settings_.AddTo(context.flags, context.io.in_fd, body, false); !added.ok()) {
      return UsageFailure(context.io, added.message());
    }
    StatusOr<Json> response =
        context.client.Call("POST", ApiPath("sys/mounts/" + path + "tune"), body);
    if (!response.ok()) {
      return ApiFailure(context.io, "tuning secrets engine " + path, response.status());
    }
    context.io.out << "Success! Tuned the secrets engine at: " << path << "\n";
    return kExitOk;
  }

 private:
  MountSettingsFlags settings_;
};

class SecretsMoveCommand final : public ApiCommand {
 public:
  SecretsMoveCommand() : ApiCommand(2, 2, false) {}
  std::string Help() const override {
    return "Usage: tresor secrets move [options] SOURCE DESTINATION\n\n"
           "  Moves an existing secrets engine to a new path. Its secrets move with it;\n"
           "  leases of the old path are revoked.\n\n"
           "      $ tresor secrets move secret/ generic/";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string from = EnsureTrailingSlash(SanitizePath(context.args()[0]));
    std::string to = EnsureTrailingSlash(SanitizePath(context.args()[1]));
    StatusOr<Json> response =
        context.client.Call("POST", ApiPath("sys/remount"), Json{{"from", from}, {"to", to}});
    if (!response.ok()) {
      return ApiFailure(context.io, "moving secrets engine " + from + " to " + to,
                        response.status());
    }
    // Vault 1.10+ moves in the background and answers a migration id.
    const Json& data =
        response->is_object() && response->contains("data") ? (*response)["data"] : *response;
    if (data.is_object() && data.contains("migration_id")) {
      context.io.out << "Started moving secrets engine " << from << " to " << to
                     << ", with migration ID " << FormatValue(data["migration_id"]) << "\n";
    } else {
      context.io.out << "Success! Moved secrets engine " << from << " to: " << to << "\n";
    }
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewSecretsEnableCommand() {
  return NewMountEnableCommand(SecretsMountKind());
}
std::unique_ptr<Command> NewSecretsDisableCommand() {
  return NewMountDisableCommand(SecretsMountKind());
}
std::unique_ptr<Command> NewSecretsListCommand() { return std::make_unique<SecretsListCommand>(); }
std::unique_ptr<Command> NewSecretsTuneCommand() { return std::make_unique<SecretsTuneCommand>(); }
std::unique_ptr<Command> NewSecretsMoveCommand() { return std::make_unique<SecretsMoveCommand>(); }

}  // namespace tresor::cli
