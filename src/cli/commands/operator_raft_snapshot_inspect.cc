// `tresor operator raft snapshot inspect FILE [-details] [-depth=N]
// [-format=table|json]`: reads a snapshot archive from a local file, with
// no server and no token, verifies it completely (every check of a restore
// except the sealed sums, which need the cluster's keys), and prints its
// meta.json and the entry counts and bytes by key prefix, in the layout of
// Vault's `operator raft snapshot inspect` (a key/value block, then a "Key
// Name | Count | Size" table sorted by count, then the totals).
//
// Exit codes, as Vault's raft commands: 0 on success; 2 for usage errors, a
// file that cannot be opened and one that is damaged or not a snapshot.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/pitr_target.h"
#include "cli/output.h"
#include "snapshot/inspect.h"

namespace tresor::cli {
namespace {

Json InspectionJson(const snapshot::Inspection& inspection, bool details) {
  const snapshot::Meta& meta = inspection.meta;
  Json json = {{"meta",
                {{"id", meta.id},
                 {"size", meta.size},
                 {"index", meta.index},
                 {"term", meta.term},
                 {"version", meta.version},
                 {"created_at", meta.created_at},
                 {"cluster_id", meta.cluster_id},
                 {"keyring_term", meta.keyring_term}}},
               {"total_count", inspection.total_count},
               {"total_size", inspection.total_bytes}};
  if (details) {
    Json prefixes = Json::array();
    for (const snapshot::PrefixStats& stats : inspection.prefixes) {
      prefixes.push_back({{"name", stats.prefix}, {"count", stats.count}, {"size", stats.bytes}});
    }
    json["keys"] = std::move(prefixes);
  }
  return json;
}

std::string InspectionTable(const snapshot::Inspection& inspection, bool details) {
  const snapshot::Meta& meta = inspection.meta;
  std::string out = ColumnOutput({{"ID", meta.id},
                                  {"Size", std::to_string(meta.size)},
                                  {"Index", std::to_string(meta.index)},
                                  {"Term", std::to_string(meta.term)},
                                  {"Version", std::to_string(meta.version)},
                                  {"Created", meta.created_at},
                                  {"Cluster ID", meta.cluster_id},
                                  {"Keyring Term", std::to_string(meta.keyring_term)}});
  if (!details) return out;
  std::vector<Row> rows = {{"Key Name", "Count", "Size"}};
  for (const snapshot::PrefixStats& stats : inspection.prefixes) {
    rows.push_back({stats.prefix, std::to_string(stats.count), std::to_string(stats.bytes)});
  }
  rows.push_back({"----", "-----", "----"});
  rows.push_back(
      {"Total", std::to_string(inspection.total_count), std::to_string(inspection.total_bytes)});
  return out + "\n" + TableOutput(rows);
}

// Offline for a snapshot file; a target (pitr_target.h) is inspected by the
// server, so the connection flags are there for that.
class OperatorRaftSnapshotInspectCommand final : public StandardCommand {
 public:
  // The argument count is checked in Validate, with Vault's wording.
  OperatorRaftSnapshotInspectCommand()
      : StandardCommand(Shape{.min_args = 0, .max_args = SIZE_MAX, .connection = true}) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot inspect [options] <snapshot_file>\n\n"
           "  Inspects a snapshot file taken from a Tresor Raft cluster and prints a\n"
           "  table of its metadata and of the entries it holds by key prefix. Works\n"
           "  offline: no server and no token are needed. The whole file is verified\n"
           "  first (gzip, tar layout, checksums); a damaged file is reported, never\n"
           "  summarised. The sealed checksums, which need the cluster's keys, are\n"
           "  checked by a restore.\n\n"
           "      $ tresor operator raft snapshot inspect raft.snap\n\n"
           "  Given the target of a snapshot-auto schedule instead (a directory on the\n"
           "  server's machine, or s3://bucket/prefix), the server reads it and prints\n"
           "  the time and raft index range its snapshots and write archive cover, and\n"
           "  every gap in the archive.\n\n"
           "      $ tresor operator raft snapshot inspect /var/backups/tresor/";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("details", &details_, true,
               "Provides information about the key prefixes in the snapshot.");
    flags.Int("depth", &depth_, 2, "Number of path segments of the keys to group the details by.");
    target_flags_.Define(flags);
  }

  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (flags.Args().size() == 1) return true;
    io.err << "Incorrect number of arguments (expected 1, got " << flags.Args().size() << ")\n";
    return false;
  }

  int Perform(CommandContext& context) override {
    CommandIo& io = context.io;
    if (depth_ < 1) {
      io.err << "-depth must be at least 1\n";
      return kExitUsage;
    }
    const std::string& path = context.args()[0];
    if (IsPitrTarget(path)) {
      auto client = NewClientFromFlags(context.flags, client_flags());
      if (!client.ok()) return UsageFailure(io, client.status().message());
      ApiContext api{context, **client};
      return RunPitrInspect(api, path, target_flags_);
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      io.err << "Error opening snapshot file " << path << ": " << std::strerror(errno) << "\n";
      return kExitUsage;
    }
    StatusOr<snapshot::Inspection> inspection =
        snapshot::InspectArchive(snapshot::FileSource(fd), static_cast<int>(depth_));
    ::close(fd);
    if (!inspection.ok()) {
      io.err << "Error inspecting snapshot " << path << ": " << inspection.status().message()
             << "\n";
      return kExitUsage;
    }
    if (context.format == "json") {
      io.out << FormatJson(InspectionJson(*inspection, details_));
    } else {
      io.out << InspectionTable(*inspection, details_);
    }
    return kExitOk;
  }

 private:
  bool details_ = true;
  int64_t depth_ = 2;
  PitrTargetFlags target_flags_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorRaftSnapshotInspectCommand() {
  return std::make_unique<OperatorRaftSnapshotInspectCommand>();
}

}  // namespace tresor::cli
