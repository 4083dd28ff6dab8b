// `tresor operator key-status` and `tresor operator rotate`: inspect and
// rotate the barrier's encryption key (the keyring term).
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

// Reads sys/key-status and prints it in `format`. Returns the exit code.
int PrintKeyStatus(HttpClient& client, const std::string& format, CommandIo& io,
                   std::string_view table_preamble) {
  StatusOr<Json> response = client.Call("GET", "/v1/sys/key-status");
  if (!response.ok()) {
    PrintError(io, "reading key status", response.status());
    return kExitError;
  }
  Json fields = KeyStatusFields(*response);
  if (format == "json") {
    io.out << FormatJson(fields);
  } else {
    io.out << table_preamble << FormatKeyStatus(fields);
  }
  return kExitOk;
}

class OperatorKeyStatusCommand final : public ApiCommand {
 public:
  OperatorKeyStatusCommand() : ApiCommand(Shape{}) {}

  std::string Help() const override {
    return "Usage: tresor operator key-status [options]\n\n"
           "  Provides information about the active encryption key: its term, when it\n"
           "  was installed, and how many encryptions it has performed.\n\n"
           "      $ tresor operator key-status";
  }

 protected:
  std::string ClientErrorDoing() const override { return "reading key status"; }

  int Run(ApiContext& context) override {
    return PrintKeyStatus(context.client, context.format, context.io, "");
  }
};

class OperatorRotateCommand final : public ApiCommand {
 public:
  OperatorRotateCommand() : ApiCommand(Shape{}) {}

  std::string Help() const override {
    return "Usage: tresor operator rotate [options]\n\n"
           "  Rotates the underlying encryption key which protects data in the storage\n"
           "  backend. New writes use the new key; existing data stays readable with\n"
           "  the older terms. Requires a token with sudo capability on sys/rotate.\n\n"
           "      $ tresor operator rotate";
  }

 protected:
  std::string ClientErrorDoing() const override { return "rotating key"; }

  int Run(ApiContext& context) override {
    StatusOr<Json> rotated = context.client.Call("PUT", "/v1/sys/rotate");
    if (!rotated.ok()) {
      PrintError(context.io, "rotating key", rotated.status());
      return kExitError;
    }
    return PrintKeyStatus(context.client, context.format, context.io, "Success! Rotated key\n\n");
  }
};

}  // namespace

std::unique_ptr<Command> NewOperatorKeyStatusCommand() {
  return std::make_unique<OperatorKeyStatusCommand>();
}

std::unique_ptr<Command> NewOperatorRotateCommand() {
  return std::make_unique<OperatorRotateCommand>();
}

}  // namespace tresor::cli
