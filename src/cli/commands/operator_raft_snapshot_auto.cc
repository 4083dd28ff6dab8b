// `tresor operator raft snapshot-auto status`: every automated snapshot
// schedule and the age of its newest verified snapshot, in one table
// (docs/snapshots.md, "Automated snapshots").
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

constexpr char kConfig[] = "/v1/sys/storage/raft/snapshot-auto/config";
constexpr char kStatus[] = "/v1/sys/storage/raft/snapshot-auto/status/";

class OperatorRaftSnapshotAutoStatusCommand final : public ApiCommand {
 public:
  OperatorRaftSnapshotAutoStatusCommand() : ApiCommand(0, 0, false) {}

  std::string Help() const override {
    return "Usage: tresor operator raft snapshot-auto status [options]\n\n"
           "  Lists every automated snapshot schedule with the age of its newest\n"
           "  verified snapshot, the raft index it holds, the failures in a row and\n"
           "  the last error. Requires a token with sudo capability on\n"
           "  sys/storage/raft/snapshot-auto/*.\n\n"
           "      $ tresor operator raft snapshot-auto status";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> listed = context.client.Call("LIST", kConfig);
    if (!listed.ok() && listed.status().code() == StatusCode::kNotFound) {
      context.io.err << "No automated snapshot schedules are configured\n";
      return kExitOk;
    }
    if (!listed.ok()) return ApiFailure(context.io, "listing the schedules", listed.status());
    Json statuses = Json::object();
    for (const Json& name : DataOf(*listed).value("keys", Json::array())) {
      StatusOr<Json> status = context.client.Call("GET", kStatus + name.get<std::string>());
      if (!status.ok()) return ApiFailure(context.io, "reading a status", status.status());
      statuses[name.get<std::string>()] = DataOf(*status);
    }
    if (context.format == "json") {
      context.io.out << FormatJson(statuses);
      return kExitOk;
    }
    std::vector<Row> rows = {
        {"Name", "Newest Verified", "Age", "Index", "Failures", "Last Error"}};
    for (const auto& [name, s] : statuses.items()) {
      const Json& age = s.value("last_verified_age_seconds", Json());
      rows.push_back({name, s.value("last_verified_time", std::string()).empty()
                                ? "none yet"
                                : s.value("last_verified_time", std::string()),
                      age.is_number_integer() ? HumanDuration(age.get<int64_t>()) : "-",
                      std::to_string(s.value("last_verified_index", 0)),
                      std::to_string(s.value("consecutive_failures", 0)),
                      s.value("last_snapshot_error", std::string()).empty()
                          ? "-"
                          : s.value("last_snapshot_error", std::string())});
    }
    context.io.out << ColumnOutput(rows);
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorRaftSnapshotAutoStatusCommand() {
  return std::make_unique<OperatorRaftSnapshotAutoStatusCommand>();
}

}  // namespace tresor::cli
