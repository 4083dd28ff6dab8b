#include "loadgen/workload.h"

#include <nlohmann/json.hpp>

namespace tresor::bench {
namespace {

namespace http = boost::beast::http;

// A value of `size` printable characters. Varied rather than all one letter
// so that nothing on the path (compression, deduplication) gets an unfairly
// easy input; fixed per run so runs are comparable.
std::string MakeValue(int size) {
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

std::string WriteBody(int value_size) {
  return nlohmann::json{{"data", {{"v", MakeValue(value_size)}}}}.dump();
}

std::string KeyTarget(const std::string& mount, const std::string& prefix, const std::string& key) {
  return "/v1/" + mount + "/data/" + prefix + "/" + key;
}

class UniqueWriteWorkload : public Workload {
 public:
  UniqueWriteWorkload(std::string mount, std::string prefix, int value_size)
      : mount_(std::move(mount)), prefix_(std::move(prefix)), body_(WriteBody(value_size)) {}

  void Next(int connection, int64_t sequence, RequestSpec* out) override {
    out->method = http::verb::post;
    out->target =
        KeyTarget(mount_, prefix_, std::to_string(connection) + "-" + std::to_string(sequence));
    out->body = body_;
  }

 private:
  const std::string mount_;
  const std::string prefix_;
  const std::string body_;
};

class HotSetFillWorkload : public Workload {
 public:
  HotSetFillWorkload(std::string mount, std::string prefix, int value_size, int hot_keys)
      : mount_(std::move(mount)),
        prefix_(std::move(prefix)),
        body_(WriteBody(value_size)),
        hot_keys_(hot_keys) {}

  void Next(int, int64_t, RequestSpec* out) override {
    int64_t index = next_.fetch_add(1, std::memory_order_relaxed) % hot_keys_;
    out->method = http::verb::post;
    out->target = KeyTarget(mount_, prefix_, "hot-" + std::to_string(index));
    out->body = body_;
  }

 private:
  const std::string mount_;
  const std::string prefix_;
  const std::string body_;
  const int hot_keys_;
  std::atomic<int64_t> next_{0};
};

class HotSetReadWorkload : public Workload {
 public:
  HotSetReadWorkload(std::string mount, std::string prefix, int hot_keys)
      : mount_(std::move(mount)), prefix_(std::move(prefix)), hot_keys_(hot_keys) {}

  void Next(int connection, int64_t sequence, RequestSpec* out) override {
    out->method = http::verb::get;
    uint64_t mixed =
        Mix((static_cast<uint64_t>(connection) << 40) ^ static_cast<uint64_t>(sequence));
    out->target = KeyTarget(mount_, prefix_,
                            "hot-" + std::to_string(mixed % static_cast<uint64_t>(hot_keys_)));
    out->body.clear();
  }

 private:
  // splitmix64's finaliser: a stateless, well-spread hash, so no per-thread
  // generator is needed.
  static uint64_t Mix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  }

  const std::string mount_;
  const std::string prefix_;
  const int hot_keys_;
};

}  // namespace

std::unique_ptr<Workload> MakeUniqueWriteWorkload(const std::string& mount,
                                                  const std::string& prefix, int value_size) {
  return std::make_unique<UniqueWriteWorkload>(mount, prefix, value_size);
}

std::unique_ptr<Workload> MakeHotSetFillWorkload(const std::string& mount,
                                                 const std::string& prefix, int value_size,
                                                 int hot_keys) {
  return std::make_unique<HotSetFillWorkload>(mount, prefix, value_size, hot_keys);
}

std::unique_ptr<Workload> MakeHotSetReadWorkload(const std::string& mount,
                                                 const std::string& prefix, int hot_keys) {
  return std::make_unique<HotSetReadWorkload>(mount, prefix, hot_keys);
}

}  // namespace tresor::bench
