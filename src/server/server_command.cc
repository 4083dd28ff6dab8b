#include "server/server_command.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <ostream>
#include <string>

#include "server/server.h"
#include "server/signals.h"

namespace tresor::server {
namespace {

ServerConfig DevConfig(const std::string& listen_address) {
  ServerConfig config;
  config.storage.emplace();
  config.storage->type = "inmem";
  ListenerConfig listener;
  listener.address = listen_address;
  listener.tls_disable = true;
  config.listeners.push_back(listener);
  config.disable_mlock = true;  // As Vault's dev mode: nothing is persisted anyway.
  return config;
}

void PrintDevBanner(std::ostream& out, const std::string& address, const std::string& unseal_key,
                    const std::string& root_token) {
  out << R"(WARNING! dev mode is enabled! In this mode, Tresor runs entirely in-memory
and starts unsealed with a single unseal key.

You may need to set the following environment variables:

    $ export TRESOR_ADDR='http://)"
      << address << R"('

The unseal key and root token are displayed below in case you want to
seal/unseal the server or re-authenticate.

Unseal Key: )"
      << unseal_key << "\nRoot Token: " << root_token << R"(

Development mode should NOT be used in production installations!
)" << std::flush;
}

class ServerCommand final : public command::Command {
 public:
  std::string Help() const override {
    return "Usage: tresor server [options]\n\n"
           "  Starts a Tresor server that answers Vault's HTTP API.";
  }

  void DefineFlags(command::FlagSet& flags) override {
    flags.String("config", &config_file_, "",
                 "HCL or JSON configuration file (required unless -dev).");
    flags.Bool("dev", &dev_, false,
               "In-memory server, initialised and unsealed, for trying things out.");
    flags.String("dev-root-token-id", &dev_root_token_id_, "",
                 "Root token to create in -dev mode.");
    flags.String("dev-listen-address", &dev_listen_address_, "127.0.0.1:8200",
                 "Address for -dev mode.");
    flags.String("log-level", &log_level_, "",
                 "trace, debug, info, warn or error (overrides the config).");
  }

  int Execute(const command::FlagSet& flags, command::CommandIo& io) override {
    BlockServerSignals();
    if (!flags.Args().empty()) {
      return UsageError(flags, io, "unexpected argument \"" + flags.Args()[0] + "\"");
    }
    if (!dev_ && config_file_.empty()) {
      return UsageError(flags, io, "No configuration files found. Use -config=FILE, or -dev.");
    }
    StatusOr<ServerConfig> config =
        dev_ ? DevConfig(dev_listen_address_) : LoadConfigFile(config_file_);
    if (!config.ok()) {
      io.err << "Error loading configuration: " << config.status().message() << "\n";
      return command::kExitError;
    }
    if (flags.IsSet("log-level")) config->log_level = log_level_;

    Server server(std::move(*config));
    Status started = server.Start();
    if (!started.ok()) {
      io.err << "Error starting the server: " << started.message() << "\n";
      return command::kExitError;
    }
    if (dev_) {
      std::optional<std::string> root_token_id;
      if (flags.IsSet("dev-root-token-id")) root_token_id = dev_root_token_id_;
      auto dev = server.InitializeForDev(root_token_id);
      if (!dev.ok()) {
        io.err << "Error initialising the dev server: " << dev.status().message() << "\n";
        return command::kExitError;
      }
      PrintDevBanner(io.out, server.ListenAddress(0), dev->first, dev->second);
    }
    spdlog::info("Tresor server started");
    while (WaitForSignal() == Signal::kReload) server.Reload();
    spdlog::info("shutting down: draining requests");
    server.Stop();
    spdlog::info("stopped");
    return command::kExitOk;
  }

 private:
  std::string config_file_;
  bool dev_ = false;
  std::string dev_root_token_id_;
  std::string dev_listen_address_;
  std::string log_level_;
};

}  // namespace

std::unique_ptr<command::Command> NewServerCommand() { return std::make_unique<ServerCommand>(); }

}  // namespace tresor::server
