// `tresor kv get`, `kv put` and `kv patch`: reading and writing the data of
// a key on a KV mount, version 1 or 2 (see kv_common.h for how the path is
// resolved). Output follows Vault's kv commands: for v2 a "Secret Path"
// header, then the version's metadata and data as separate tables.
#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/kv_common.h"
#include "cli/commands/logical_output.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

// The answer of a v2 write (put, patch): the path, then the new version's
// metadata, which is the whole of the answer's data.
int PrintV2WriteResult(ApiContext& context, const std::string& full_path, const Json& secret,
                       const std::string& field) {
  if (!field.empty() || context.format == "json") {
    return PrintSecret(context.io, context.format, field, secret);
  }
  const Json& metadata = DataOf(secret);
  PrintWarnings(context.io, secret);
  context.io.out << PathHeader("Secret Path", full_path) << HeaderForMap("Metadata", metadata)
                 << "\n"
                 << KeyValueTable(metadata);
  return kExitOk;
}

// Parses the K=V arguments after KEY; prints Vault's error and returns false.
bool ParseData(ApiContext& context, Json* data) {
  std::vector<std::string> pairs(context.args().begin() + 1, context.args().end());
  StatusOr<Json> parsed = ParseKeyValueArgs(pairs, context.io.in_fd);
  if (!parsed.ok()) {
    context.io.err << "Failed to parse K=V data: " << parsed.status().message() << "\n";
    return false;
  }
  *data = std::move(*parsed);
  return true;
}

// A v2 write body: {"data": ..., "options": {"cas": N}} (options always sent,
// as Vault does; cas only when given).
Json V2Body(Json data, int64_t cas) {
  Json options = Json::object();
  if (cas > -1) options["cas"] = cas;
  return Json{{"data", std::move(data)}, {"options", std::move(options)}};
}

class KvGetCommand final : public KvCommand {
 public:
  KvGetCommand() : KvCommand(1, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor kv get [options] KEY\n\n"
           "  Retrieves the value of KEY from a KV secrets engine. On KV v2 the latest\n"
           "  version is returned unless -version is given.\n\n"
           "      $ tresor kv get secret/foo\n"
           "      $ tresor kv get -mount=secret -version=1 foo";
  }

 protected:
  void DefineKvFlags(FlagSet& flags) override {
    flags.Int("version", &version_, 0,
              "If passed, the value at the version number will be returned.");
  }

  int RunKv(ApiContext& context, const KvPath& path) override {
    bool v2 = path.version == 2;
    std::string full = v2 ? path.Full("data") : path.v1_path;
    std::string request = ApiPath(full);
    if (v2 && version_ > 0) request += "?version=" + std::to_string(version_);
    StatusOr<Json> secret = CallAllowMissing(context.client, "GET", request);
    if (!secret.ok()) return ApiFailure(context.io, "reading " + full, secret.status());
    if (secret->is_null()) return NoValueFound(context.io, full);
    return v2 ? PrintV2(context, full, *secret) : PrintV1(context, *secret);
  }

 private:
  int PrintV1(ApiContext& context, const Json& secret) {
    if (!field().empty() || context.format == "json") {
      return PrintSecret(context.io, context.format, field(), secret);
    }
    PrintWarnings(context.io, secret);
    const Json& data = DataOf(secret);
    context.io.out << HeaderForMap("Data", data) << "\n" << KeyValueTable(data);
    return kExitOk;
  }

  int PrintV2(ApiContext& context, const std::string& full, const Json& secret) {
    const Json& outer = DataOf(secret);
    const Json data = outer.contains("data") ? outer["data"] : Json();
    if (!field().empty()) {
      if (!data.is_object()) {
        context.io.err << "No data found at " << full << "\n";
        return kExitUsage;
      }
      return PrintFieldValue(context.io, context.format,
                             SecretField(Json{{"data", data}}, field()));
    }
    if (context.format == "json") {
      context.io.out << FormatJson(secret);
      return kExitOk;
    }
    PrintWarnings(context.io, secret);
    context.io.out << PathHeader("Secret Path", full);
    if (auto metadata = outer.find("metadata"); metadata != outer.end() && !metadata->is_null()) {
      context.io.out << HeaderForMap("Metadata", *metadata) << "\n"
                     << KeyValueTable(*metadata) << "\n";
    }
    if (data.is_object())
      context.io.out << HeaderForMap("Data", data) << "\n" << KeyValueTable(data);
    return kExitOk;
  }

  int64_t version_ = 0;
};

// `kv put` (replace; v1 or v2) and `kv patch` (merge; v2 only) differ only
// in the method and the v1 answer, so one class serves both.
class KvWriteCommand final : public KvCommand {
 public:
  explicit KvWriteCommand(bool patch) : KvCommand(1, SIZE_MAX, true), patch_(patch) {}
  std::string Help() const override {
    if (patch_) {
      return "Usage: tresor kv patch [options] KEY [DATA]\n\n"
             "  Merges the data into the latest version of KEY on a KV v2 mount (a JSON\n"
             "  merge patch: given fields are replaced, a null removes one, others stay).\n"
             "  DATA takes the same forms as \"kv put\".\n\n"
             "      $ tresor kv patch secret/foo bar=qux";
    }
    return "Usage: tresor kv put [options] KEY [DATA]\n\n"
           "  Writes the data to KEY in a KV secrets engine, replacing what is there.\n"
           "  On KV v2 this creates a new version. DATA is K=V pairs; K=@file reads a\n"
           "  file, K=- reads stdin, and a lone \"-\" reads a JSON object from stdin.\n\n"
           "      $ tresor kv put secret/foo bar=baz\n"
           "      $ tresor kv put -cas=1 secret/foo bar=qux";
  }

 protected:
  void DefineKvFlags(FlagSet& flags) override {
    flags.Int("cas", &cas_, -1,
              "Specifies to use a Check-And-Set operation (KV v2). If not set the write will "
              "be allowed. If set to 0 a write will only be allowed if the key doesn't exist. "
              "If the index is non-zero the write will only be allowed if the key's current "
              "version matches the version specified in the cas parameter.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (flags.Args().size() == 1) {
      io.err << "Must supply data\n";
      return false;
    }
    return true;
  }

  int RunKv(ApiContext& context, const KvPath& path) override {
    bool v2 = path.version == 2;
    if (patch_ && !v2) {
      return NotOnV1(context.io, "K/V engine mount must be version 2 for patch support");
    }
    Json data;
    if (!ParseData(context, &data)) return kExitError;
    std::string full = v2 ? path.Full("data") : path.v1_path;
    StatusOr<Json> secret =
        context.client.Call(patch_ ? "PATCH" : "PUT", ApiPath(full),
                            v2 ? V2Body(std::move(data), cas_) : std::move(data));
    if (!secret.ok()) return ApiFailure(context.io, "writing data to " + full, secret.status());
    if (!v2 || IsEmptySecret(*secret)) return PrintWriteResult(context, full, *secret, field());
    return PrintV2WriteResult(context, full, *secret, field());
  }

 private:
  bool patch_;
  int64_t cas_ = -1;
};

}  // namespace

std::unique_ptr<Command> NewKvGetCommand() { return std::make_unique<KvGetCommand>(); }
std::unique_ptr<Command> NewKvPutCommand() { return std::make_unique<KvWriteCommand>(false); }
std::unique_ptr<Command> NewKvPatchCommand() { return std::make_unique<KvWriteCommand>(true); }

}  // namespace tresor::cli
