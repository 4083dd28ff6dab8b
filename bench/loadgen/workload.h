// What each request of a run is: method, target and body, per workload and
// protocol.
//
// main.cc builds one Workload for the timed run (MakeWorkload) and, for
// kv2-read and mixed, one that writes the hot set first
// (MakeHotSetFillWorkload). Connections call Workload::Next concurrently from
// their event-loop threads; every implementation is safe for that (immutable
// state, or an atomic counter).
//
// The requests, by protocol:
//   vault   write POST /v1/<mount>/data/<prefix>/<key> {"data":{"v":"<value>"}}
//           read  GET  /v1/<mount>/data/<prefix>/<key>
//           token-create POST /v1/auth/token/create {"policies":["default"],"ttl":"1h"}
//   etcd    write POST /v3/kv/put {"key":b64("<prefix>/<key>"),"value":b64("<value>")}
//           read  POST /v3/kv/range {"key":b64("<prefix>/<key>")} (linearizable,
//           etcd's default: each read confirms leadership, a cost etcd's figures include)
//   static  GET <path>
// <key> is "<connection>-<sequence>" for unique writes and "hot-<i>" for the
// hot set. Choices that look random (which hot key, read or write) come from
// a hash of (connection, sequence), so two runs send the same requests.
#ifndef TRESOR_BENCH_LOADGEN_WORKLOAD_H_
#define TRESOR_BENCH_LOADGEN_WORKLOAD_H_

#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "loadgen/options.h"

namespace tresor::bench {

struct RequestSpec {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::string body;  // empty for a request without a body
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Fills *out with the request that connection `connection` sends as its
  // `sequence`-th request (both count from 0). Thread-safe.
  virtual void Next(int connection, int64_t sequence, RequestSpec* out) = 0;
};

// The timed run's workload for options.workload over options.protocol.
// REQUIRES: options came from ParseOptions (the combination is valid).
std::unique_ptr<Workload> MakeWorkload(const Options& options);

// True when the workload reads the hot set, which must be written first.
bool NeedsHotSet(WorkloadKind kind);

// Writes the hot set hot-<i> for i in [0, options.hot_keys) with the
// protocol's write: each request takes the next i from a shared counter, so a
// run bounded to hot_keys requests writes each key exactly once whatever the
// connection count.
std::unique_ptr<Workload> MakeHotSetFillWorkload(const Options& options);

// The value written by every write of a run: `size` printable characters,
// the same in every run.
std::string MakeValue(int size);

// Standard base64 (with padding) of `data`, as etcd's JSON gateway wants
// keys and values.
std::string Base64Encode(std::string_view data);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_WORKLOAD_H_
