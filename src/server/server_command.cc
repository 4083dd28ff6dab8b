#include "server/server_command.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "server/server.h"
#include "server/signals.h"

namespace tresor::server {
namespace {

constexpr char kUsage[] = R"(Usage: tresor server [options]

  Starts a Tresor server that answers Vault's HTTP API.

Options:
  -config=FILE               HCL or JSON configuration file (required unless -dev)
  -dev                       In-memory server, initialised and unsealed, for trying things out
  -dev-root-token-id=ID      Root token to create in -dev mode
  -dev-listen-address=ADDR   Address for -dev mode (default 127.0.0.1:8200)
  -log-level=LEVEL           trace, debug, info, warn or error (overrides the config)
)";

struct ServerFlags {
  std::string config_file;
  bool dev = false;
  std::optional<std::string> dev_root_token_id;
  std::string dev_listen_address = "127.0.0.1:8200";
  std::optional<std::string> log_level;
  bool help = false;
};

// Accepts -flag=v, --flag=v, -flag v and --flag v, as the CLI does.
StatusOr<ServerFlags> ParseFlags(int argc, char** argv) {
  ServerFlags flags;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return InvalidArgumentError("unexpected argument \"" + std::string(arg) + "\"");
    }
    arg.remove_prefix(arg.substr(0, 2) == "--" ? 2 : 1);
    std::string name(arg.substr(0, arg.find('=')));
    std::optional<std::string> value;
    if (arg.find('=') != std::string_view::npos) value = std::string(arg.substr(arg.find('=') + 1));
    auto take_value = [&]() -> StatusOr<std::string> {
      if (value.has_value()) return *value;
      if (i + 1 >= argc) return InvalidArgumentError("flag -" + name + " needs a value");
      return std::string(argv[++i]);
    };
    if (name == "h" || name == "help") {
      flags.help = true;
    } else if (name == "dev") {
      flags.dev = !value.has_value() || *value == "true" || *value == "1";
    } else if (name == "config") {
      TRESOR_ASSIGN_OR_RETURN(flags.config_file, take_value());
    } else if (name == "dev-root-token-id") {
      TRESOR_ASSIGN_OR_RETURN(std::string v, take_value());
      flags.dev_root_token_id = v;
    } else if (name == "dev-listen-address") {
      TRESOR_ASSIGN_OR_RETURN(flags.dev_listen_address, take_value());
    } else if (name == "log-level") {
      TRESOR_ASSIGN_OR_RETURN(std::string v, take_value());
      flags.log_level = v;
    } else {
      return InvalidArgumentError("flag provided but not defined: -" + name);
    }
  }
  return flags;
}

ServerConfig DevConfig(const ServerFlags& flags) {
  ServerConfig config;
  config.storage.emplace();
  config.storage->type = "inmem";
  ListenerConfig listener;
  listener.address = flags.dev_listen_address;
  listener.tls_disable = true;
  config.listeners.push_back(listener);
  config.disable_mlock = true;  // As Vault's dev mode: nothing is persisted anyway.
  return config;
}

void PrintDevBanner(const std::string& address, const std::string& unseal_key,
                    const std::string& root_token) {
  std::printf(R"(WARNING! dev mode is enabled! In this mode, Tresor runs entirely in-memory
and starts unsealed with a single unseal key.

You may need to set the following environment variables:

    $ export TRESOR_ADDR='http://%s'

The unseal key and root token are displayed below in case you want to
seal/unseal the server or re-authenticate.

Unseal Key: %s
Root Token: %s

Development mode should NOT be used in production installations!
)",
              address.c_str(), unseal_key.c_str(), root_token.c_str());
  std::fflush(stdout);
}

}  // namespace

int RunServerCommand(int argc, char** argv) {
  BlockServerSignals();
  auto flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n\n%s", flags.status().message().c_str(), kUsage);
    return 2;
  }
  if (flags->help) {
    std::printf("%s", kUsage);
    return 0;
  }
  if (!flags->dev && flags->config_file.empty()) {
    std::fprintf(stderr, "No configuration files found. Use -config=FILE, or -dev.\n\n%s", kUsage);
    return 2;
  }
  StatusOr<ServerConfig> config = flags->dev ? DevConfig(*flags) : LoadConfigFile(flags->config_file);
  if (!config.ok()) {
    std::fprintf(stderr, "Error loading configuration: %s\n", config.status().message().c_str());
    return 1;
  }
  if (flags->log_level.has_value()) config->log_level = *flags->log_level;

  Server server(std::move(*config));
  Status started = server.Start();
  if (!started.ok()) {
    std::fprintf(stderr, "Error starting the server: %s\n", started.message().c_str());
    return 1;
  }
  if (flags->dev) {
    auto dev = server.InitializeForDev(flags->dev_root_token_id);
    if (!dev.ok()) {
      std::fprintf(stderr, "Error initialising the dev server: %s\n",
                   dev.status().message().c_str());
      return 1;
    }
    PrintDevBanner(server.ListenAddress(0), dev->first, dev->second);
  }
  spdlog::info("Tresor server started");
  while (WaitForSignal() == Signal::kReload) server.Reload();
  spdlog::info("shutting down: draining requests");
  server.Stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace tresor::server
