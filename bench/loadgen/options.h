// Command-line options of tresor-loadgen, the benchmark load generator.
//
// main.cc calls ParseOptions once at start-up; the result is a plain value
// that the run reads from any thread afterwards (it is never modified again).
// Parsing is pure: no I/O, no globals.
#ifndef TRESOR_BENCH_LOADGEN_OPTIONS_H_
#define TRESOR_BENCH_LOADGEN_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tresor::bench {

enum class WorkloadKind { kKv2Write, kKv2Read };

struct Options {
  // Where the server listens. Only plain http:// is supported: the benchmark
  // measures Tresor on loopback, where TLS would only measure OpenSSL.
  std::string host = "127.0.0.1";
  std::string port = "8200";
  std::string token;
  int connections = 1;
  // Threads that run the connections' event loops; 0 = min(connections,
  // hardware threads). Connections are closed loops, so a few threads drive
  // many of them without adding latency of their own.
  int threads = 0;
  // Exactly one of the two bounds the run: a duration (seconds) or a total
  // request count shared by all connections.
  double duration_seconds = 10.0;
  std::optional<int64_t> total_requests;
  WorkloadKind workload = WorkloadKind::kKv2Write;
  int value_size = 100;
  // KV v2 mount and the key prefix under it; several runs against one
  // server use different prefixes so each run writes keys of its own.
  std::string mount = "secret";
  std::string key_prefix = "bench";
  bool json = false;
};

// Parses argv (flags as --name=value or --name value). Returns the options,
// or nullopt with a one-line reason in *error (the caller prints it with the
// usage text). `--help` yields nullopt with an empty *error.
std::optional<Options> ParseOptions(const std::vector<std::string>& args, std::string* error);

// The usage text, one flag per line.
std::string UsageText();

const char* WorkloadName(WorkloadKind kind);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_OPTIONS_H_
