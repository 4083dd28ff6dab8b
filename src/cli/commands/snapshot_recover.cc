// Single-path recovery from the CLI, as Vault Enterprise 1.20's:
//   tresor operator raft snapshot load FILE     POST sys/storage/raft/snapshot-load
//   tresor operator raft snapshot unload ID     DELETE sys/storage/raft/snapshot-load/ID
//   tresor recover -snapshot-id=ID [-from=SRC] PATH
//                                               PUT PATH?recover_snapshot_id=ID
//                                               [&recover_source_path=SRC]
// (docs/snapshots.md, "Recover one secret").


#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/secret_output.h"
#include "cli/commands/snapshot_upload.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

constexpr char kLoadPath[] = "/v1/sys/storage/raft/snapshot-load";

// A query parameter's value: unreserved characters and '/' as they are.
std::string QueryValue(std::string_view value) { return PercentEncode(value, "-._~/"); }

class OperatorRaftSnapshotLoadCommand final : public ApiCommand {
 public:
  OperatorRaftSnapshotLoadCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot load [options] <snapshot_file>\n\n"
           "  Loads a snapshot of this cluster beside the live state, read-only, for\n"
           "  reading and recovering single paths (`tresor recover`). One snapshot is\n"
           "  loaded at a time, for 72 hours at most.\n\n"
           "      $ tresor operator raft snapshot load raft.snap";
  }

 protected:
  int Run(ApiContext& context) override {
    HttpResponse response;
    if (int failed = UploadSnapshotFile(context, kLoadPath, context.args()[0],
                                        "loading the snapshot", &response)) {
      return failed;
    }
    Json data = DataOf(response.body);
    if (context.format == "json") {
      context.io.out << FormatJson(data);
      return kExitOk;
    }
    std::vector<Row> rows = {{"Key", "Value"}};
    for (const auto& [key, value] : data.items()) {
      rows.push_back({key, value.is_string() ? value.get<std::string>() : value.dump()});
    }
    context.io.out << TableOutput(rows);
    return kExitOk;
  }
};

class OperatorRaftSnapshotUnloadCommand final : public ApiCommand {
 public:
  OperatorRaftSnapshotUnloadCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot unload [options] <snapshot_id>\n\n"
           "  Unloads a snapshot loaded with `operator raft snapshot load`.";
  }

 protected:
  int Run(ApiContext& context) override {
    const std::string path = std::string(kLoadPath) + "/" + context.args()[0];
    StatusOr<Json> unloaded = context.client.Call("DELETE", path);
    if (!unloaded.ok()) return ApiFailure(context.io, "unloading the snapshot", unloaded.status());
    context.io.out << "Success! Unloaded snapshot " << context.args()[0] << "\n";
    return kExitOk;
  }
};

class RecoverCommand final : public ApiCommand {
 public:
  RecoverCommand() : ApiCommand(1, 1, false) {}

  std::string Help() const override {
    return "Usage: tresor recover [options] -snapshot-id=<id> <path>\n\n"
           "  Writes the secret at <path> back as it was in a loaded snapshot (or the\n"
           "  secret at -from, of the same mount), overwriting what is there now and\n"
           "  nothing else. A path ending in / recovers every secret under it. Works\n"
           "  on KV version 1 mounts.\n\n"
           "      $ tresor recover -snapshot-id=2403d301-94f2-46a1-a39d-02be83e2831a kv/db";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("snapshot-id", &snapshot_id_, "", "The loaded snapshot to recover from.");
    flags.String("from", &from_, "", "The path in the snapshot, when not <path>.");
  }

  int Run(ApiContext& context) override {
    if (snapshot_id_.empty()) return UsageFailure(context.io, "-snapshot-id is required");
    std::string path = ApiPath(context.args()[0]) + "?recover_snapshot_id=" +
                       QueryValue(snapshot_id_);
    if (!from_.empty()) path += "&recover_source_path=" + QueryValue(from_);
    StatusOr<Json> recovered = context.client.Call("PUT", path);
    if (!recovered.ok()) return ApiFailure(context.io, "recovering", recovered.status());
    context.io.out << "Success! Data recovered to: " << context.args()[0] << "\n";
    return kExitOk;
  }

 private:
  std::string snapshot_id_, from_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorRaftSnapshotLoadCommand() {
  return std::make_unique<OperatorRaftSnapshotLoadCommand>();
}

std::unique_ptr<Command> NewOperatorRaftSnapshotUnloadCommand() {
  return std::make_unique<OperatorRaftSnapshotUnloadCommand>();
}

std::unique_ptr<Command> NewRecoverCommand() { return std::make_unique<RecoverCommand>(); }

}  // namespace tresor::cli
