#include "cli/commands/mounts_common.h"

#include <map>

#include "cli/commands/kv_args.h"
#include "cli/commands/secret_output.h"

namespace tresor::cli {

void MountSettingsFlags::Define(FlagSet& flags, bool with_version) {
  flags.String("description", &description, "", "Human-friendly description for the mount.");
  flags.Duration("default-lease-ttl", &default_lease_ttl, "",
                 "The default lease TTL for this mount. If unspecified, this defaults to the "
                 "system default.");
  flags.Duration("max-lease-ttl", &max_lease_ttl, "",
                 "The maximum lease TTL for this mount. If unspecified, this defaults to the "
                 "system default.");
  flags.StringList("options", &options, false,
                   "Key-value pair provided as key=value for the mount options. This can be "
                   "specified multiple times.");
  if (with_version) {
    flags.Int("version", &version, 0,
              "Select the version of the engine to run (KV: 1 or 2). Same as "
              "-options=version=N.");
  }
}

Status MountSettingsFlags::AddTo(const FlagSet& flags, int stdin_fd, Json& body,
                                 bool config_nested) const {
  if (flags.IsSet("description")) body["description"] = description;
  Json config = Json::object();
  if (!default_lease_ttl.empty()) config["default_lease_ttl"] = default_lease_ttl;
  if (!max_lease_ttl.empty()) config["max_lease_ttl"] = max_lease_ttl;
  if (config_nested) {
    if (!config.empty()) body["config"] = std::move(config);
  } else {
    body.update(config);  // tune takes the settings at the top level
  }
  Json parsed = Json::object();
  if (!options.empty()) {
    StatusOr<Json> pairs = ParseStringMapArgs(options, stdin_fd);
    if (!pairs.ok()) return InvalidArgumentError("-options: " + pairs.status().message());
    parsed = std::move(*pairs);
  }
  if (version > 0) parsed["version"] = std::to_string(version);
  if (!parsed.empty()) body["options"] = std::move(parsed);
  return Status::Ok();
}

Json MountsOf(const Json& response) {
  if (const Json& data = DataOf(response); !data.empty()) return data;
  Json out = Json::object();
  if (!response.is_object()) return out;
  for (const auto& [key, value] : response.items()) {
    if (value.is_object() && key.ends_with('/')) out[key] = value;
  }
  return out;
}

std::string TtlCell(const Json& mount, const char* key) {
  const Json config = mount.value("config", Json::object());
  auto it = config.find(key);
  if (it == config.end() || !it->is_number_integer() || it->get<int64_t>() == 0) return "system";
  return HumanDuration(it->get<int64_t>());
}

int ListMounts(ApiContext& context, const std::string& path, const std::string& doing,
               const Row& header, const std::function<Row(const std::string&, const Json&)>& row) {
  StatusOr<Json> response = context.client.Call("GET", ApiPath(path));
  if (!response.ok()) return ApiFailure(context.io, doing, response.status());
  Json mounts = MountsOf(*response);
  if (context.format == "json") {
    context.io.out << FormatJson(mounts);
    return kExitOk;
  }
  std::map<std::string, const Json*> sorted;
  for (const auto& [mount_path, mount] : mounts.items()) sorted[mount_path] = &mount;
  std::vector<Row> rows = {header};
  for (const auto& [mount_path, mount] : sorted) rows.push_back(row(mount_path, *mount));
  context.io.out << TableOutput(rows);
  return kExitOk;
}

}  // namespace tresor::cli
