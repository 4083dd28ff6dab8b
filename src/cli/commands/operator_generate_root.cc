// `tresor operator generate-root`: mints a new root token with a quorum of
// unseal key holders (sys/generate-root/*).
//
//   -init                         starts an attempt; prints the OTP once
//   [-nonce=NONCE] [KEY]          gives one unseal key share
//   -decode=ENCODED -otp=OTP      turns the encoded token into the token
//   -status, -cancel
//
// The decode is local: the OTP never goes to the server after -init.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/key_share_input.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"
#include "cli/terminal.h"
#include "common/secure_memory.h"
#include "common/token_otp.h"

namespace tresor::cli {
namespace {

class OperatorGenerateRootCommand final : public ApiCommand {
 public:
  OperatorGenerateRootCommand() : ApiCommand(Shape{.min_args = 0, .max_args = 1}) {}

  std::string Help() const override {
    return "Usage: tresor operator generate-root [options] [KEY]\n\n"
           "  Generates a new root token from a quorum of unseal key shares, for when the\n"
           "  root token is lost or was revoked. The token is returned only XOR'd with a\n"
           "  one-time password (OTP) printed at -init, and decoded locally with -decode.\n\n"
           "  Start an attempt (note the OTP it prints):\n\n"
           "      $ tresor operator generate-root -init\n\n"
           "  Give one unseal key share (repeat until the threshold is reached):\n\n"
           "      $ tresor operator generate-root\n\n"
           "  Decode the encoded token printed at the end:\n\n"
           "      $ tresor operator generate-root -decode=ENCODED -otp=OTP\n\n"
           "  Show progress, or cancel:\n\n"
           "      $ tresor operator generate-root -status\n"
           "      $ tresor operator generate-root -cancel";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("init", &init_, false, "Start a root token generation; prints the OTP.");
    flags.Bool("cancel", &cancel_, false,
               "Cancel the root token generation in progress and discard its progress.");
    flags.Bool("status", &status_, false, "Print the progress of the root token generation.");
    flags.String("decode", &decode_, "",
                 "The encoded token to decode with -otp (\"-\" reads it from stdin).");
    flags.String("otp", &otp_, "", "The OTP printed by -init, for -decode.");
    flags.String("nonce", &nonce_, "",
                 "Nonce of the attempt to contribute to; read from the server when not given.");
    flags.String("pgp-key", &pgp_key_, "",
                 "Not supported: Tresor does not encrypt the new root token with PGP yet.");
  }

  size_t MaxArgs() const override {
    return init_ || cancel_ || status_ || !decode_.empty() ? 0 : 1;
  }
  std::string ClientErrorDoing() const override { return "generating root"; }

  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (int(init_) + int(cancel_) + int(status_) + int(!decode_.empty()) > 1) {
      io.err << "Only one of -init, -cancel, -status and -decode may be given\n";
      return false;
    }
    if (!decode_.empty() && otp_.empty()) {
      io.err << "-decode needs -otp: the OTP printed by -init\n";
      return false;
    }
    if (!pgp_key_.empty()) {
      io.err << "-pgp-key is not supported: Tresor does not encrypt the new root token with PGP "
             << "yet; use the OTP\n";
      return false;
    }
    return true;
  }

  int Run(ApiContext& context) override {
    if (!decode_.empty()) return Decode(context);
    if (init_) return Call(context, "PUT", "/v1/sys/generate-root/attempt", "initializing root generation");
    if (status_) return Call(context, "GET", "/v1/sys/generate-root/attempt", "reading root generation status");
    if (cancel_) {
      StatusOr<Json> response = context.client.Call("DELETE", "/v1/sys/generate-root/attempt");
      if (!response.ok()) return Fail(context, "canceling root generation", response.status());
      context.io.out << "Success! Root token generation canceled (if it was started)\n";
      return kExitOk;
    }
    return Provide(context);
  }

 private:
  int Print(ApiContext& context, const Json& response) {
    context.io.out << (context.format == "json" ? FormatJson(response)
                                                : FormatGenerateRootStatusTable(response));
    return kExitOk;
  }

  int Call(ApiContext& context, const char* method, const char* path, std::string_view doing) {
    StatusOr<Json> response = context.client.Call(method, path);
    if (!response.ok()) return Fail(context, doing, response.status());
    return Print(context, *response);
  }

  int Provide(ApiContext& context) {
    std::string nonce = nonce_;
    if (nonce.empty()) {
      StatusOr<Json> status = context.client.Call("GET", "/v1/sys/generate-root/attempt");
      if (!status.ok()) return Fail(context, "reading root generation status", status.status());
      if (!status->value("started", false)) {
        context.io.err << "Error generating root: no root generation is in progress: start one "
                          "with -init\n";
        return kExitError;
      }
      nonce = status->value("nonce", "");
    }
    StatusOr<std::string> key =
        ReadKeyShare(context.flags.Args(), context.io, "Unseal Key (will be hidden): ");
    if (!key.ok()) return Fail(context, "generating root", key.status());
    Json request = {{"key", std::move(*key)}, {"nonce", nonce}};
    SecureWipe(*key);
    StatusOr<Json> response =
        context.client.Call("PUT", "/v1/sys/generate-root/update", request);
    SecureWipe(request["key"].get_ref<std::string&>());
    if (!response.ok()) return Fail(context, "generating root", response.status());
    return Print(context, *response);
  }

  int Decode(ApiContext& context) {
    std::string encoded = decode_;
    if (encoded == "-") {
      StatusOr<std::string> read = ReadSecretLine(context.io.in_fd, "", context.io.err);
      if (!read.ok()) return Fail(context, "reading the encoded token", read.status());
      encoded = std::move(*read);
    }
    StatusOr<std::string> token = DecodeTokenWithOtp(encoded, otp_);
    if (!token.ok()) return Fail(context, "decoding root token", token.status());
    if (context.format == "json") {
      context.io.out << FormatJson(Json{{"token", *token}});
    } else {
      context.io.out << *token << "\n";
    }
    SecureWipe(*token);
    return kExitOk;
  }

  int Fail(ApiContext& context, std::string_view doing, const tresor::Status& status) {
    PrintError(context.io, doing, status);
    return kExitError;
  }

  bool init_ = false, cancel_ = false, status_ = false;
  std::string decode_, otp_, nonce_, pgp_key_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorGenerateRootCommand() {
  return std::make_unique<OperatorGenerateRootCommand>();
}

}  // namespace tresor::cli
