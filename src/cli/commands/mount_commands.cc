// `secrets enable|disable` and `auth enable|disable`: one class each,
// parameterised by the mount table (see MountKind in mounts_common.h).
#include "cli/commands/mounts_common.h"

namespace tresor::cli {
namespace {

class MountEnableCommand final : public ApiCommand {
 public:
  explicit MountEnableCommand(const MountKind& kind) : ApiCommand(1, 1, false), kind_(kind) {}
  std::string Help() const override { return kind_.enable_help; }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("path", &path_, "",
                 "Place where the mount will be accessible. This must be unique across all "
                 "mounts. This defaults to the TYPE of the mount.");
    settings_.Define(flags, kind_.secrets);
  }
  int Run(ApiContext& context) override {
    std::string type = SanitizePath(context.args()[0]);
    std::string path = EnsureTrailingSlash(SanitizePath(path_.empty() ? type : path_));
    Json body = {{"type", type}};
    if (Status added = settings_.AddTo(context.flags, context.io.in_fd, body, true); !added.ok()) {
      return UsageFailure(context.io, added.message());
    }
    StatusOr<Json> response = context.client.Call("POST", ApiPath(kind_.table + path), body);
    if (!response.ok()) {
      return ApiFailure(context.io, kind_.secrets ? "enabling" : "enabling " + type + " auth",
                        response.status());
    }
    if (kind_.secrets) {
      context.io.out << "Success! Enabled the " << type << " secrets engine at: " << path << "\n";
    } else {
      context.io.out << "Success! Enabled " << type << " auth method at: " << path << "\n";
    }
    return kExitOk;
  }

 private:
  const MountKind& kind_;
  std::string path_;
  MountSettingsFlags settings_;
};

class MountDisableCommand final : public ApiCommand {
 public:
  explicit MountDisableCommand(const MountKind& kind) : ApiCommand(1, 1, false), kind_(kind) {}
  std::string Help() const override { return kind_.disable_help; }

 protected:
  int Run(ApiContext& context) override {
    std::string path = EnsureTrailingSlash(SanitizePath(context.args()[0]));
    std::string what = kind_.secrets ? "secrets engine" : "auth method";
    StatusOr<Json> response = context.client.Call("DELETE", ApiPath(kind_.table + path));
    if (!response.ok()) {
      return ApiFailure(context.io, "disabling " + what + " at " + path, response.status());
    }
    context.io.out << "Success! Disabled the " << what << " (if it existed) at: " << path << "\n";
    return kExitOk;
  }

 private:
  const MountKind& kind_;
};

}  // namespace

const MountKind& SecretsMountKind() {
  static const MountKind* kind =
      new MountKind{"sys/mounts/", true,
                    "Usage: tresor secrets enable [options] TYPE\n\n"
                    "  Enables a secrets engine of TYPE. By default it is mounted at TYPE/; use\n"
                    "  -path for another place.\n\n"
                    "      $ tresor secrets enable -path=kv1 -version=1 kv\n"
                    "      $ tresor secrets enable -default-lease-ttl=30m -max-lease-ttl=24h kv",
                    "Usage: tresor secrets disable [options] PATH\n\n"
                    "  Disables the secrets engine at PATH. All its secrets are deleted and its\n"
                    "  leases revoked.\n\n"
                    "      $ tresor secrets disable kv1/"};
  return *kind;
}

const MountKind& AuthMountKind() {
  static const MountKind* kind =
      new MountKind{"sys/auth/", false,
                    "Usage: tresor auth enable [options] TYPE\n\n"
                    "  Enables an auth method of TYPE. By default it is mounted at TYPE/; use\n"
                    "  -path for another place.\n\n"
                    "      $ tresor auth enable -path=users userpass",
                    "Usage: tresor auth disable [options] PATH\n\n"
                    "  Disables the auth method at PATH. Tokens it issued are revoked.\n\n"
                    "      $ tresor auth disable users/"};
  return *kind;
}

std::unique_ptr<Command> NewMountEnableCommand(const MountKind& kind) {
  return std::make_unique<MountEnableCommand>(kind);
}
std::unique_ptr<Command> NewMountDisableCommand(const MountKind& kind) {
  return std::make_unique<MountDisableCommand>(kind);
}

}  // namespace tresor::cli
