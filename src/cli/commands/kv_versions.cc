// `tresor kv delete`, `kv undelete`, `kv destroy` and `kv list`: the
// version-lifecycle commands of a KV mount. On v2, delete without -versions
// soft-deletes the latest version (DELETE <mount>/data/<key>); with
// -versions, and undelete/destroy, it writes the version list to
// <mount>/delete|undelete|destroy/<key>, as Vault's CLI does.
#include "cli/commands/builtin.h"
#include "cli/commands/kv_common.h"
#include "cli/commands/logical_output.h"

namespace tresor::cli {
namespace {

// Vault sends the versions as strings ("1", "2"); the server accepts both.
Json VersionsBody(const std::vector<std::string>& versions) {
  Json list = Json::array();
  for (const std::string& version : versions) {
    if (!version.empty()) list.push_back(version);
  }
  return Json{{"versions", std::move(list)}};
}

void DefineVersionsFlag(FlagSet& flags, std::vector<std::string>* versions, std::string usage) {
  flags.StringList("versions", versions, true, std::move(usage));
}

class KvDeleteCommand final : public KvCommand {
 public:
  KvDeleteCommand() : KvCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor kv delete [options] KEY\n\n"
           "  Deletes the data of KEY. On KV v2 this is a soft delete of the latest\n"
           "  version (or of -versions), which \"kv undelete\" reverses; on v1 the data\n"
           "  is gone.\n\n"
           "      $ tresor kv delete secret/foo\n"
           "      $ tresor kv delete -versions=2,3 secret/foo";
  }

 protected:
  void DefineKvFlags(FlagSet& flags) override {
    DefineVersionsFlag(flags, &versions_,
                       "Specifies the version numbers to delete (KV v2), comma-separated or "
                       "repeated.");
  }
  int RunKv(ApiContext& context, const KvPath& path) override {
    if (path.version != 2) return DeleteAt(context, path.v1_path);
    if (versions_.empty()) return DeleteAt(context, path.Full("data"));
    std::string target = path.Full("delete");
    StatusOr<Json> response = context.client.Call("PUT", ApiPath(target), VersionsBody(versions_));
    if (!response.ok()) return ApiFailure(context.io, "deleting " + target, response.status());
    context.io.out << "Success! Data deleted (if it existed) at: " << path.Full("data") << "\n";
    return kExitOk;
  }

 private:
  std::vector<std::string> versions_;
};

// `kv undelete` and `kv destroy`: the same request to a different prefix.
class KvVersionsCommand final : public KvCommand {
 public:
  explicit KvVersionsCommand(std::string verb) : KvCommand(1, 1, false), verb_(std::move(verb)) {}
  std::string Help() const override {
    if (verb_ == "undelete") {
      return "Usage: tresor kv undelete [options] KEY\n\n"
             "  Restores the given soft-deleted versions of KEY on a KV v2 mount.\n\n"
             "      $ tresor kv undelete -versions=3 secret/foo";
    }
    return "Usage: tresor kv destroy [options] KEY\n\n"
           "  Permanently removes the data of the given versions of KEY on a KV v2\n"
           "  mount. The metadata stays; the data cannot be recovered.\n\n"
           "      $ tresor kv destroy -versions=1,2 secret/foo";
  }

 protected:
  void DefineKvFlags(FlagSet& flags) override {
    DefineVersionsFlag(
        flags, &versions_,
        "Specifies the version numbers to " + verb_ + ", comma-separated or repeated. Required.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (!versions_.empty()) return true;
    io.err << "No versions provided, use the \"-versions\" flag to specify the version to " << verb_
           << ".\n";
    return false;
  }
  int RunKv(ApiContext& context, const KvPath& path) override {
    if (path.version != 2) {
      std::string name = verb_ == "undelete" ? "Undelete" : "Destroy";
      return NotOnV1(context.io, name + " not supported on KV Version 1");
    }
    std::string target = path.Full(verb_);
    StatusOr<Json> response = context.client.Call("PUT", ApiPath(target), VersionsBody(versions_));
    if (!response.ok())
      return ApiFailure(context.io, "writing data to " + target, response.status());
    return PrintWriteResult(context, target, *response, "");
  }

 private:
  std::string verb_;
  std::vector<std::string> versions_;
};

class KvListCommand final : public KvCommand {
 public:
  KvListCommand() : KvCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor kv list [options] PATH\n\n"
           "  Lists the keys at PATH on a KV mount (on v2, from the metadata).\n"
           "  Keys ending in \"/\" are folders.\n\n"
           "      $ tresor kv list secret/\n"
           "      $ tresor kv list -mount=secret my-app";
  }

 protected:
  int RunKv(ApiContext& context, const KvPath& path) override {
    std::string target = path.version == 2 ? path.Full("metadata") : path.v1_path;
    return ListKeys(context, EnsureTrailingSlash(target));
  }
};

}  // namespace

std::unique_ptr<Command> NewKvDeleteCommand() { return std::make_unique<KvDeleteCommand>(); }
std::unique_ptr<Command> NewKvUndeleteCommand() {
  return std::make_unique<KvVersionsCommand>("undelete");
}
std::unique_ptr<Command> NewKvDestroyCommand() {
  return std::make_unique<KvVersionsCommand>("destroy");
}
std::unique_ptr<Command> NewKvListCommand() { return std::make_unique<KvListCommand>(); }

}  // namespace tresor::cli
