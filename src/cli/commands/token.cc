// `tresor token create|lookup|renew|revoke|capabilities`: the token store's
// endpoints under auth/token/ and sys/capabilities(-self). create and renew
// print the token as Vault does (the auth rows); lookup prints the token's
// properties, never the token itself.
#include <algorithm>
#include <chrono>

#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

// Seconds from a duration flag the parser has already validated.
int64_t FlagSeconds(const std::string& text) {
  StatusOr<std::chrono::nanoseconds> parsed = ParseDuration(text);
  return parsed.ok() ? std::chrono::duration_cast<std::chrono::seconds>(*parsed).count() : 0;
}

// Runs one request and prints the answer as a secret (create, lookup, renew).
int CallAndPrint(ApiContext& context, std::string_view doing, const std::string& path,
                 const Json& body, const std::string& field) {
  StatusOr<Json> secret = context.client.Call(body.is_null() ? "GET" : "POST", ApiPath(path), body);
  if (!secret.ok()) return ApiFailure(context.io, doing, secret.status());
  return PrintSecret(context.io, context.format, field, *secret);
}

class TokenCreateCommand final : public ApiCommand {
 public:
  TokenCreateCommand() : ApiCommand(0, 0, true) {}
  std::string Help() const override {
    return "Usage: tresor token create [options]\n\n"
           "  Creates a new token that can be used for authentication. The new token is\n"
           "  a child of the token used to create it unless -orphan is given, and can\n"
           "  have only policies its parent has.\n\n"
           "      $ tresor token create -policy=my-policy -ttl=1h\n"
           "      $ tresor token create -orphan -period=24h -metadata=team=ops";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("id", &id_, "",
                 "Value for the token. By default, this is an auto-generated value.");
    flags.String("display-name", &display_name_, "", "Name to associate with this token.");
    flags.Duration("ttl", &ttl_, "", "Initial TTL to associate with the token.");
    flags.Duration("explicit-max-ttl", &explicit_max_ttl_, "",
                   "Explicit maximum lifetime for the token; it cannot be renewed past it.");
    flags.Duration("period", &period_, "",
                   "If specified, every renewal will use the given period. Periodic tokens do "
                   "not expire as long as they are actively renewed.");
    flags.Bool("renewable", &renewable_, true,
               "Allow the token to be renewed up to its maximum TTL.");
    flags.Bool("orphan", &orphan_, false,
               "Create the token with no parent, so it is not revoked with the token that "
               "created it.");
    flags.Bool("no-default-policy", &no_default_policy_, false,
               "Detach the \"default\" policy from the policy set for this token.");
    flags.Int("use-limit", &use_limit_, 0,
              "Number of times this token can be used. After the last use, the token is "
              "automatically revoked. By default, tokens can be used an unlimited number of "
              "times.");
    flags.StringList("policy", &policies_, true,
                     "Name of a policy to associate with this token. This can be specified "
                     "multiple times to attach multiple policies.");
    flags.StringList("metadata", &metadata_, false,
                     "Arbitrary key=value metadata to associate with the token. This can be "
                     "specified multiple times to add multiple pieces of metadata.");
    flags.String("type", &type_, "", "The type of token to create (service or batch).");
    flags.String("role", &role_, "",
                 "Name of the role to create the token against (auth/token/create/ROLE): the "
                 "role's settings override the flags where they conflict.");
  }

  int Run(ApiContext& context) override {
    Json body = Json::object();
    if (!id_.empty()) body["id"] = id_;
    Json policies = Json::array();
    for (const std::string& policy : policies_) {
      if (!policy.empty()) policies.push_back(policy);
    }
    if (!policies.empty()) body["policies"] = std::move(policies);
    if (!metadata_.empty()) {
      StatusOr<Json> meta = ParseStringMapArgs(metadata_, context.io.in_fd);
      if (!meta.ok()) {
        context.io.err << "Failed to parse -metadata: " << meta.status().message() << "\n";
        return kExitError;
      }
      body["meta"] = std::move(*meta);
    }
    if (!ttl_.empty()) body["ttl"] = ttl_;
    if (!explicit_max_ttl_.empty()) body["explicit_max_ttl"] = explicit_max_ttl_;
    if (!period_.empty()) body["period"] = period_;
    if (no_default_policy_) body["no_default_policy"] = true;
    body["display_name"] = display_name_;
    body["num_uses"] = use_limit_;
    body["renewable"] = renewable_;
    if (!type_.empty()) body["type"] = type_;
    std::string path = orphan_ ? "auth/token/create-orphan" : "auth/token/create";
    if (!role_.empty()) {
      // A role decides orphan-ness itself; -orphan asks for no parent.
      path = "auth/token/create/" + role_;
      if (orphan_) body["no_parent"] = true;
    }
    return CallAndPrint(context, "creating token", path, body, field());
  }

