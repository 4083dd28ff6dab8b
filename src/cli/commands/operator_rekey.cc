// `tresor operator rekey`: replaces the unseal key shares (sys/rekey/*).
//
//   -init -key-shares=N -key-threshold=T [-verify]   starts a rekey
//   [-nonce=NONCE] [KEY]                             gives one current share
//   -verify [-nonce=NONCE] [KEY]                     gives one new share back
//   -status [-verify], -cancel [-verify]
//
// Without -nonce the command reads the attempt's nonce from the server, as
// Vault's does. Shares come from KEY or a hidden prompt (key_share_input.h).
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/key_share_input.h"
#include "cli/commands/sys_output.h"
#include "cli/output.h"
#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

class OperatorRekeyCommand final : public ApiCommand {
 public:
  OperatorRekeyCommand() : ApiCommand(Shape{.min_args = 0, .max_args = 1}) {}

  std::string Help() const override {
    return "Usage: tresor operator rekey [options] [KEY]\n\n"
           "  Generates a new set of unseal key shares, optionally with a different number\n"
           "  of shares or threshold, and retires the old ones. The root key and the data\n"
           "  are not touched and the server keeps serving. A quorum of the current shares\n"
           "  must be given, one per call, by their holders; a share given as KEY stays in\n"
           "  your shell history, so leave it out (or use \"-\") to be prompted.\n\n"
           "  Start a rekey to 3 shares with a threshold of 2, verified before it takes\n"
           "  effect:\n\n"
           "      $ tresor operator rekey -init -key-shares=3 -key-threshold=2 -verify\n\n"
           "  Give one current share (repeat until the threshold is reached):\n\n"
           "      $ tresor operator rekey\n\n"
           "  Give one of the new shares back to verify them:\n\n"
           "      $ tresor operator rekey -verify\n\n"
           "  Show progress, or cancel:\n\n"
           "      $ tresor operator rekey -status\n"
           "      $ tresor operator rekey -cancel";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("init", &init_, false, "Start a rekey. Needs -key-shares and -key-threshold.");
    flags.Bool("cancel", &cancel_, false,
               "Cancel the rekey in progress and discard its progress (with -verify: restart "
               "only the verification, keeping the new shares).");
    flags.Bool("status", &status_, false, "Print the rekey's progress (with -verify: the "
                                          "verification's).");
    flags.Int("key-shares", &shares_, 5, "Number of new key shares to generate.");
    flags.Int("key-threshold", &threshold_, 3,
              "Number of new key shares needed to reconstruct the root key.");
    flags.Bool("verify", &verify_, false,
               "With -init: require the new shares to be given back before they take effect. "
               "Otherwise: act on the verification step.");
    flags.String("nonce", &nonce_, "",
                 "Nonce of the rekey (or verification) to contribute to; read from the server "
                 "when not given.");
    flags.String("target", &target_, "barrier",
                 "Which keys to rekey: \"barrier\" (the unseal keys, Shamir) or \"recovery\" "
                 "(the recovery keys of an auto-unseal seal).");
    flags.StringList("pgp-keys", &pgp_keys_, true,
                     "Not supported: Tresor does not encrypt key shares with PGP keys yet.");
    flags.Bool("backup", &backup_, false, "Not supported (needs -pgp-keys).");
  }

