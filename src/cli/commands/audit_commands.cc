// `tresor audit enable|disable|list`: the audit device table (sys/audit,
// docs/audit.md), with Vault's arguments and messages.
#include <limits>

#include "cli/commands/builtin.h"
#include "cli/commands/mounts_common.h"

namespace tresor::cli {
namespace {

class AuditEnableCommand final : public ApiCommand {
 public:
  AuditEnableCommand() : ApiCommand(1, std::numeric_limits<size_t>::max(), false) {}
  std::string Help() const override {
    return "Usage: tresor audit enable [options] TYPE [CONFIG K=V...]\n\n"
           "  Enables an audit device of TYPE (file, socket or syslog) at TYPE/, or\n"
           "  at -path. Every request is refused while no enabled device can record it.\n\n"
           "      $ tresor audit enable file file_path=/var/log/tresor/audit.log\n"
           "      $ tresor audit enable -path=net socket address=127.0.0.1:9090";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("path", &path_, "",
                 "Place where the audit device will be accessible. This defaults to the TYPE.");
    flags.String("description", &description_, "",
                 "Human-friendly description of the audit device.");
    flags.Bool("local", &local_, false,
               "Mark the audit device as a local-only device (not replicated).");
  }
  int Run(ApiContext& context) override {
    const std::string type = context.args()[0];
    Json options = Json::object();
    for (size_t i = 1; i < context.args().size(); ++i) {
      const std::string& arg = context.args()[i];
      auto eq = arg.find('=');
      if (eq == std::string::npos || eq == 0) {
        return UsageFailure(context.io, "Invalid option \"" + arg + "\": options are KEY=VALUE");
      }
      options[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
    std::string path = EnsureTrailingSlash(SanitizePath(path_.empty() ? type : path_));
    Json body = {
        {"type", type}, {"description", description_}, {"options", options}, {"local", local_}};
    StatusOr<Json> response = context.client.Call("PUT", ApiPath("sys/audit/" + path), body);
    if (!response.ok()) return ApiFailure(context.io, "enabling audit device", response.status());
    context.io.out << "Success! Enabled the " << type << " audit device at: " << path << "\n";
    return kExitOk;
  }

 private:
  std::string path_;
  std::string description_;
  bool local_ = false;
};

class AuditDisableCommand final : public ApiCommand {
 public:
  AuditDisableCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor audit disable [options] PATH\n\n"
           "  Disables the audit device at PATH. Its salt goes with it: hashes in its\n"
           "  log can no longer be matched through sys/audit-hash.\n\n"
           "      $ tresor audit disable file/";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string path = EnsureTrailingSlash(SanitizePath(context.args()[0]));
    StatusOr<Json> response = context.client.Call("DELETE", ApiPath("sys/audit/" + path));
    if (!response.ok()) return ApiFailure(context.io, "disabling audit device", response.status());
    context.io.out << "Success! Disabled audit device (if it was enabled) at: " << path << "\n";
    return kExitOk;
  }
};

class AuditListCommand final : public ApiCommand {
 public:
  AuditListCommand() : ApiCommand(0, 0, false) {}
  std::string Help() const override {
    return "Usage: tresor audit list [options]\n\n"
           "  Lists the enabled audit devices, with their options when -detailed is\n"
           "  given.\n\n"
           "      $ tresor audit list -detailed";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("detailed", &detailed_, false,
               "Print detailed information such as options and replication status about "
               "each audit device.");
  }
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("GET", ApiPath("sys/audit"));
    if (!response.ok())
      return ApiFailure(context.io, "listing enabled audit devices", response.status());
    if (MountsOf(*response).empty() && context.format != "json") {
      context.io.err << "No audit devices are enabled.\n";
      return kExitUsage;
    }
    if (!detailed_) {
      return ListMounts(context, "sys/audit", "listing enabled audit devices",
                        {"Path", "Type", "Description"},
                        [](const std::string& path, const Json& device) -> Row {
                          return {path, device.value("type", ""), device.value("description", "")};
                        });
    }
    return ListMounts(context, "sys/audit", "listing enabled audit devices",
                      {"Path", "Type", "Description", "Replication", "Options"},
                      [](const std::string& path, const Json& device) -> Row {
                        return {path, device.value("type", ""), device.value("description", ""),
                                device.value("local", false) ? "local" : "replicated",
                                FormatValue(device.value("options", Json()))};
                      });
  }

 private:
  bool detailed_ = false;
};

}  // namespace

std::unique_ptr<Command> NewAuditEnableCommand() { return std::make_unique<AuditEnableCommand>(); }
std::unique_ptr<Command> NewAuditDisableCommand() {
  return std::make_unique<AuditDisableCommand>();
}
std::unique_ptr<Command> NewAuditListCommand() { return std::make_unique<AuditListCommand>(); }

}  // namespace tresor::cli
