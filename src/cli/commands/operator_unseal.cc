// `tresor operator unseal [KEY]`: submits one unseal key share (or -reset)
// and prints the resulting seal status. Without KEY the share is read from
// stdin: hidden at a terminal, one line from a pipe.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/key_share_input.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"
#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

class OperatorUnsealCommand final : public ApiCommand {
 public:
  OperatorUnsealCommand() : ApiCommand(Shape{.min_args = 0, .max_args = 1}) {}

  std::string Help() const override {
    return "Usage: tresor operator unseal [options] [KEY]\n\n"
           "  Provides a portion of the root key to unseal a Tresor server. The server\n"
           "  starts sealed and serves nothing until enough shares (the threshold) have\n"
           "  been given. The key may be given as an argument, but that leaves it in your\n"
           "  shell history; without it the key is read from stdin, hidden when stdin is\n"
           "  a terminal.\n\n"
           "      $ tresor operator unseal\n\n"
           "  Discard the shares given so far:\n\n"
           "      $ tresor operator unseal -reset";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("reset", &reset_, false,
               "Discard any previously entered keys to the unseal process.");
    flags.Bool("migrate", &migrate_, false,
               "Unseal for a seal migration (docs/seal.md): the key is a share of the old "
               "seal's keys (unseal keys from Shamir, recovery keys from an auto seal).");
  }

  size_t MaxArgs() const override { return reset_ ? 0 : 1; }
  std::string ClientErrorDoing() const override { return "unsealing"; }

  int Run(ApiContext& context) override {
    const FlagSet& flags = context.flags;
    CommandIo& io = context.io;
    Json request;
    if (reset_) {
      request = {{"reset", true}};
    } else {
      StatusOr<std::string> key =
          ReadKeyShare(flags.Args(), io, "Unseal Key (will be hidden): ");
      if (!key.ok()) {
        PrintError(io, "unsealing", key.status());
        return kExitError;
      }
      request = {{"key", std::move(*key)}};
      SecureWipe(*key);
      if (migrate_) request["migrate"] = true;
    }
    StatusOr<Json> response = context.client.Call("PUT", "/v1/sys/unseal", request);
    if (request.contains("key")) SecureWipe(request["key"].get_ref<std::string&>());
    if (!response.ok()) {
      PrintError(io, "unsealing", response.status());
      return kExitError;
    }
    Json leader = FetchLeader(context.client);
    if (context.format == "json") {
      io.out << FormatJson(SealStatusJson(*response, leader));
    } else {
      io.out << FormatSealStatusTable(*response, leader);
    }
    return kExitOk;
  }

 private:
  bool reset_ = false;
  bool migrate_ = false;
};

}  // namespace

std::unique_ptr<Command> NewOperatorUnsealCommand() {
  return std::make_unique<OperatorUnsealCommand>();
}

}  // namespace tresor::cli