  size_t MaxArgs() const override { return init_ || cancel_ || status_ ? 0 : 1; }
  std::string ClientErrorDoing() const override { return "rekeying"; }

  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (int(init_) + int(cancel_) + int(status_) > 1) {
      io.err << "Only one of -init, -cancel and -status may be given\n";
      return false;
    }
    if (target_ != "barrier" && target_ != "recovery") {
      io.err << "-target must be \"barrier\" (the unseal keys) or \"recovery\" (the recovery "
             << "keys of an auto-unseal seal)\n";
      return false;
    }
    if (!pgp_keys_.empty() || backup_) {
      io.err << "-pgp-keys and -backup are not supported: Tresor does not encrypt key shares "
             << "with PGP keys yet\n";
      return false;
    }
    return true;
  }

  int Run(ApiContext& context) override {
    if (init_) return Init(context);
    if (cancel_) return Cancel(context);
    if (status_) return Status(context);
    return Provide(context);
  }

 private:
  int Print(ApiContext& context, const Json& response, bool verification) {
    if (context.format == "json") {
      context.io.out << FormatJson(response);
    } else {
      context.io.out << (verification ? FormatRekeyVerifyStatusTable(response)
                                      : FormatRekeyStatusTable(response));
    }
    return kExitOk;
  }

  int Init(ApiContext& context) {
    Json request = {{"secret_shares", shares_},
                    {"secret_threshold", threshold_},
                    {"require_verification", verify_}};
    StatusOr<Json> response = context.client.Call("PUT", Path("init"), request);
    if (!response.ok()) return Fail(context, "initializing rekey", response.status());
    return Print(context, *response, false);
  }

  int Cancel(ApiContext& context) {
    const std::string path = verify_ ? Path("verify") : Path("init");
    StatusOr<Json> response = context.client.Call("DELETE", path);
    if (!response.ok()) return Fail(context, "canceling rekey", response.status());
    context.io.out << (verify_ ? "Success! Restarted rekey verification: give the new shares "
                                 "again, with the new verification nonce (-status -verify)\n"
                               : "Success! Canceled rekeying (if it was started)\n");
    return kExitOk;
  }

  int Status(ApiContext& context) {
    const std::string path = verify_ ? Path("verify") : Path("init");
    StatusOr<Json> response = context.client.Call("GET", path);
    if (!response.ok()) return Fail(context, "reading rekey status", response.status());
    return Print(context, *response, verify_);
  }

  int Provide(ApiContext& context) {
    CommandIo& io = context.io;
    const std::string path = verify_ ? Path("verify") : Path("init");
    // The attempt's nonce (unless given) and its new n and t, for the
    // message printed once it completes.
    StatusOr<Json> status = context.client.Call("GET", path);
    if (!status.ok()) return Fail(context, "reading rekey status", status.status());
    if (!status->value("started", false)) {
      io.err << "Error rekeying: no rekey is in progress: start one with -init\n";
      return kExitError;
    }
    std::string nonce = nonce_.empty() ? status->value("nonce", "") : nonce_;
    StatusOr<std::string> key =
        ReadKeyShare(context.flags.Args(), io,
                     verify_ ? "New unseal key (will be hidden): " : "Unseal Key (will be hidden): ");
    if (!key.ok()) return Fail(context, "rekeying", key.status());
    Json request = {{"key", std::move(*key)}, {"nonce", nonce}};
    SecureWipe(*key);
    StatusOr<Json> response = context.client.Call(
        "PUT", verify_ ? Path("verify") : Path("update"), request);
    SecureWipe(request["key"].get_ref<std::string&>());
    if (!response.ok()) return Fail(context, "rekeying", response.status());
    if (!response->value("complete", false)) {
      if (verify_) return Print(context, *response, true);
      // Vault's table needs `required`, which only the status carries.
      StatusOr<Json> status = context.client.Call("GET", Path("init"));
      return Print(context, status.ok() ? *status : *response, false);
    }
    if (context.format == "json") {
      io.out << FormatJson(*response);
    } else if (verify_) {
      io.out << "Success! Rekey verification was successful. The rekey operation is complete "
                "and the new keys are now active.\n";
    } else {
      io.out << FormatRekeyKeys(*response, status->value("n", int64_t{0}),
                                status->value("t", int64_t{0}));
    }
    return kExitOk;
  }

  int Fail(ApiContext& context, std::string_view doing, const tresor::Status& status) {
    PrintError(context.io, doing, status);
    return kExitError;
  }

  // The endpoint for the -target: sys/rekey/ or sys/rekey-recovery-key/.
  std::string Path(const char* leaf) const {
    return std::string(target_ == "recovery" ? "/v1/sys/rekey-recovery-key/" : "/v1/sys/rekey/") +
           leaf;
  }

  bool init_ = false, cancel_ = false, status_ = false, verify_ = false, backup_ = false;
  int64_t shares_ = 5, threshold_ = 3;
  std::string nonce_, target_;
  std::vector<std::string> pgp_keys_;
};

}  // namespace

std::unique_ptr<Command> NewOperatorRekeyCommand() {
  return std::make_unique<OperatorRekeyCommand>();
}

}  // namespace tresor::cli
