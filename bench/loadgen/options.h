// Command-line options of tresor-loadgen, the benchmark load generator.
//
// main.cc calls ParseOptions once at start-up; the result is a plain value
// that the run reads from any thread afterwards (it is never modified again).
// Parsing is pure apart from reading $TRESOR_TOKEN: no I/O, no other globals.
// The Python drivers under bench/ rely on the flags' names and defaults:
// rename or change one only together with them.
#ifndef TRESOR_BENCH_LOADGEN_OPTIONS_H_
#define TRESOR_BENCH_LOADGEN_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tresor::bench {

// Which API the requests speak: Vault's (Tresor, or Vault itself), etcd v3's
// JSON gateway, or plain GETs of a static path (nginx as an HTTP ceiling).
enum class Protocol { kVault, kEtcd, kStatic };

enum class WorkloadKind { kKv2Write, kKv2Read, kMixed, kTokenCreate, kStatic };

struct Options {
  // Where the server listens. Only plain http:// is supported: the benchmark
  // measures servers on loopback, where TLS would only measure OpenSSL.
  std::string host = "127.0.0.1";
  std::string port = "8200";
  Protocol protocol = Protocol::kVault;
  // Vault only: sent as X-Vault-Token when not empty.
  std::string token;
  int connections = 1;
  // Threads that run the connections' event loops; 0 = min(connections,
  // hardware threads). A few threads drive many connections: each one only
  // waits on its socket or its timer.
  int threads = 0;
  // Exactly one of the two bounds the run: a duration (seconds) or a total
  // request count shared by all connections.
  double duration_seconds = 10.0;
  std::optional<int64_t> total_requests;
  // Open loop: requests per second over all connections. Unset = closed loop
  // (each connection sends its next request when the previous is answered).
  std::optional<double> rate;
  WorkloadKind workload = WorkloadKind::kKv2Write;
  int value_size = 100;
  // Vault: KV v2 mount. Vault and etcd: the key prefix; several runs against
  // one server use different prefixes so each run writes keys of its own.
  std::string mount = "secret";
  std::string key_prefix = "bench";
  // kv2-read and mixed read this many keys, written before the timed run.
  int hot_keys = 1000;
  // mixed: the share of reads, in percent; the rest are unique-key writes.
  int read_percent = 90;
  // static: the path every request GETs.
  std::string path = "/";
  bool json = false;
};

// Parses argv (flags as --name=value or --name value). Returns the options,
// or nullopt with a one-line reason in *error (the caller prints it with the
// usage text). `--help` yields nullopt with an empty *error. Combinations
// that cannot mean anything (token-create over etcd, a static workload over
// vault) are refused here rather than failing at run time.
std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error);

// The usage text, one flag per line.
std::string UsageText();

const char* WorkloadName(WorkloadKind kind);
const char* ProtocolName(Protocol protocol);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_OPTIONS_H_
