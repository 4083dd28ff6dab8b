#include "loadgen/workload.h"

#include <atomic>
#include <boost/beast/core/detail/base64.hpp>
#include <nlohmann/json.hpp>

namespace tresor::bench {
namespace {

namespace http = boost::beast::http;

// splitmix64's finaliser: a stateless, well-spread hash, so no per-thread
// generator is needed and the choices are the same in every run.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

uint64_t HashRequest(int connection, int64_t sequence) {
  return Mix((static_cast<uint64_t>(connection) << 40) ^ static_cast<uint64_t>(sequence));
}

std::string UniqueKey(int connection, int64_t sequence) {
  return std::to_string(connection) + "-" + std::to_string(sequence);
}

std::string HotKey(uint64_t index) { return "hot-" + std::to_string(index); }

// Builds the write and read of one key in the run's protocol. Immutable once
// built; the value's encoding (JSON for Vault, base64 for etcd) is done once.
class KeyRequests {
 public:
  explicit KeyRequests(const Options& options)
      : protocol_(options.protocol), mount_(options.mount), prefix_(options.key_prefix) {
    std::string value = MakeValue(options.value_size);
    if (protocol_ == Protocol::kEtcd) {
      encoded_value_ = Base64Encode(value);
    } else {
      vault_body_ = nlohmann::json{{"data", {{"v", value}}}}.dump();
    }
  }

  void Write(const std::string& key, RequestSpec* out) const {
    out->method = http::verb::post;
    if (protocol_ == Protocol::kEtcd) {
      out->target = "/v3/kv/put";
      out->body = nlohmann::json{{"key", EtcdKey(key)}, {"value", encoded_value_}}.dump();
    } else {
      out->target = VaultTarget(key);
      out->body = vault_body_;
    }
  }

  void Read(const std::string& key, RequestSpec* out) const {
    if (protocol_ == Protocol::kEtcd) {
      out->method = http::verb::post;
      out->target = "/v3/kv/range";
      out->body = nlohmann::json{{"key", EtcdKey(key)}}.dump();
    } else {
      out->method = http::verb::get;
      out->target = VaultTarget(key);
      out->body.clear();
    }
  }

 private:
  std::string VaultTarget(const std::string& key) const {
    return "/v1/" + mount_ + "/data/" + prefix_ + "/" + key;
  }
  std::string EtcdKey(const std::string& key) const { return Base64Encode(prefix_ + "/" + key); }

  const Protocol protocol_;
  const std::string mount_;
  const std::string prefix_;
  std::string vault_body_;
  std::string encoded_value_;
};

class UniqueWriteWorkload : public Workload {
 public:
  explicit UniqueWriteWorkload(const Options& options) : requests_(options) {}

  void Next(int connection, int64_t sequence, RequestSpec* out) override {
    requests_.Write(UniqueKey(connection, sequence), out);
  }

 private:
  const KeyRequests requests_;
};

class HotSetFillWorkload : public Workload {
 public:
  explicit HotSetFillWorkload(const Options& options)
      : requests_(options), hot_keys_(options.hot_keys) {}

  void Next(int, int64_t, RequestSpec* out) override {
    int64_t index = next_.fetch_add(1, std::memory_order_relaxed) % hot_keys_;
    requests_.Write(HotKey(static_cast<uint64_t>(index)), out);
  }

 private:
  const KeyRequests requests_;
  const int hot_keys_;
  std::atomic<int64_t> next_{0};
};

// kv2-read (read_percent 100) and mixed: each request reads a hot key or
// writes a unique key. One hash decides both, from independent bits: its
// high half picks read or write, its low half the hot key.
class MixedWorkload : public Workload {
 public:
  MixedWorkload(const Options& options, int read_percent)
      : requests_(options),
        hot_keys_(static_cast<uint64_t>(options.hot_keys)),
        read_percent_(static_cast<uint64_t>(read_percent)) {}

  void Next(int connection, int64_t sequence, RequestSpec* out) override {
    uint64_t hash = HashRequest(connection, sequence);
    if ((hash >> 32) % 100 < read_percent_) {
      requests_.Read(HotKey((hash & 0xffffffffu) % hot_keys_), out);
    } else {
      requests_.Write(UniqueKey(connection, sequence), out);
    }
  }

 private:
  const KeyRequests requests_;
  const uint64_t hot_keys_;
  const uint64_t read_percent_;
};

// The same request every time: token-create and static.
class FixedWorkload : public Workload {
 public:
  explicit FixedWorkload(RequestSpec spec) : spec_(std::move(spec)) {}

  void Next(int, int64_t, RequestSpec* out) override { *out = spec_; }

 private:
  const RequestSpec spec_;
};

}  // namespace

std::string MakeValue(int size) {
  // Varied rather than all one letter so that nothing on the path
  // (compression, deduplication) gets an unfairly easy input.
  static constexpr char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string value(static_cast<size_t>(size), 'x');
  uint32_t state = 2463534242u;  // xorshift32: cheap and deterministic
  for (char& c : value) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    c = kAlphabet[state % (sizeof(kAlphabet) - 1)];
  }
  return value;
}

std::string Base64Encode(std::string_view data) {
  namespace base64 = boost::beast::detail::base64;
  std::string out(base64::encoded_size(data.size()), '\0');
  out.resize(base64::encode(out.data(), data.data(), data.size()));
  return out;
}

bool NeedsHotSet(WorkloadKind kind) {
  return kind == WorkloadKind::kKv2Read || kind == WorkloadKind::kMixed;
}

std::unique_ptr<Workload> MakeWorkload(const Options& options) {
  switch (options.workload) {
    case WorkloadKind::kKv2Write:
      return std::make_unique<UniqueWriteWorkload>(options);
    case WorkloadKind::kKv2Read:
      return std::make_unique<MixedWorkload>(options, 100);
    case WorkloadKind::kMixed:
      return std::make_unique<MixedWorkload>(options, options.read_percent);
    case WorkloadKind::kTokenCreate:
      return std::make_unique<FixedWorkload>(
          RequestSpec{http::verb::post, "/v1/auth/token/create",
                      nlohmann::json{{"policies", {"default"}}, {"ttl", "1h"}}.dump()});
    case WorkloadKind::kStatic:
      return std::make_unique<FixedWorkload>(RequestSpec{http::verb::get, options.path, ""});
  }
  return nullptr;
}

std::unique_ptr<Workload> MakeHotSetFillWorkload(const Options& options) {
  return std::make_unique<HotSetFillWorkload>(options);
}

}  // namespace tresor::bench
