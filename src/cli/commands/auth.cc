// `tresor auth enable|disable|list`: the auth method mount table (sys/auth).
#include "cli/commands/builtin.h"
#include "cli/commands/mounts_common.h"

namespace tresor::cli {
namespace {

class AuthListCommand final : public ApiCommand {
 public:
  AuthListCommand() : ApiCommand(0, 0, false) {}
  std::string Help() const override {
    return "Usage: tresor auth list [options]\n\n"
           "  Lists the enabled auth methods, with their TTLs and options when\n"
           "  -detailed is given.\n\n"
           "      $ tresor auth list";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("detailed", &detailed_, false,
               "Print detailed information such as configuration and replication status "
               "about each auth method.");
  }
  int Run(ApiContext& context) override {
    if (!detailed_) {
      return ListMounts(context, "sys/auth", "listing enabled authentications",
                        {"Path", "Type", "Accessor", "Description", "Version"},
                        [](const std::string& path, const Json& mount) -> Row {
                          return {path, mount.value("type", ""), mount.value("accessor", ""),
                                  mount.value("description", ""),
                                  mount.value("plugin_version", "")};
                        });
    }
    return ListMounts(context, "sys/auth", "listing enabled authentications",
                      {"Path", "Plugin", "Accessor", "Default TTL", "Max TTL", "Token Type",
                       "Replication", "Options", "Description", "UUID"},
                      [](const std::string& path, const Json& mount) -> Row {
                        const Json config = mount.value("config", Json::object());
                        return {path,
                                mount.value("type", ""),
                                mount.value("accessor", ""),
                                TtlCell(mount, "default_lease_ttl"),
                                TtlCell(mount, "max_lease_ttl"),
                                config.value("token_type", ""),
                                mount.value("local", false) ? "local" : "replicated",
                                FormatValue(mount.value("options", Json())),
                                mount.value("description", ""),
                                mount.value("uuid", "")};
                      });
  }

 private:
  bool detailed_ = false;
};

}  // namespace

std::unique_ptr<Command> NewAuthEnableCommand() { return NewMountEnableCommand(AuthMountKind()); }
std::unique_ptr<Command> NewAuthDisableCommand() { return NewMountDisableCommand(AuthMountKind()); }
std::unique_ptr<Command> NewAuthListCommand() { return std::make_unique<AuthListCommand>(); }

}  // namespace tresor::cli
