// `tresor lease renew|revoke|lookup`: Vault's lease commands over
// sys/leases/* (docs/leases.md).
#include <chrono>

#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/secret_output.h"

namespace tresor::cli {
namespace {

class LeaseRenewCommand final : public ApiCommand {
 public:
  LeaseRenewCommand() : ApiCommand(1, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor lease renew [options] ID\n\n"
           "  Renews the lease with this ID, extending how long it can be used.\n\n"
           "      $ tresor lease renew -increment=1h auth/userpass/login/alice/5d1e...";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Duration("increment", &increment_, "",
                   "Request a specific increment in seconds. The server may not honor it.");
  }
  int Run(ApiContext& context) override {
    Json body = {{"lease_id", context.args()[0]}};
    if (!increment_.empty()) body["increment"] = increment_;
    StatusOr<Json> answer = context.client.Call("PUT", ApiPath("sys/leases/renew"), body);
    if (!answer.ok()) return ApiFailure(context.io, "renewing lease", answer.status());
    return PrintSecret(context.io, context.format, field(), *answer);
  }

 private:
  std::string increment_;
};

class LeaseRevokeCommand final : public ApiCommand {
 public:
  LeaseRevokeCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor lease revoke [options] ID\n\n"
           "  Revokes the lease with this ID, or with -prefix every lease under it.\n\n"
           "      $ tresor lease revoke -prefix auth/userpass/";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("prefix", &prefix_, false, "Treat the ID as a prefix: revoke every lease under it.");
    flags.Bool("force", &force_, false,
               "With -prefix, skip leases that fail to revoke instead of stopping (dangerous).");
    flags.Bool("f", &force_, false, "Alias for -force.");
    flags.Bool("sync", &sync_, false,
               "Accepted for Vault compatibility: Tresor always revokes before answering.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (force_ && !prefix_) {
      io.err << "Specifying -force requires also specifying -prefix\n";
      return false;
    }
    return true;
  }
  int Run(ApiContext& context) override {
    const std::string& id = context.args()[0];
    const std::string base = force_ ? "sys/leases/revoke-force/" : "sys/leases/revoke-prefix/";
    StatusOr<Json> answer =
        prefix_ ? context.client.Call("PUT", ApiPath(base + id), Json::object())
                : context.client.Call("PUT", ApiPath("sys/leases/revoke"), Json{{"lease_id", id}});
    if (!answer.ok()) return ApiFailure(context.io, "revoking lease", answer.status());
    PrintWarnings(context.io, *answer);
    context.io.out << (prefix_ ? "Success! Revoked any leases with prefix: "
                               : "Success! Revoked lease: ")
                   << id << "\n";
    return kExitOk;
  }

 private:
  bool prefix_ = false, force_ = false, sync_ = false;
};

class LeaseLookupCommand final : public ApiCommand {
 public:
  LeaseLookupCommand() : ApiCommand(1, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor lease lookup [options] ID\n\n"
           "  Shows the lease with this ID: when it was issued, when it expires, its TTL.\n\n"
           "      $ tresor lease lookup auth/token/create/5d1e...";
  }

 protected:
  int Run(ApiContext& context) override {
    StatusOr<Json> answer = context.client.Call("PUT", ApiPath("sys/leases/lookup"),
                                                Json{{"lease_id", context.args()[0]}});
    if (!answer.ok()) return ApiFailure(context.io, "looking up lease", answer.status());
    return PrintSecret(context.io, context.format, field(), *answer);
  }
};

}  // namespace

std::unique_ptr<Command> NewLeaseRenewCommand() { return std::make_unique<LeaseRenewCommand>(); }
std::unique_ptr<Command> NewLeaseRevokeCommand() { return std::make_unique<LeaseRevokeCommand>(); }
std::unique_ptr<Command> NewLeaseLookupCommand() { return std::make_unique<LeaseLookupCommand>(); }

}  // namespace tresor::cli