 private:
  std::string id_, display_name_, ttl_, explicit_max_ttl_, period_, type_, role_;
  bool renewable_ = true, orphan_ = false, no_default_policy_ = false;
  int64_t use_limit_ = 0;
  std::vector<std::string> policies_, metadata_;
};

class TokenLookupCommand final : public ApiCommand {
 public:
  TokenLookupCommand() : ApiCommand(0, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor token lookup [options] [TOKEN | ACCESSOR]\n\n"
           "  Displays information about a token or accessor. Without an argument, the\n"
           "  token the command runs with is looked up.\n\n"
           "      $ tresor token lookup\n"
           "      $ tresor token lookup -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("accessor", &accessor_, false,
               "Treat the argument as an accessor instead of a token.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (accessor_ && flags.Args().empty()) {
      io.err << "Not enough arguments with -accessor (expected 1, got 0)\n";
      return false;
    }
    return true;
  }
  int Run(ApiContext& context) override {
    if (context.args().empty()) {
      return CallAndPrint(context, "looking up token", "auth/token/lookup-self", Json(), field());
    }
    const std::string& arg = context.args()[0];
    if (accessor_) {
      return CallAndPrint(context, "looking up token", "auth/token/lookup-accessor",
                          Json{{"accessor", arg}}, field());
    }
    return CallAndPrint(context, "looking up token", "auth/token/lookup", Json{{"token", arg}},
                        field());
  }

 private:
  bool accessor_ = false;
};

class TokenRenewCommand final : public ApiCommand {
 public:
  TokenRenewCommand() : ApiCommand(0, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor token renew [options] [TOKEN]\n\n"
           "  Renews a token's lease, extending how long it can be used. Without TOKEN,\n"
           "  the token the command runs with is renewed.\n\n"
           "      $ tresor token renew -increment=30m";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Duration("increment", &increment_, "",
                   "Request a specific increment for renewal. The server may not honor this "
                   "request. If not supplied, the server uses the default TTL.");
    flags.Duration("i", &increment_, "", "Alias for -increment.");
  }
  int Run(ApiContext& context) override {
    Json body = {{"increment", FlagSeconds(increment_.empty() ? "0" : increment_)}};
    std::string path = "auth/token/renew-self";
    if (!context.args().empty()) {
      body["token"] = context.args()[0];
      path = "auth/token/renew";
    }
    return CallAndPrint(context, "renewing token", path, body, field());
  }

 private:
  std::string increment_;
};

