// A throwaway etcd for the storage "etcd" tests: started once per test
// binary by scripts/etcd-for-test (on loopback, free ports), stopped and
// deleted at exit, or by the script's watcher if the binary dies. A test
// that cannot start etcd fails; none is skipped.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "storage/backend.h"
#include "storage/etcd/etcd_backend.h"
#include "storage/etcd/etcd_client.h"
#include "storage/etcd/etcd_options.h"

namespace tresor::storage {

class EtcdServerForTest {
 public:
  // The process-wide server; its url() is empty when it failed to start.
  static EtcdServerForTest& Get() {
    static EtcdServerForTest server;
    return server;
  }
  const std::string& url() const { return url_; }

  ~EtcdServerForTest() {
    if (!dir_.empty()) std::system((Script() + " stop " + dir_ + " >/dev/null 2>&1").c_str());
  }

 private:
  // <checkout>/scripts/etcd-for-test, found by walking up from the test
  // binary (<checkout>/build-*/src/storage/storage_test).
  static std::string Script() {
    std::error_code error;
    std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe", error);
    while (!error && dir.has_parent_path() && dir != dir.parent_path()) {
      dir = dir.parent_path();
      if (std::filesystem::exists(dir / "scripts" / "etcd-for-test")) {
        return (dir / "scripts" / "etcd-for-test").string();
      }
    }
    return "scripts/etcd-for-test";
  }

  EtcdServerForTest() {
    char pattern[] = "/tmp/tresor-etcd-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) return;
    dir_ = pattern;
    std::string command = Script() + " start " + dir_ + " " + std::to_string(getpid());
    FILE* out = popen(command.c_str(), "r");
    if (out == nullptr) return;
    char line[256] = {};
    if (fgets(line, sizeof line, out) != nullptr) url_ = line;
    while (!url_.empty() && (url_.back() == '\n' || url_.back() == '\r')) url_.pop_back();
    if (pclose(out) != 0) url_.clear();
  }

  std::string dir_;
  std::string url_;
};

// Options for the test server, each test under its own path so that tests
// do not see each other's keys.
inline EtcdOptions EtcdTestOptions(const std::string& path, bool ha = false) {
  EtcdOptions options;
  auto parsed = ParseEtcdOptions({{"address", EtcdServerForTest::Get().url()},
                                  {"path", path},
                                  {"ha_enabled", ha ? "true" : "false"},
                                  {"lock_timeout", "2s"}});
  EXPECT_TRUE(parsed.ok()) << parsed.status().message();
  if (parsed.ok()) options = *parsed;
  options.lock_poll = std::chrono::milliseconds(50);
  options.step_down_hold_off = std::chrono::milliseconds(300);
  return options;
}

inline std::unique_ptr<Backend> OpenEtcdForTest(const std::string& path, bool ha = false) {
  EXPECT_FALSE(EtcdServerForTest::Get().url().empty()) << "scripts/etcd-for-test did not start";
  auto backend = OpenEtcdBackendWith(EtcdTestOptions(path, ha));
  EXPECT_TRUE(backend.ok()) << backend.status().message();
  return backend.ok() ? std::move(backend).value() : nullptr;
}

}  // namespace tresor::storage
