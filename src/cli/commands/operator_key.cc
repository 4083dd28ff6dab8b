// `tresor operator key-status` and `tresor operator rotate`: inspect and
// rotate the barrier's encryption key (the keyring term).
#include "cli/commands/builtin.h"
#include "cli/commands/common.h"
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

class OperatorKeyStatusCommand final : public Command {
 public:
  std::string Help() const override {
    return "Usage: tresor operator key-status [options]\n\n"
           "  Provides information about the active encryption key: its term, when it\n"
           "  was installed, and how many encryptions it has performed.\n\n"
           "      $ tresor operator key-status";
  }

  void DefineFlags(FlagSet& flags) override { AddServerCommandFlags(flags, &common_); }

  int Execute(const FlagSet& flags, CommandIo& io) override {
    if (!CheckArgCount(flags, io, 0, 0)) return kExitUsage;
    StatusOr<std::string> format = ResolveFormat(flags, common_.format);
    if (!format.ok()) {
      io.err << format.status().message() << "\n";
      return kExitUsage;
    }
    auto client = NewClientFromFlags(flags, common_.client);
    if (!client.ok()) {
      PrintError(io, "reading key status", client.status());
      return kExitError;
    }
    return PrintKeyStatus(**client, *format, io, "");
  }

 private:
  ServerCommandFlags common_;
};

class OperatorRotateCommand final : public Command {
 public:
  std::string Help() const override {
    return "Usage: tresor operator rotate [options]\n\n"
           "  Rotates the underlying encryption key which protects data in the storage\n"
           "  backend. New writes use the new key; existing data stays readable with\n"
           "  the older terms. Requires a token with sudo capability on sys/rotate.\n\n"
           "      $ tresor operator rotate";
  }

  void DefineFlags(FlagSet& flags) override { AddServerCommandFlags(flags, &common_); }

  int Execute(const FlagSet& flags, CommandIo& io) override {
    if (!CheckArgCount(flags, io, 0, 0)) return kExitUsage;
    StatusOr<std::string> format = ResolveFormat(flags, common_.format);
    if (!format.ok()) {
      io.err << format.status().message() << "\n";
      return kExitUsage;
    }
    auto client = NewClientFromFlags(flags, common_.client);
    if (!client.ok()) {
      PrintError(io, "rotating key", client.status());
      return kExitError;
    }
    StatusOr<Json> rotated = (*client)->Call("PUT", "/v1/sys/rotate");
    if (!rotated.ok()) {
      PrintError(io, "rotating key", rotated.status());
      return kExitError;
    }
    return PrintKeyStatus(**client, *format, io, "Success! Rotated key\n\n");
  }

 private:
  ServerCommandFlags common_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorKeyStatusCommand() {
  return std::make_unique<OperatorKeyStatusCommand>();
}

std::unique_ptr<Command> NewOperatorRotateCommand() {
  return std::make_unique<OperatorRotateCommand>();
}

}  // namespace tresor::cli
