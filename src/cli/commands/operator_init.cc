#include "cli/commands/operator_init.h"

#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

Json StringArray(const Json& response, const char* key) {
  Json out = Json::array();
  if (response.is_object() && response.contains(key) && response[key].is_array()) {
    for (const Json& item : response[key]) {
      if (item.is_string()) out.push_back(item);
    }
  }
  return out;
}

std::string RootToken(const Json& response) {
  if (response.is_object() && response.contains("root_token") &&
      response["root_token"].is_string()) {
    return response["root_token"].get<std::string>();
  }
  return "";
}

class OperatorInitCommand final : public ApiCommand {
 public:
  OperatorInitCommand() : ApiCommand(Shape{}) {}

  std::string Help() const override {
    return "Usage: tresor operator init [options]\n\n"
           "  Initializes a Tresor server. Initialization generates the root key that\n"
           "  protects all data, splits it into unseal key shares (Shamir's secret\n"
           "  sharing), and creates the initial root token. It happens exactly once per\n"
           "  cluster, against a server that is not yet initialized.\n\n"
           "  Start initialization with the default options (5 shares, threshold 3):\n\n"
           "      $ tresor operator init\n\n"
           "  Check whether the server is initialized (exit 0 yes, 2 no, 1 error):\n\n"
           "      $ tresor operator init -status";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Int("key-shares", &shares_, 5,
              "Number of key shares to split the generated root key into. This is the "
              "number of \"unseal keys\" to generate.");
    flags.Int("key-threshold", &threshold_, 3,
              "Number of key shares required to reconstruct the root key. This must be "
              "less than or equal to -key-shares.");
    flags.Int("recovery-shares", &recovery_shares_, 5,
              "With an auto-unseal seal: number of recovery key shares to generate.");
    flags.Int("recovery-threshold", &recovery_threshold_, 3,
              "With an auto-unseal seal: number of recovery key shares needed to authorise "
              "rekey, generate-root and seal migration.");
    flags.Bool("status", &status_only_, false,
               "Print the current initialization status. An exit code of 0 means the "
               "server is initialized, 2 that it is not, 1 an error.");
  }

  std::string ClientErrorDoing() const override {
    return status_only_ ? "checking init status" : "initializing";
  }

  int Run(ApiContext& context) override {
    CommandIo& io = context.io;
    if (status_only_) return PrintStatus(context.client, io);

    // As Vault's CLI: a server with an auto seal is given recovery shares.
    StatusOr<Json> seal = context.client.Call("GET", "/v1/sys/seal-status");
    const bool recovery = seal.ok() && seal->value("recovery_seal", false);
    Json request = recovery ? Json{{"recovery_shares", recovery_shares_},
                                   {"recovery_threshold", recovery_threshold_}}
                            : Json{{"secret_shares", shares_}, {"secret_threshold", threshold_}};
    StatusOr<Json> response = context.client.Call("PUT", "/v1/sys/init", request);
    if (!response.ok()) {
      PrintError(io, "initializing", response.status());
      return kExitError;
    }
    const int64_t shares = recovery ? recovery_shares_ : shares_;
    const int64_t threshold = recovery ? recovery_threshold_ : threshold_;
    if (context.format == "json") {
      io.out << FormatJson(InitJson(*response, shares, threshold, recovery));
    } else {
      io.out << FormatInitTable(*response, shares, threshold, recovery);
    }
    return kExitOk;
  }

 private:
  // Vault returns 1 on error here, since 2 already means "not initialized".
  static int PrintStatus(HttpClient& client, CommandIo& io) {
    StatusOr<Json> response = client.Call("GET", "/v1/sys/init");
    if (!response.ok()) {
      PrintError(io, "checking init status", response.status());
      return kExitError;
    }
    bool initialized = response->is_object() && response->value("initialized", false);
    io.out << (initialized ? "Tresor is initialized\n" : "Tresor is not initialized\n");
    return initialized ? kExitOk : kExitUsage;
  }

  int64_t shares_ = 5;
  int64_t threshold_ = 3;
  int64_t recovery_shares_ = 5;
  int64_t recovery_threshold_ = 3;
  bool status_only_ = false;
};

// Vault's output for a server with an auto seal: recovery keys, which
// authorise operations but never unseal.
std::string FormatRecoveryInitTable(const Json& response, int64_t shares, int64_t threshold) {
  Json keys = StringArray(response, "recovery_keys_base64");
  if (keys.empty()) keys = StringArray(response, "recovery_keys");
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    out += "Recovery Key " + std::to_string(i + 1) + ": " + keys[i].get<std::string>() + "\n";
  }
  out += "\nInitial Root Token: " + RootToken(response) + "\n\n";
  out += "Success! Tresor is initialized\n\n";
  out += WrapAtLength("Recovery key initialized with " + std::to_string(shares) +
                      " key shares and a key threshold of " + std::to_string(threshold) +
                      ". Please securely distribute the key shares printed above. They do not "
                      "unseal the server (its seal does); they authorise generate-root, rekey "
                      "of the recovery keys and seal migration.") +
         "\n";
  return out;
}

}  // namespace

std::string FormatInitTable(const Json& response, int64_t shares, int64_t threshold,
                            bool recovery) {
  if (recovery) return FormatRecoveryInitTable(response, shares, threshold);
  Json keys = StringArray(response, "keys_base64");
  if (keys.empty()) keys = StringArray(response, "keys");
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    out += "Unseal Key " + std::to_string(i + 1) + ": " + keys[i].get<std::string>() + "\n";
  }
  out += "\nInitial Root Token: " + RootToken(response) + "\n\n";
  const std::string t = std::to_string(threshold);
  out += WrapAtLength("Tresor initialized with " + std::to_string(shares) +
                      " key shares and a key threshold of " + t +
                      ". Please securely distribute the key shares printed above. When "
                      "Tresor is re-sealed, restarted, or stopped, you must supply at least " +
                      t + " of these keys to unseal it before it can start servicing requests.") +
         "\n\n";
  out += WrapAtLength("Tresor does not store the generated root key. Without at least " + t +
                      " keys to reconstruct the root key, Tresor will remain permanently "
                      "sealed!") +
         "\n\n";
  out += WrapAtLength(
             "It is possible to generate new unseal keys, provided you have a quorum "
             "of existing unseal keys shares. See \"tresor operator rekey\" for more "
             "information.") +
         "\n";
  return out;
}

Json InitJson(const Json& response, int64_t shares, int64_t threshold, bool recovery) {
  Json out = Json::object();
  out["unseal_keys_b64"] = StringArray(response, "keys_base64");
  out["unseal_keys_hex"] = StringArray(response, "keys");
  out["unseal_shares"] = recovery ? 1 : shares;
  out["unseal_threshold"] = recovery ? 1 : threshold;
  out["recovery_keys_b64"] = StringArray(response, "recovery_keys_base64");
  out["recovery_keys_hex"] = StringArray(response, "recovery_keys");
  out["recovery_keys_shares"] = recovery ? shares : 0;
  out["recovery_keys_threshold"] = recovery ? threshold : 0;
  out["root_token"] = RootToken(response);
  return out;
}

std::unique_ptr<Command> NewOperatorInitCommand() {
  return std::make_unique<OperatorInitCommand>();
}

}  // namespace tresor::cli
