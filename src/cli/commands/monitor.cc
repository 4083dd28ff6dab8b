// `tresor monitor [-log-level=LEVEL] [-log-format=standard|json]`: prints
// the server's log lines as they happen, from GET sys/monitor, until
// interrupted (as `tail -f`; Vault's `vault monitor`). The server checks
// the level and format and says what it accepts.
//
// Exit codes, as Vault's: 1 when the stream cannot start or breaks, 2 for
// usage errors.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"

namespace tresor::cli {
namespace {

class MonitorCommand final : public StandardCommand {
 public:
  MonitorCommand() : StandardCommand(Shape{.format = false}) {}

  std::string Help() const override {
    return "Usage: tresor monitor [options]\n\n"
           "  Streams the server's log lines to stdout until interrupted (Ctrl-C),\n"
           "  at a level that may be more verbose than the server's own. Lines the\n"
           "  client cannot take in time are dropped, and a line says how many.\n\n"
           "      $ tresor monitor -log-level=debug";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.String("log-level", &log_level_, "info",
                 "Monitor the server at this log level: trace, debug, info, warn or error.");
    flags.String("log-format", &log_format_, "standard",
                 "Format of the log lines: standard or json.");
  }

  int Perform(CommandContext& context) override {
    StatusOr<ClientOptions> options = ResolveClientOptions(context.flags, client_flags());
    if (!options.ok()) return UsageFailure(context.io, options.status().message());
    // The timeout bounds each step of the transfer, and a quiet server may
    // log nothing for hours: only connecting keeps its limit.
    options->timeout = std::chrono::hours(24 * 365);
    StatusOr<std::unique_ptr<HttpClient>> client = HttpClient::Create(std::move(*options));
    if (!client.ok()) return UsageFailure(context.io, client.status().message());

    const std::string path = "/v1/sys/monitor?log_level=" + PercentEncode(log_level_, "") +
                             "&log_format=" + PercentEncode(log_format_, "");
    HttpResponse error;
    StatusOr<int> status = (*client)->Download(
        path,
        [&context](std::string_view piece) -> Status {
          context.io.out << piece << std::flush;
          if (!context.io.out) return IOError("writing to stdout failed");
          return Status::Ok();
        },
        &error);
    if (status.ok() && *status / 100 != 2) {
      status = ApiErrorStatus("GET", (*client)->url().Format(path), error);
    }
    if (!status.ok()) {
      context.io.err << "Error starting monitor: " << status.status().message() << "\n";
      return kExitError;
    }
    // The server ended the stream: it is shutting down.
    context.io.err << "Monitor stream ended: the server closed it\n";
    return kExitOk;
  }

 private:
  std::string log_level_;
  std::string log_format_;
};

}  // namespace

std::unique_ptr<Command> NewMonitorCommand() { return std::make_unique<MonitorCommand>(); }

}  // namespace tresor::cli
