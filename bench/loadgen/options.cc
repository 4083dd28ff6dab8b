#include "loadgen/options.h"

#include <charconv>
#include <cstdlib>
#include <string_view>
#include <type_traits>

namespace tresor::bench {
namespace {

// Parses the whole of text as a number of type T; false on any junk, so
// "--connections 16x" is refused rather than read as 16.
template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if (text.empty()) return false;
  if constexpr (std::is_floating_point_v<T>) {
    // std::from_chars for double is available in GCC 12, but strtod keeps
    // this portable to older toolchains.
    std::string copy(text);
    char* end = nullptr;
    *out = std::strtod(copy.c_str(), &end);
    return end == copy.c_str() + copy.size();
  } else {
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && ptr == text.data() + text.size();
  }
}

// Splits "http://host:port[/]" into host and port.
bool ParseAddress(std::string_view addr, Options* options, std::string* error) {
  constexpr std::string_view kScheme = "http://";
  if (addr.substr(0, kScheme.size()) != kScheme) {
    *error = "--addr must start with http:// (https is not supported)";
    return false;
  }
  addr.remove_prefix(kScheme.size());
  while (!addr.empty() && addr.back() == '/') addr.remove_suffix(1);
  size_t colon = addr.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == addr.size()) {
    *error = "--addr must name a host and a port, e.g. http://127.0.0.1:8200";
    return false;
  }
  int port = 0;
  if (!ParseNumber(addr.substr(colon + 1), &port) || port <= 0 || port > 65535) {
    *error = "--addr has a bad port";
    return false;
  }
  options->host = std::string(addr.substr(0, colon));
  options->port = std::to_string(port);
  return true;
}

}  // namespace

const char* WorkloadName(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::kKv2Write:
      return "kv2-write";
    case WorkloadKind::kKv2Read:
      return "kv2-read";
  }
  return "unknown";
}

std::string UsageText() {
  return "usage: tresor-loadgen [flags]\n"
         "  --addr URL           server address (default http://127.0.0.1:8200)\n"
         "  --token TOKEN        sent as X-Vault-Token (default: $TRESOR_TOKEN)\n"
         "  --connections N      keep-alive connections, each a closed loop (1)\n"
         "  --threads N          event-loop threads (default min(N, cores))\n"
         "  --duration SECONDS   run for this long (10)\n"
         "  --requests N         or stop after N requests in total\n"
         "  --workload NAME      kv2-write | kv2-read (kv2-write)\n"
         "  --value-size BYTES   size of each written value (100)\n"
         "  --mount PATH         KV v2 mount (secret)\n"
         "  --key-prefix NAME    keys go under <mount>/data/<prefix>/ (bench)\n"
         "  --json               print one JSON object instead of text\n";
}

std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error) {
  Options options;
  if (const char* token = std::getenv("TRESOR_TOKEN")) options.token = token;
  bool duration_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::string value;
    bool has_value = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name.rfind("--", 0) != 0) {
      *error = "unexpected argument: " + name;
      return std::nullopt;
    }
    if (name == "--help") {
      error->clear();
      return std::nullopt;
    }
    if (name == "--json") {
      options.json = true;
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) {
        *error = name + " needs a value";
        return std::nullopt;
      }
      value = args[++i];
    }
    bool ok = true;
    if (name == "--addr") {
      if (!ParseAddress(value, &options, error)) return std::nullopt;
    } else if (name == "--token") {
      options.token = value;
    } else if (name == "--connections") {
      ok = ParseNumber(value, &options.connections) && options.connections > 0;
    } else if (name == "--threads") {
      ok = ParseNumber(value, &options.threads) && options.threads >= 0;
    } else if (name == "--duration") {
      ok = ParseNumber(value, &options.duration_seconds) && options.duration_seconds > 0;
      duration_given = true;
    } else if (name == "--requests") {
      int64_t n = 0;
      ok = ParseNumber(value, &n) && n > 0;
      options.total_requests = n;
    } else if (name == "--workload") {
      if (value == "kv2-write") {
        options.workload = WorkloadKind::kKv2Write;
      } else if (value == "kv2-read") {
        options.workload = WorkloadKind::kKv2Read;
      } else {
        *error = "--workload must be kv2-write or kv2-read";
        return std::nullopt;
      }
    } else if (name == "--value-size") {
      ok = ParseNumber(value, &options.value_size) && options.value_size >= 0 &&
           options.value_size <= (64 << 20);
    } else if (name == "--mount") {
      ok = !value.empty();
      options.mount = value;
    } else if (name == "--key-prefix") {
      ok = !value.empty() && value.find('/') == std::string::npos;
      options.key_prefix = value;
    } else {
      *error = "unknown flag: " + name;
      return std::nullopt;
    }
    if (!ok) {
      // The value is echoed only for flags that carry no secret.
      *error = "bad value for " + name;
      return std::nullopt;
    }
  }
  if (duration_given && options.total_requests) {
    *error = "give --duration or --requests, not both";
    return std::nullopt;
  }
  if (options.token.empty()) {
    *error = "no token: pass --token or set TRESOR_TOKEN";
    return std::nullopt;
  }
  return options;
}

}  // namespace tresor::bench
