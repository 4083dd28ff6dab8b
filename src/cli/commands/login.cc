// `tresor login [TOKEN]`: checks a token against the server (GET
// auth/token/lookup-self with it) and stores it in $HOME/.tresor-token,
// which later commands read (token_file.h). Without TOKEN, or with "-", the
// token is read from stdin: hidden at a terminal, one line from a pipe.
//
// `tresor login -method=userpass [-path=P] username=NAME [password=PW]`
// logs in with the userpass method (auth_userpass.h) and stores the token
// the server minted the same way.
#include <cstdint>

#include "cli/commands/api_command.h"
#include "cli/commands/auth_userpass.h"
#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"
#include "cli/terminal.h"
#include "cli/token_file.h"
#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

// The auth block Vault's token login method builds from lookup-self, so the
// output (and -field=token_policies etc.) match `vault login`.
Json AuthFromLookup(const std::string& token, const Json& lookup) {
  const Json& data = DataOf(lookup);
  Json policies = data.value("policies", Json::array());
  Json identity = data.value("identity_policies", Json::array());
  if (identity.is_null()) identity = Json::array();
  Json all = policies;
  for (const Json& policy : identity) all.push_back(policy);
  return Json{{"auth",
               {{"client_token", token},
                {"accessor", data.value("accessor", "")},
                {"policies", all},
                {"token_policies", policies},
                {"identity_policies", identity},
                {"metadata", data.value("meta", Json::object())},
                {"lease_duration", data.value("ttl", 0)},
                {"renewable", data.value("renewable", false)}}}};
}

// A StandardCommand, not an ApiCommand: the client it needs carries the
// token being checked (or none, for userpass), not the caller's.
class LoginCommand final : public StandardCommand {
 public:
  LoginCommand() : StandardCommand(Shape{.min_args = 0, .max_args = SIZE_MAX}) {}

  std::string Help() const override {
    return "Usage: tresor login [options] [TOKEN | K=V...]\n\n"
           "  Authenticates with a token: the token is checked against the server and\n"
           "  stored in $HOME/.tresor-token (mode 0600), which later commands use.\n"
           "  Without TOKEN, or with \"-\", the token is read from stdin (hidden at a\n"
           "  terminal), which keeps it out of your shell history.\n\n"
           "      $ tresor login\n"
           "      $ echo $TOKEN | tresor login -\n\n" +
           UserpassLoginHelp();
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("method", &method_, "token",
                 "Type of authentication to use: \"token\" or \"userpass\".");
    flags.String("path", &path_, "",
                 "Path where the auth method is enabled (default: the method's name, "
                 "e.g. \"userpass\"). Not used by the token method.");
    flags.Bool("no-store", &no_store_, false,
               "Do not persist the token to the token file after authentication.");
    flags.Bool("no-print", &no_print_, false,
               "Do not display the token. The token will still be stored.");
    flags.String("field", &field_, "",
                 "Print only the field with the given name, e.g. -field=token_accessor.");
  }

