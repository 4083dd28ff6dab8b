#include "cli/commands/kv_common.h"

namespace tresor::cli {

std::string KvPath::Full(std::string_view prefix) const {
  std::string out = mount + std::string(prefix);
  if (!key.empty()) out += "/" + key;
  return out;
}

StatusOr<std::pair<std::string, int>> KvPreflight(HttpClient& client, const std::string& path) {
  TRESOR_ASSIGN_OR_RETURN(HttpResponse response,
                          client.Send("GET", ApiPath("sys/internal/ui/mounts/" + path)));
  if (response.status == 404) return std::make_pair(std::string(), 1);
  if (response.status < 200 || response.status >= 300) {
    std::string url = client.url().Format(ApiPath("sys/internal/ui/mounts/" + path));
    Status error = ApiErrorStatus("GET", url, response);
    if (response.status == 403) {
      return Status(error.code(), error.message() +
                                      "\n\npreflight capability check returned 403, please "
                                      "ensure client's policies grant access to path \"" +
                                      path + "\"");
    }
    return error;
  }
  const Json& body = response.body;
  if (!body.is_object() || !body.contains("data") || !body["data"].is_object()) {
    return InternalError("nil response from pre-flight request");
  }
  const Json& data = body["data"];
  std::string mount = data.value("path", "");
  int version = 1;
  if (auto options = data.find("options"); options != data.end() && options->is_object()) {
    if (options->value("version", "") == "2") version = 2;
  }
  return std::make_pair(mount, version);
}

StatusOr<KvPath> ResolveKvPath(HttpClient& client, const std::string& arg,
                               const std::string& mount_flag) {
  KvPath out;
  std::string path = SanitizePath(arg);
  if (!mount_flag.empty()) {
    std::string mount = EnsureTrailingSlash(SanitizePath(mount_flag));
    TRESOR_ASSIGN_OR_RETURN(auto preflight, KvPreflight(client, mount));
    out.mount = preflight.first.empty() ? mount : EnsureTrailingSlash(preflight.first);
    out.version = preflight.second;
    out.key = path;
  } else {
    TRESOR_ASSIGN_OR_RETURN(auto preflight, KvPreflight(client, path));
    out.mount = EnsureTrailingSlash(preflight.first);
    out.version = preflight.second;
    if (!out.mount.empty() && (path + "/") == out.mount) {
      out.key = "";
    } else if (!out.mount.empty() && path.starts_with(out.mount)) {
      out.key = path.substr(out.mount.size());
    } else {
      // No mount known (an old server): the path is used as given.
      out.mount = "";
      out.key = path;
    }
  }
  while (out.key.ends_with('/')) out.key.pop_back();
  out.v1_path = out.mount + out.key;
  return out;
}

void KvCommand::DefineCommandFlags(FlagSet& flags) {
  flags.String("mount", &mount_, "",
               "Specifies the path where the KV backend is mounted. If specified, the next "
               "argument will be interpreted as the secret path. If this flag is not "
               "specified, the next argument will be interpreted as the combined mount "
               "path and secret path, with /data/ automatically inserted for KV v2 mounts.");
  DefineKvFlags(flags);
}

int KvCommand::Run(ApiContext& context) {
  StatusOr<KvPath> path = ResolveKvPath(context.client, context.args()[0], mount_);
  if (!path.ok()) {
    context.io.err << path.status().message() << "\n";
    return kExitUsage;
  }
  return RunKv(context, *path);
}

int NotOnV1(CommandIo& io, std::string_view what) {
  io.err << what << "\n";
  return kExitError;
}

}  // namespace tresor::cli
