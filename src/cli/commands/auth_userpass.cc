#include "cli/commands/auth_userpass.h"

#include "cli/commands/api_command.h"
#include "cli/terminal.h"
#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

// A config value as a string: "" when absent. ParseStringMapArgs has
// already refused non-string values.
std::string StringValue(const Json& config, const char* key) {
  auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : "";
}

void WipePassword(Json& config) {
  if (auto it = config.find("password"); it != config.end() && it->is_string()) {
    SecureWipe(it->get_ref<std::string&>());
  }
}

std::string TrimSlashes(std::string_view text) {
  while (!text.empty() && text.front() == '/') text.remove_prefix(1);
  while (!text.empty() && text.back() == '/') text.remove_suffix(1);
  return std::string(text);
}

}  // namespace

StatusOr<Json> UserpassLogin(HttpClient& client, Json& config, std::string_view mount,
                             CommandIo& io) {
  std::string username = StringValue(config, "username");
  if (username.empty()) {
    WipePassword(config);
    return InvalidArgumentError("'username' must be specified");
  }
  Json body = Json::object();
  if (config.contains("password") && config["password"].is_string() &&
      !config["password"].get_ref<const std::string&>().empty()) {
    body["password"] = std::move(config["password"].get_ref<std::string&>());
  } else {
    StatusOr<std::string> read =
        ReadSecretLine(io.in_fd, "Password (will be hidden): ", io.err);
    if (!read.ok()) {
      WipePassword(config);
      return read.status();
    }
    body["password"] = std::move(*read);
  }
  WipePassword(config);

  // Percent-encoded as Vault's client does; a name with '/' stays two
  // segments, which the server refuses.
  std::string path = ApiPath("auth/" + TrimSlashes(mount) + "/login/" + username);
  StatusOr<Json> response = client.Call("POST", path, body);
  SecureWipe(body["password"].get_ref<std::string&>());
  if (!response.ok()) return response.status();
  const Json* auth = response->contains("auth") ? &(*response)["auth"] : nullptr;
  if (auth == nullptr || !auth->is_object() || !auth->contains("client_token") ||
      !(*auth)["client_token"].is_string()) {
    return InternalError("the server returned no token");
  }
  return response;
}

std::string UserpassLoginHelp() {
  return "  With -method=userpass, the arguments are username=NAME and optionally\n"
         "  password=PW; without password= it is asked for (hidden at a terminal,\n"
         "  one line from a pipe). The method is looked for at auth/userpass/ unless\n"
         "  -path says otherwise.\n\n"
         "      $ tresor login -method=userpass username=alice\n"
         "      $ tresor login -method=userpass -path=people username=alice";
}

}  // namespace tresor::cli
