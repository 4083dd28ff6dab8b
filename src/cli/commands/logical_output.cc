#include "cli/commands/logical_output.h"

#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {

int NoValueFound(CommandIo& io, const std::string& path) {
  io.err << "No value found at " << path << "\n";
  return kExitUsage;
}

bool IsEmptySecret(const Json& response) {
  if (!response.is_object()) return true;
  for (const char* key : {"data", "auth", "wrap_info", "warnings"}) {
    auto it = response.find(key);
    if (it != response.end() && !it->is_null() && !it->empty()) return false;
  }
  return true;
}

int PrintWriteResult(ApiContext& context, const std::string& path, const Json& response,
                     const std::string& field) {
  if (IsEmptySecret(response)) {
    if (context.format == "table") context.io.out << "Success! Data written to: " << path << "\n";
    return kExitOk;
  }
  return PrintSecret(context.io, context.format, field, response);
}

int ListKeys(ApiContext& context, const std::string& path) {
  StatusOr<Json> secret = CallAllowMissing(context.client, "LIST", ApiPath(path));
  if (!secret.ok()) return ApiFailure(context.io, "listing " + path, secret.status());
  const Json& data = DataOf(*secret);
  auto keys = data.find("keys");
  if (keys == data.end() || !keys->is_array()) {
    if (context.format == "json") context.io.out << FormatJson(Json::object());  // as Vault
    return NoValueFound(context.io, path);
  }
  if (context.format == "json") {
    context.io.out << FormatJson(*keys);
    return kExitOk;
  }
  PrintWarnings(context.io, *secret);
  std::vector<Row> rows = {{"Keys"}};
  for (const Json& key : *keys) rows.push_back({FormatValue(key)});
  context.io.out << TableOutput(rows);
  return kExitOk;
}

int DeleteAt(ApiContext& context, const std::string& path) {
  StatusOr<Json> response = context.client.Call("DELETE", ApiPath(path));
  if (!response.ok()) return ApiFailure(context.io, "deleting " + path, response.status());
  context.io.out << "Success! Data deleted (if it existed) at: " << path << "\n";
  return kExitOk;
}

}  // namespace tresor::cli
