#include "cli/environment.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

std::string Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return "";
  size_t end = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(begin, end - begin + 1));
}

// The flag's value when given on the command line, else the first set
// environment variable, else the flag's value (its default).
std::string Pick(const FlagSet& flags, std::string_view flag_name, const std::string& flag_value,
                 std::initializer_list<const char*> env_names) {
  if (flags.IsSet(flag_name)) return flag_value;
  if (auto env = FirstEnv(env_names)) return *env;
  return flag_value;
}

// Reads the whole file into `out`. Returns false when it does not exist.
StatusOr<bool> ReadIfExists(const std::string& path, std::string& out) {
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return false;
    return IOError("could not read token file " + path + ": " + std::strerror(errno));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return IOError("could not read token file " + path);
  out = buffer.str();
  return true;
}

}  // namespace

std::optional<std::string> FirstEnv(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* value = std::getenv(name);
    if (value != nullptr && *value != '\0') return std::string(value);
  }
  return std::nullopt;
}

ClientOptions::~ClientOptions() { SecureWipe(token); }

void AddClientFlags(FlagSet& flags, ClientFlags* values) {
  flags.String("address", &values->address, kDefaultAddress,
               "Address of the Tresor server. This can also be specified via the "
               "TRESOR_ADDR or VAULT_ADDR environment variable.");
  flags.String("ca-cert", &values->ca_cert, "",
               "Path on the local disk to a single PEM-encoded CA certificate to verify "
               "the server's TLS certificate (TRESOR_CACERT, VAULT_CACERT).");
  flags.String("ca-path", &values->ca_path, "",
               "Path on the local disk to a directory of PEM-encoded CA certificates "
               "(TRESOR_CAPATH, VAULT_CAPATH).");
  flags.String("client-cert", &values->client_cert, "",
               "Path on the local disk to a PEM-encoded client certificate for TLS "
               "authentication (TRESOR_CLIENT_CERT, VAULT_CLIENT_CERT).");
  flags.String("client-key", &values->client_key, "",
               "Path on the local disk to the PEM-encoded private key of -client-cert "
               "(TRESOR_CLIENT_KEY, VAULT_CLIENT_KEY).");
  flags.String("tls-server-name", &values->tls_server_name, "",
               "Name to use as the SNI host and to verify the server's certificate "
               "against (TRESOR_TLS_SERVER_NAME, VAULT_TLS_SERVER_NAME).");
  flags.Bool("tls-skip-verify", &values->tls_skip_verify, false,
             "Disable verification of TLS certificates. Using this option is highly "
             "discouraged (TRESOR_SKIP_VERIFY, VAULT_SKIP_VERIFY).");
  flags.String("wrap-ttl", &values->wrap_ttl, "",
               "Wraps the response in a single-use wrapping token with this TTL (\"5m\", "
               "\"90s\"); unwrap it with \"tresor unwrap\" (TRESOR_WRAP_TTL, VAULT_WRAP_TTL).");
}

StatusOr<std::string> ReadTokenFile() {
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') return std::string();
  for (const char* name : {"/.tresor-token", "/.vault-token"}) {
    std::string contents;
    TRESOR_ASSIGN_OR_RETURN(bool found, ReadIfExists(std::string(home) + name, contents));
    if (found) {
      std::string token = Trim(contents);
      SecureWipe(contents);
      return token;
    }
  }
  return std::string();
}

StatusOr<ClientOptions> ResolveClientOptions(const FlagSet& flags, const ClientFlags& values) {
  ClientOptions options;
  options.address = Pick(flags, "address", values.address, {"TRESOR_ADDR", "VAULT_ADDR"});
  options.ca_cert = Pick(flags, "ca-cert", values.ca_cert, {"TRESOR_CACERT", "VAULT_CACERT"});
  options.ca_path = Pick(flags, "ca-path", values.ca_path, {"TRESOR_CAPATH", "VAULT_CAPATH"});
  options.client_cert =
      Pick(flags, "client-cert", values.client_cert, {"TRESOR_CLIENT_CERT", "VAULT_CLIENT_CERT"});
  options.client_key =
      Pick(flags, "client-key", values.client_key, {"TRESOR_CLIENT_KEY", "VAULT_CLIENT_KEY"});
  options.tls_server_name = Pick(flags, "tls-server-name", values.tls_server_name,
                                 {"TRESOR_TLS_SERVER_NAME", "VAULT_TLS_SERVER_NAME"});
  options.wrap_ttl = Pick(flags, "wrap-ttl", values.wrap_ttl, {"TRESOR_WRAP_TTL", "VAULT_WRAP_TTL"});
  if (!options.wrap_ttl.empty() && !ParseDuration(options.wrap_ttl).ok()) {
    return InvalidArgumentError("could not parse -wrap-ttl (or TRESOR_WRAP_TTL / VAULT_WRAP_TTL) "
                                "as a duration such as \"5m\" or a number of seconds");
  }

  options.tls_skip_verify = values.tls_skip_verify;
  if (!flags.IsSet("tls-skip-verify")) {
    for (const char* name : {"TRESOR_SKIP_VERIFY", "VAULT_SKIP_VERIFY"}) {
      auto env = FirstEnv({name});
      if (!env) continue;
      StatusOr<bool> parsed = ParseBool(*env);
      if (!parsed.ok()) {
        return InvalidArgumentError(std::string("could not parse ") + name + " as a boolean");
      }
      options.tls_skip_verify = *parsed;
      break;
    }
  }

  for (const char* name : {"TRESOR_CLIENT_TIMEOUT", "VAULT_CLIENT_TIMEOUT"}) {
    auto env = FirstEnv({name});
    if (!env) continue;
    StatusOr<std::chrono::nanoseconds> parsed = ParseDuration(*env);
    if (!parsed.ok() || parsed->count() <= 0) {
      return InvalidArgumentError(std::string("could not parse ") + name + " as a duration");
    }
    options.timeout = *parsed;
    break;
  }

  if (auto env = FirstEnv({"TRESOR_TOKEN", "VAULT_TOKEN"})) {
    options.token = Trim(*env);
    SecureWipe(*env);
  } else {
    TRESOR_ASSIGN_OR_RETURN(options.token, ReadTokenFile());
  }
  return options;
}

void AddFormatFlag(FlagSet& flags, std::string* value) {
  flags.String("format", value, "table",
               "Print the output in the given format. Valid formats are \"table\" and "
               "\"json\". This can also be specified via the TRESOR_FORMAT or VAULT_FORMAT "
               "environment variable.");
}

StatusOr<std::string> ResolveFormat(const FlagSet& flags, const std::string& flag_value) {
  std::string format = Pick(flags, "format", flag_value, {"TRESOR_FORMAT", "VAULT_FORMAT"});
  for (char& c : format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (format != "table" && format != "json") {
    return InvalidArgumentError("Invalid output format: " + format);
  }
  return format;
}

}  // namespace tresor::cli
