// What each request of a run is: method, target and body, per workload.
//
// Connections call Workload::Next concurrently from their event-loop
// threads; every implementation is safe for that (immutable state, or
// atomics). Keys and values follow Vault's KV v2 API:
// POST /v1/<mount>/data/<key> {"data":{"v":"..."}} and GET of the same path.
#ifndef TRESOR_BENCH_LOADGEN_WORKLOAD_H_
#define TRESOR_BENCH_LOADGEN_WORKLOAD_H_

#include <atomic>
#include <boost/beast/http/verb.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace tresor::bench {

struct RequestSpec {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::string body;  // empty for GET
};

class Workload {
 public:
  virtual ~Workload() = default;
  // Fills *out with the request that connection `connection` sends as its
  // `sequence`-th request (both count from 0). Thread-safe.
  virtual void Next(int connection, int64_t sequence, RequestSpec* out) = 0;
};

// kv2-write: every request writes a key of its own,
// <mount>/data/<prefix>/<connection>-<sequence>, with a value of value_size
// printable bytes.
std::unique_ptr<Workload> MakeUniqueWriteWorkload(const std::string& mount,
                                                  const std::string& prefix, int value_size);

// Writes the hot set <mount>/data/<prefix>/hot-<i> for i in [0, hot_keys):
// each request takes the next i from a shared counter, so a run bounded to
// hot_keys requests writes each key exactly once whatever the connection
// count.
std::unique_ptr<Workload> MakeHotSetFillWorkload(const std::string& mount,
                                                 const std::string& prefix, int value_size,
                                                 int hot_keys);

// kv2-read: GET of a hot-set key chosen by a hash of (connection,
// sequence), uniform over the set and the same from run to run.
std::unique_ptr<Workload> MakeHotSetReadWorkload(const std::string& mount,
                                                 const std::string& prefix, int hot_keys);

}  // namespace tresor::bench

#endif  // TRESOR_BENCH_LOADGEN_WORKLOAD_H_
