// `tresor unwrap [TOKEN]`: gives up what a wrapping token holds (once), as
// Vault's `vault unwrap`. Without TOKEN the command's own token is the
// wrapping token. With TOKEN and no token of its own, TOKEN is sent as the
// request's token (a wrapping token may unwrap itself); with a token of its
// own, TOKEN goes in the body and the command's token must be allowed to
// call sys/wrapping/unwrap (the default policy is).
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/secret_output.h"

namespace tresor::cli {
namespace {

class UnwrapCommand final : public StandardCommand {
 public:
  UnwrapCommand() : StandardCommand(Shape{.min_args = 0, .max_args = 1, .field = true}) {}
  std::string Help() const override {
    return "Usage: tresor unwrap [options] [TOKEN]\n\n"
           "  Unwraps a wrapped secret: prints what the wrapping token holds, which can\n"
           "  be done only once. Without TOKEN, the token the command runs with is the\n"
           "  wrapping token.\n\n"
           "      $ tresor unwrap hvs.CAESIJ...\n"
           "      $ TRESOR_TOKEN=hvs.CAESIJ... tresor unwrap";
  }

 protected:
  int Perform(CommandContext& context) override {
    StatusOr<ClientOptions> options = ResolveClientOptions(context.flags, client_flags());
    if (!options.ok()) {
      context.io.err << options.status().message() << "\n";
      return kExitUsage;
    }
    std::string token = options->token;
    Json body = Json::object();
    if (!context.args().empty()) {
      const std::string& wrapping = context.args()[0];
      if (token.empty()) {
        token = wrapping;
      } else if (wrapping != token) {
        body["token"] = wrapping;
      }
    }
    auto client = NewClientWithToken(context.flags, client_flags(), std::move(token));
    if (!client.ok()) {
      context.io.err << client.status().message() << "\n";
      return kExitUsage;
    }
    StatusOr<Json> secret = (*client)->Call("POST", ApiPath("sys/wrapping/unwrap"), body);
    if (!secret.ok()) return ApiFailure(context.io, "unwrapping", secret.status());
    return PrintSecret(context.io, context.format, field(), *secret);
  }
};

}  // namespace

std::unique_ptr<Command> NewUnwrapCommand() { return std::make_unique<UnwrapCommand>(); }

}  // namespace tresor::cli
