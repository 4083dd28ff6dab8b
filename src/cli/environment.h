// Where a CLI command finds its server, token and TLS settings: a flag when
// given, else the TRESOR_* variable, else the VAULT_* variable, else Vault's
// default. Tresor's names win so that a machine can talk to Vault and Tresor
// side by side; VAULT_* keeps existing scripts working unchanged.
//
//   address       -address          TRESOR_ADDR / VAULT_ADDR  (https://127.0.0.1:8200)
//   token         -                 TRESOR_TOKEN / VAULT_TOKEN, then the token
//                                   file $HOME/.tresor-token, then $HOME/.vault-token
//   CA bundle     -ca-cert          TRESOR_CACERT / VAULT_CACERT
//   CA directory  -ca-path          TRESOR_CAPATH / VAULT_CAPATH
//   client cert   -client-cert      TRESOR_CLIENT_CERT / VAULT_CLIENT_CERT
//   client key    -client-key       TRESOR_CLIENT_KEY / VAULT_CLIENT_KEY
//   SNI name      -tls-server-name  TRESOR_TLS_SERVER_NAME / VAULT_TLS_SERVER_NAME
//   skip verify   -tls-skip-verify  TRESOR_SKIP_VERIFY / VAULT_SKIP_VERIFY
//   timeout       -                 TRESOR_CLIENT_TIMEOUT / VAULT_CLIENT_TIMEOUT (60s)
//   output        -format           TRESOR_FORMAT / VAULT_FORMAT (table)
//
// An empty variable counts as unset, as in Vault.
// Who calls it: every command that talks to a server (through commands/).
// Thread safety: reads the process environment (getenv); do not call while
// another thread calls setenv.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "cli/framework.h"
#include "common/status.h"

namespace tresor::cli {

inline constexpr char kDefaultAddress[] = "https://127.0.0.1:8200";

// The first of `names` that is set to a non-empty value, or nullopt.
std::optional<std::string> FirstEnv(std::initializer_list<const char*> names);

// Flags shared by every command that talks to a server; bound by
// AddClientFlags, read back by ResolveClientOptions.
struct ClientFlags {
  std::string address;
  std::string ca_cert;
  std::string ca_path;
  std::string client_cert;
  std::string client_key;
  std::string tls_server_name;
  bool tls_skip_verify = false;
  std::string wrap_ttl;
};
void AddClientFlags(FlagSet& flags, ClientFlags* values);

// Everything the HTTP client needs. Holds the token: move-only, and wipes the
// token when destroyed so it does not linger in freed heap memory.
struct ClientOptions {
  ClientOptions() = default;
  ClientOptions(ClientOptions&&) = default;
  ClientOptions& operator=(ClientOptions&&) = default;
  ClientOptions(const ClientOptions&) = delete;
  ClientOptions& operator=(const ClientOptions&) = delete;
  ~ClientOptions();

  std::string address = kDefaultAddress;
  std::string token;  // empty: no X-Vault-Token header
  std::string ca_cert;
  std::string ca_path;
  std::string client_cert;
  std::string client_key;
  std::string tls_server_name;
  bool tls_skip_verify = false;
  // Sent as X-Vault-Wrap-TTL when not empty: the server answers with a
  // wrapping token instead (docs/wrapping.md).
  std::string wrap_ttl;
  // The whole request (resolve, connect, TLS, write, read) must finish within
  // `timeout`; connecting alone within `connect_timeout` (whichever is less).
  std::chrono::nanoseconds timeout = std::chrono::seconds(60);
  std::chrono::nanoseconds connect_timeout = std::chrono::seconds(30);
};

// Combines flags (only those actually given on the command line win), the
// environment and the token file. Returns InvalidArgument for an unparsable
// *_SKIP_VERIFY or *_CLIENT_TIMEOUT (naming the variable, not its value
// when the value could be a secret), or IOError for an unreadable token file.
StatusOr<ClientOptions> ResolveClientOptions(const FlagSet& flags, const ClientFlags& values);

// The token from $HOME/.tresor-token, else $HOME/.vault-token, with
// surrounding whitespace removed; "" when neither exists or HOME is unset.
// Returns IOError when a file exists but cannot be read.
StatusOr<std::string> ReadTokenFile();

// Binds -format (table|json) with the TRESOR_FORMAT / VAULT_FORMAT fallback.
void AddFormatFlag(FlagSet& flags, std::string* value);
// The effective format: the flag if given, else the environment, else
// "table". Returns InvalidArgument for anything but table or json.
StatusOr<std::string> ResolveFormat(const FlagSet& flags, const std::string& flag_value);

}  // namespace tresor::cli