  // The token method takes at most the token; userpass any K=V.
  size_t MaxArgs() const override { return method_ == "token" ? 1 : SIZE_MAX; }

  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (method_ == "token" || method_ == "userpass") return true;
    io.err << "Unknown auth method: " << method_
           << ". Tresor's CLI supports \"token\" and \"userpass\".\n";
    return false;
  }

  int Perform(CommandContext& context) override {
    const FlagSet& flags = context.flags;
    CommandIo& io = context.io;
    if (method_ == "userpass") return LoginWithUserpass(flags, io, context.format);
    std::string token;
    if (!flags.Args().empty() && flags.Args()[0] != "-") {
      token = flags.Args()[0];
    } else {
      StatusOr<std::string> read = ReadSecretLine(io.in_fd, "Token (will be hidden): ", io.err);
      if (!read.ok()) {
        io.err << "Error reading the token: " << read.status().message() << "\n";
        return kExitError;
      }
      token = std::move(*read);
    }
    int code = LoginWith(flags, io, context.format, token);
    SecureWipe(token);
    return code;
  }

 private:
  int LoginWith(const FlagSet& flags, CommandIo& io, const std::string& format,
                const std::string& token) {
    if (token.empty()) {
      io.err << "A token must be passed to auth, please view the help for more information.\n";
      return kExitUsage;
    }
    auto client = NewClientWithToken(flags, client_flags(), token);
    if (!client.ok()) {
      io.err << client.status().message() << "\n";
      return kExitUsage;
    }
    StatusOr<Json> lookup = (*client)->Call("GET", "/v1/auth/token/lookup-self");
    if (!lookup.ok()) {
      PrintError(io, "authenticating", lookup.status());
      return kExitUsage;
    }
    Json secret = AuthFromLookup(token, *lookup);
    // lookup-self echoes the token as data.id; do not leave it in freed memory.
    if (Json* data = lookup->contains("data") ? &(*lookup)["data"] : nullptr;
        data != nullptr && data->is_object() && data->contains("id") && (*data)["id"].is_string()) {
      SecureWipe((*data)["id"].get_ref<std::string&>());
    }
    int code = StoreAndPrint(io, format, token, secret);
    SecureWipe(secret["auth"]["client_token"].get_ref<std::string&>());
    return code;
  }

  // The userpass method: the arguments are its key=value configuration.
  // Errors parsing them exit 1, as in Vault; the login's errors exit 2.
  int LoginWithUserpass(const FlagSet& flags, CommandIo& io, const std::string& format) {
    StatusOr<Json> config = ParseStringMapArgs(flags.Args(), io.in_fd);
    if (!config.ok()) {
      PrintError(io, "parsing configuration", config.status());
      return kExitError;
    }
    // The login path needs no token; a stale one from the token file or the
    // environment must not travel with the password.
    auto client = NewClientWithToken(flags, client_flags(), "");
    if (!client.ok()) {
      io.err << client.status().message() << "\n";
      return kExitUsage;
    }
    StatusOr<Json> secret =
        UserpassLogin(**client, *config, path_.empty() ? kUserpassDefaultMount : path_, io);
    if (!secret.ok()) {
      PrintError(io, "authenticating", secret.status());
      return kExitUsage;
    }
    std::string& token = (*secret)["auth"]["client_token"].get_ref<std::string&>();
    int code = StoreAndPrint(io, format, token, *secret);
    SecureWipe(token);
    return code;
  }

  // Stores `token` in the token file (unless -no-store) and prints `secret`.
  // When storing fails the token is printed anyway, with Vault's note, since
  // a login may have minted it and it would otherwise be lost.
  int StoreAndPrint(CommandIo& io, const std::string& format, const std::string& token,
                    const Json& secret) {
    if (!no_store_) {
      if (Status stored = WriteTokenFile(token); !stored.ok()) {
        PrintError(io, "storing token", stored);
        io.err << WrapAtLength(
                      "Authentication was successful, but the token was not persisted. The "
                      "resulting token is shown below for your records.")
               << "\n";
        io.out << (format == "json" ? FormatJson(secret) : SecretTable(secret));
        return kExitUsage;
      }
    }
    return Print(io, format, secret);
  }

  int Print(CommandIo& io, const std::string& format, const Json& secret) {
    if (FirstEnv({"TRESOR_TOKEN", "VAULT_TOKEN"})) {
      io.err << WrapAtLength(
                    "WARNING! The TRESOR_TOKEN or VAULT_TOKEN environment variable is set! "
                    "This takes precedence over the value set by this command. To use the "
                    "value set by this command, unset the variable or set it to the token "
                    "displayed below.")
             << "\n\n";
    }
    if (no_store_) {
      io.err << WrapAtLength(
                    "The token was not stored in the token file. Set the TRESOR_TOKEN "
                    "environment variable or pass the token below with each request to "
                    "Tresor.")
             << "\n\n";
    }
    if (!field_.empty()) return PrintFieldValue(io, format, SecretField(secret, field_));
    if (no_print_) return kExitOk;
    if (format == "json") {
      io.out << FormatJson(secret);
      return kExitOk;
    }
    if (no_store_) {
      io.out << "Success! You are now authenticated.\n\n";
    } else {
      io.out << WrapAtLength(
                    "Success! You are now authenticated. The token information displayed "
                    "below is already stored in the token helper. You do NOT need to run "
                    "\"tresor login\" again. Future Tresor requests will automatically use "
                    "this token.")
             << "\n\n";
    }
    io.out << SecretTable(secret);
    return kExitOk;
  }

  std::string method_;
  std::string path_;
  std::string field_;
  bool no_store_ = false;
  bool no_print_ = false;
};

}  // namespace

std::unique_ptr<Command> NewLoginCommand() { return std::make_unique<LoginCommand>(); }

}  // namespace tresor::cli
