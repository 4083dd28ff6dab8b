// `tresor policy write|read|list|delete|fmt`: ACL policies under
// sys/policies/acl/, and formatting a policy file in place.
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "cli/atomic_file.h"
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/policy_format.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

// Policy names are case-insensitive on the server; Vault's CLI lowercases.
std::string PolicyName(const std::string& arg) {
  std::string name = SanitizePath(arg);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

StatusOr<std::string> ReadPolicyFile(const std::string& path, int stdin_fd) {
  if (path == "-") return ReadAllFromFd(stdin_fd);
  std::ifstream in(path, std::ios::binary);
  if (!in) return IOError("open " + path + ": no such file or not readable");
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

class PolicyWriteCommand final : public ApiCommand {
 public:
  PolicyWriteCommand() : ApiCommand(2, 2, false) {}
  std::string Help() const override {
    return "Usage: tresor policy write [options] NAME PATH\n\n"
           "  Uploads a policy with name NAME from the contents of a local file PATH or\n"
           "  stdin (\"-\"). If a policy with the same name exists, it is replaced.\n\n"
           "      $ tresor policy write my-policy /tmp/policy.hcl\n"
           "      $ cat policy.hcl | tresor policy write my-policy -";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string name = PolicyName(context.args()[0]);
    StatusOr<std::string> rules = ReadPolicyFile(context.args()[1], context.io.in_fd);
    if (!rules.ok()) {
      context.io.err << "Error opening policy file: " << rules.status().message() << "\n";
      return kExitError;
    }
    StatusOr<Json> response = context.client.Call("PUT", ApiPath("sys/policies/acl/" + name),
                                                  Json{{"policy", std::move(*rules)}});
    if (!response.ok()) return ApiFailure(context.io, "uploading policy", response.status());
    context.io.out << "Success! Uploaded policy: " << name << "\n";
    return kExitOk;
  }
};

class PolicyReadCommand final : public ApiCommand {
 public:
  PolicyReadCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor policy read [options] NAME\n\n"
           "  Prints the contents and metadata of the policy named NAME.\n\n"
           "      $ tresor policy read my-policy";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string name = PolicyName(context.args()[0]);
    StatusOr<Json> response =
        CallAllowMissing(context.client, "GET", ApiPath("sys/policies/acl/" + name));
    if (!response.ok())
      return ApiFailure(context.io, "reading policy named " + name, response.status());
    const Json& data = DataOf(*response);
    std::string rules = data.contains("policy") && data["policy"].is_string()
                            ? data["policy"].get<std::string>()
                            : "";
    if (rules.empty()) return UsageFailure(context.io, "No policy named: " + name);
    if (context.format == "json") {
      context.io.out << FormatJson(Json{{"policy", rules}});
      return kExitOk;
    }
    size_t end = rules.find_last_not_of(" \t\r\n");
    size_t begin = rules.find_first_not_of(" \t\r\n");
    context.io.out << rules.substr(begin, end - begin + 1) << "\n";
    return kExitOk;
  }
};

class PolicyListCommand final : public ApiCommand {
 public:
  PolicyListCommand() : ApiCommand(0, 0, false) {}
  std::string Help() const override {
    return "Usage: tresor policy list [options]\n\n"
           "  Lists the names of the policies installed on the server.\n\n"
           "      $ tresor policy list";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> response = context.client.Call("LIST", ApiPath("sys/policies/acl"));
    if (!response.ok()) return ApiFailure(context.io, "listing policies", response.status());
    const Json& data = DataOf(*response);
    Json keys = data.contains("keys") && data["keys"].is_array() ? data["keys"] : Json::array();
    if (context.format == "json") {
      context.io.out << FormatJson(keys);
      return kExitOk;
    }
    for (const Json& key : keys) context.io.out << FormatValue(key) << "\n";
    return kExitOk;
  }
};

class PolicyDeleteCommand final : public ApiCommand {
 public:
  PolicyDeleteCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor policy delete [options] NAME\n\n"
           "  Deletes the policy named NAME. Tokens holding it keep the name but lose\n"
           "  what it granted. The \"root\" and \"default\" policies cannot be deleted.\n\n"
           "      $ tresor policy delete my-policy";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string name = PolicyName(context.args()[0]);
    StatusOr<Json> response = context.client.Call("DELETE", ApiPath("sys/policies/acl/" + name));
    if (!response.ok()) return ApiFailure(context.io, "deleting " + name, response.status());
    context.io.out << "Success! Deleted policy: " << name << "\n";
    return kExitOk;
  }
};

// Local only: no connection flags, no -format, no client.
class PolicyFmtCommand final : public StandardCommand {
 public:
  PolicyFmtCommand()
      : StandardCommand(Shape{.min_args = 1, .max_args = 1, .format = false, .connection = false}) {
  }

  std::string Help() const override {
    return "Usage: tresor policy fmt [options] PATH\n\n"
           "  Formats a local HCL policy file in place: blocks as path \"...\" { },\n"
           "  two-space indentation, aligned '=' and one line per list. Files with\n"
           "  comments are refused (the formatter would drop them).\n\n"
           "      $ tresor policy fmt my-policy.hcl";
  }

 protected:
  int Perform(CommandContext& context) override {
    CommandIo& io = context.io;
    const std::string& path = context.args()[0];
    StatusOr<std::string> text = ReadPolicyFile(path, io.in_fd);
    if (!text.ok() || path == "-") {
      io.err << "Error opening policy file: "
             << (text.ok() ? "stdin cannot be formatted in place" : text.status().message())
             << "\n";
      return kExitError;
    }
    StatusOr<std::string> formatted = FormatPolicy(*text, path);
    if (!formatted.ok()) {
      io.err << "Failed to parse policy: " << formatted.status().message() << "\n";
      return kExitError;
    }
    struct stat info;
    mode_t mode = stat(path.c_str(), &info) == 0 ? (info.st_mode & 07777) : 0644;
    if (Status written = WriteFileAtomically(path, *formatted, mode); !written.ok()) {
      io.err << "Error writing policy file: " << written.message() << "\n";
      return kExitError;
    }
    io.out << "Success! Formatted policy: " << path << "\n";
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewPolicyWriteCommand() { return std::make_unique<PolicyWriteCommand>(); }
std::unique_ptr<Command> NewPolicyReadCommand() { return std::make_unique<PolicyReadCommand>(); }
std::unique_ptr<Command> NewPolicyListCommand() { return std::make_unique<PolicyListCommand>(); }
std::unique_ptr<Command> NewPolicyDeleteCommand() {
  return std::make_unique<PolicyDeleteCommand>();
}
std::unique_ptr<Command> NewPolicyFmtCommand() { return std::make_unique<PolicyFmtCommand>(); }

}  // namespace tresor::cli
