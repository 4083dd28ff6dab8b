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
    case WorkloadKind::kMixed:
      return "mixed";
    case WorkloadKind::kTokenCreate:
      return "token-create";
    case WorkloadKind::kStatic:
      return "static";
  }
  return "unknown";
}

const char* ProtocolName(Protocol protocol) {
  switch (protocol) {
    case Protocol::kVault:
      return "vault";
    case Protocol::kEtcd:
      return "etcd";
    case Protocol::kStatic:
      return "static";
  }
  return "unknown";
}

std::string UsageText() {
  return "usage: tresor-loadgen [flags]\n"
         "  --addr URL           server address (default http://127.0.0.1:8200)\n"
         "  --protocol NAME      vault | etcd | static (vault)\n"
         "  --workload NAME      kv2-write | kv2-read | mixed | token-create | static\n"
         "                       (kv2-write; static with --protocol static)\n"
         "  --value-size BYTES   size of each written value (100)\n"
         "  --connections N      keep-alive connections (1)\n"
         "  --threads N          event-loop threads (default min(N, cores))\n"
         "  --duration SECONDS   run for this long (10)\n"
         "  --requests N         or stop after N requests in total\n"
         "  --rate R             open loop: R requests/s in total, latency from each\n"
         "                       request's scheduled time (default: closed loop)\n"
         "  --token TOKEN        vault: sent as X-Vault-Token (default: $TRESOR_TOKEN)\n"
         "  --mount PATH         vault: KV v2 mount (secret)\n"
         "  --key-prefix NAME    keys go under <prefix>/ (bench)\n"
         "  --hot-keys N         kv2-read/mixed: keys read, written first (1000)\n"
         "  --read-percent N     mixed: share of reads in percent (90)\n"
         "  --path /P            static: the path to GET (/)\n"
         "  --json               print one JSON object instead of text\n";
}

std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error) {
  Options options;
  if (const char* token = std::getenv("TRESOR_TOKEN")) options.token = token;
  bool duration_given = false;
  bool workload_given = false;
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
    } else if (name == "--protocol") {
      if (value == "vault") {
        options.protocol = Protocol::kVault;
      } else if (value == "etcd") {
        options.protocol = Protocol::kEtcd;
      } else if (value == "static") {
        options.protocol = Protocol::kStatic;
      } else {
        *error = "--protocol must be vault, etcd or static";
        return std::nullopt;
      }
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
    } else if (name == "--rate") {
      double rate = 0;
      // The upper bound keeps the per-connection interval above a
      // nanosecond; no machine this runs on gets near it.
      ok = ParseNumber(value, &rate) && rate > 0 && rate <= 1e8;
      options.rate = rate;
    } else if (name == "--workload") {
      workload_given = true;
      if (value == "kv2-write") {
        options.workload = WorkloadKind::kKv2Write;
      } else if (value == "kv2-read") {
        options.workload = WorkloadKind::kKv2Read;
      } else if (value == "mixed") {
        options.workload = WorkloadKind::kMixed;
      } else if (value == "token-create") {
        options.workload = WorkloadKind::kTokenCreate;
      } else if (value == "static") {
        options.workload = WorkloadKind::kStatic;
      } else {
        *error = "--workload must be kv2-write, kv2-read, mixed, token-create or static";
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
    } else if (name == "--hot-keys") {
      ok = ParseNumber(value, &options.hot_keys) && options.hot_keys > 0;
    } else if (name == "--read-percent") {
      ok = ParseNumber(value, &options.read_percent) && options.read_percent >= 0 &&
           options.read_percent <= 100;
    } else if (name == "--path") {
      ok = !value.empty() && value.front() == '/';
      options.path = value;
    } else {
      *error = "unknown flag: " + name;
      return std::nullopt;
    }
    if (!ok) {
      // The value is not echoed: it could be a token.
      *error = "bad value for " + name;
      return std::nullopt;
    }
  }
  if (duration_given && options.total_requests) {
    *error = "give --duration or --requests, not both";
    return std::nullopt;
  }
  // A static server has one workload, so naming the protocol is enough.
  if (options.protocol == Protocol::kStatic && !workload_given) {
    options.workload = WorkloadKind::kStatic;
  }
  if ((options.protocol == Protocol::kStatic) != (options.workload == WorkloadKind::kStatic)) {
    *error = "--workload static goes with --protocol static, and only with it";
    return std::nullopt;
  }
  if (options.workload == WorkloadKind::kTokenCreate && options.protocol != Protocol::kVault) {
    *error = "--workload token-create needs --protocol vault";
    return std::nullopt;
  }
  return options;
}

}  // namespace tresor::bench