class TokenRevokeCommand final : public ApiCommand {
 public:
  TokenRevokeCommand() : ApiCommand(0, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor token revoke [options] [TOKEN | ACCESSOR]\n\n"
           "  Revokes a token and all its children. With -mode=orphan the children are\n"
           "  kept and become orphans; -self revokes the token the command runs with.\n\n"
           "      $ tresor token revoke 96ddf4bc-d217-f3ba-f9bd-017055595017\n"
           "      $ tresor token revoke -accessor 9793c9b3-e04a-46f3-e7b8-748d7da248da\n"
           "      $ tresor token revoke -self";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("accessor", &accessor_, false,
               "Treat the argument as an accessor instead of a token.");
    flags.Bool("self", &self_, false,
               "Perform the revocation on the currently authenticated token.");
    flags.String("mode", &mode_, "",
                 "Type of revocation to perform. If unspecified, the token and all its "
                 "children are revoked. \"orphan\" revokes the token only, its children "
                 "become orphans.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    size_t args = flags.Args().size();
    std::string detail;
    if (mode_ != "" && mode_ != "orphan") {
      detail = "Invalid mode: " + mode_ + " (Tresor supports only -mode=orphan)";
    } else if (self_ && args > 0) {
      detail = "Too many arguments with -self (expected 0, got " + std::to_string(args) + ")";
    } else if (!self_ && args < 1) {
      detail = "Not enough arguments (expected 1 or -self, got 0)";
    } else if (self_ && accessor_) {
      detail = "Cannot use -self with -accessor!";
    } else if (self_ && !mode_.empty()) {
      detail = "Cannot use -self with -mode!";
    } else if (accessor_ && mode_ == "orphan") {
      detail = "Cannot use -accessor with -mode=orphan!";
    }
    if (detail.empty()) return true;
    io.err << detail << "\n";
    return false;
  }
  int Run(ApiContext& context) override {
    std::string path;
    Json body;
    if (self_) {
      path = "auth/token/revoke-self";
      body = Json::object();
    } else if (accessor_) {
      path = "auth/token/revoke-accessor";
      body = {{"accessor", context.args()[0]}};
    } else {
      path = mode_ == "orphan" ? "auth/token/revoke-orphan" : "auth/token/revoke";
      body = {{"token", context.args()[0]}};
    }
    StatusOr<Json> response = context.client.Call("POST", ApiPath(path), body);
    if (!response.ok()) return ApiFailure(context.io, "revoking token", response.status());
    context.io.out << "Success! Revoked token (if it existed)\n";
    return kExitOk;
  }

 private:
  bool accessor_ = false, self_ = false;
  std::string mode_;
};

class TokenCapabilitiesCommand final : public ApiCommand {
 public:
  TokenCapabilitiesCommand() : ApiCommand(1, 2, false) {}
  std::string Help() const override {
    return "Usage: tresor token capabilities [options] [TOKEN] PATH\n\n"
           "  Fetches the capabilities of a token for a given path. Without TOKEN, the\n"
           "  token the command runs with is used.\n\n"
           "      $ tresor token capabilities secret/foo";
  }

 protected:
  int Run(ApiContext& context) override {
    const auto& args = context.args();
    const std::string& path = args.back();
    Json body = {{"paths", Json::array({path})}};
    std::string endpoint = "sys/capabilities-self";
    if (args.size() == 2) {
      body["token"] = args[0];
      endpoint = "sys/capabilities";
    }
    StatusOr<Json> response = context.client.Call("POST", ApiPath(endpoint), body);
    if (!response.ok()) return ApiFailure(context.io, "listing capabilities", response.status());
    // Vault answers {"<path>": [...], "capabilities": [...]}, in "data" and at
    // the top level; the per-path list is the precise one.
    Json capabilities = Json::array();
    const Json* sources[] = {&DataOf(*response), &*response};
    for (const Json* source : sources) {
      if (!source->is_object()) continue;
      if (auto it = source->find(path); it != source->end() && it->is_array()) {
        capabilities = *it;
        break;
      }
      if (auto it = source->find("capabilities"); it != source->end() && it->is_array()) {
        capabilities = *it;
        break;
      }
    }
    if (context.format == "json") {
      context.io.out << FormatJson(capabilities);
      return kExitOk;
    }
    std::vector<std::string> names;
    for (const Json& name : capabilities) names.push_back(FormatValue(name));
    std::sort(names.begin(), names.end());
    std::string line;
    for (const std::string& name : names) line += (line.empty() ? "" : ", ") + name;
    context.io.out << line << "\n";
    return kExitOk;
  }
};

}  // namespace

std::unique_ptr<Command> NewTokenCreateCommand() { return std::make_unique<TokenCreateCommand>(); }
std::unique_ptr<Command> NewTokenLookupCommand() { return std::make_unique<TokenLookupCommand>(); }
std::unique_ptr<Command> NewTokenRenewCommand() { return std::make_unique<TokenRenewCommand>(); }
std::unique_ptr<Command> NewTokenRevokeCommand() { return std::make_unique<TokenRevokeCommand>(); }
std::unique_ptr<Command> NewTokenCapabilitiesCommand() {
  return std::make_unique<TokenCapabilitiesCommand>();
}

}  // namespace tresor::cli
