// `tresor kv metadata get|put|delete`: a KV v2 key's metadata (versions,
// max_versions, cas_required, delete_version_after, custom_metadata) at
// <mount>/metadata/<key>. Version 1 mounts have no metadata.
#include <algorithm>
#include <map>

#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/kv_common.h"
#include "cli/commands/logical_output.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

constexpr char kNoMetadataOnV1[] = "Metadata not supported on KV Version 1";

class KvMetadataGetCommand final : public KvCommand {
 public:
  KvMetadataGetCommand() : KvCommand(1, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor kv metadata get [options] KEY\n\n"
           "  Prints the metadata of KEY on a KV v2 mount and of each of its versions.\n\n"
           "      $ tresor kv metadata get secret/foo";
  }

 protected:
  int RunKv(ApiContext& context, const KvPath& path) override {
    if (path.version != 2) return NotOnV1(context.io, kNoMetadataOnV1);
    std::string full = path.Full("metadata");
    StatusOr<Json> secret = CallAllowMissing(context.client, "GET", ApiPath(full));
    if (!secret.ok()) return ApiFailure(context.io, "reading " + full, secret.status());
    if (secret->is_null()) return NoValueFound(context.io, full);
    if (!field().empty() || context.format == "json") {
      return PrintSecret(context.io, context.format, field(), *secret);
    }
    Json metadata = DataOf(*secret);
    auto versions = metadata.find("versions");
    if (versions == metadata.end() || !versions->is_object()) return NoValueFound(context.io, full);
    Json by_version = std::move(*versions);
    metadata.erase("versions");
    Json without_versions = *secret;
    without_versions["data"] = metadata;
    PrintWarnings(context.io, *secret);
    without_versions.erase("warnings");
    context.io.out << PathHeader("Metadata Path", full) << HeaderForMap("Metadata", metadata)
                   << "\n"
                   << SecretTable(without_versions);
    // Versions in numeric order, not the string order of the JSON keys.
    std::map<int64_t, const Json*> ordered;
    for (const auto& [key, value] : by_version.items()) {
      try {
        ordered[std::stoll(key)] = &value;
      } catch (const std::exception&) {
        continue;  // not a version number: nothing Vault would print either
      }
    }
    for (const auto& [number, version] : ordered) {
      context.io.out << "\n"
                     << HeaderForMap("Version " + std::to_string(number), *version) << "\n"
                     << KeyValueTable(*version);
    }
    return kExitOk;
  }
};

class KvMetadataPutCommand final : public KvCommand {
 public:
  KvMetadataPutCommand() : KvCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor kv metadata put [options] KEY\n\n"
           "  Creates or updates the metadata of KEY on a KV v2 mount. Only the given\n"
           "  settings change.\n\n"
           "      $ tresor kv metadata put -max-versions=5 -cas-required secret/foo\n"
           "      $ tresor kv metadata put -custom-metadata=owner=alice secret/foo";
  }

 protected:
  void DefineKvFlags(FlagSet& flags) override {
    flags.Int("max-versions", &max_versions_, -1,
              "The number of versions to keep. If not set, the backend's configured max "
              "version is used.");
    flags.Bool("cas-required", &cas_required_, false,
               "If true the key will require the cas parameter to be set on all write "
               "requests.");
    flags.Duration("delete-version-after", &delete_version_after_, "",
                   "Specifies the length of time before a version is deleted (\"0s\" turns "
                   "it off).");
    flags.StringList("custom-metadata", &custom_metadata_, false,
                     "Specifies arbitrary version-agnostic key=value metadata meant to "
                     "describe a secret. This can be specified multiple times to add "
                     "multiple pieces of metadata.");
  }

  int RunKv(ApiContext& context, const KvPath& path) override {
    if (path.version != 2) return NotOnV1(context.io, kNoMetadataOnV1);
    Json body = Json::object();
    if (max_versions_ >= 0) body["max_versions"] = max_versions_;
    if (context.flags.IsSet("cas-required")) body["cas_required"] = cas_required_;
    if (context.flags.IsSet("delete-version-after")) {
      body["delete_version_after"] = delete_version_after_;
    }
    if (!custom_metadata_.empty()) {
      StatusOr<Json> custom = ParseStringMapArgs(custom_metadata_, context.io.in_fd);
      if (!custom.ok()) {
        context.io.err << "Failed to parse -custom-metadata: " << custom.status().message() << "\n";
        return kExitError;
      }
      body["custom_metadata"] = std::move(*custom);
    }
    std::string full = path.Full("metadata");
    StatusOr<Json> response = context.client.Call("PUT", ApiPath(full), body);
    if (!response.ok()) return ApiFailure(context.io, "writing data to " + full, response.status());
    return PrintWriteResult(context, full, *response, "");
  }

 private:
  int64_t max_versions_ = -1;
  bool cas_required_ = false;
  std::string delete_version_after_;
  std::vector<std::string> custom_metadata_;
};

class KvMetadataDeleteCommand final : public KvCommand {
 public:
  KvMetadataDeleteCommand() : KvCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor kv metadata delete [options] KEY\n\n"
           "  Deletes KEY on a KV v2 mount with all its versions and metadata. This\n"
           "  cannot be undone.\n\n"
           "      $ tresor kv metadata delete secret/foo";
  }

 protected:
  int RunKv(ApiContext& context, const KvPath& path) override {
    if (path.version != 2) return NotOnV1(context.io, kNoMetadataOnV1);
    return DeleteAt(context, path.Full("metadata"));
  }
};

}  // namespace

std::unique_ptr<Command> NewKvMetadataGetCommand() {
  return std::make_unique<KvMetadataGetCommand>();
}
std::unique_ptr<Command> NewKvMetadataPutCommand() {
  return std::make_unique<KvMetadataPutCommand>();
}
std::unique_ptr<Command> NewKvMetadataDeleteCommand() {
  return std::make_unique<KvMetadataDeleteCommand>();
}

}  // namespace tresor::cli
