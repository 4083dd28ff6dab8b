// Test fixture shared by the KV engine tests: an engine over
// InmemBackend wrapped in a FaultInjectingBackend (to count and fail
// storage calls) and a FakeClock, plus request builders. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "common/clock.h"
#include "engines/logical.h"
#include "engines/secrets/kv/kv_engine.h"
#include "storage/backend.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::kv {

class KvEngineTest : public ::testing::Test {
 protected:
  // Builds the engine for a mount with options version=<version>.
  void MakeEngine(const std::string& version) {
    logical::EngineContext context{faulty_, clock_, {{"version", version}}};
    auto engine = NewKvEngine(context);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
  }

  static logical::Request Req(logical::Operation op, std::string path,
                              nlohmann::json data = nullptr,
                              std::map<std::string, std::string> query = {}) {
    logical::Request r;
    r.operation = op;
    r.path = std::move(path);
    r.data = std::move(data);
    r.query = std::move(query);
    r.mount_point = "secret/";
    if (r.operation == logical::Operation::kPatch) r.content_type = "application/merge-patch+json";
    return r;
  }

  StatusOr<logical::Response> Do(logical::Operation op, std::string path,
                                 nlohmann::json data = nullptr,
                                 std::map<std::string, std::string> query = {}) {
    return engine_->Handle(Req(op, std::move(path), std::move(data), std::move(query)));
  }

  // Handles a request that must succeed and returns its response.
  logical::Response Ok(logical::Operation op, std::string path, nlohmann::json data = nullptr,
                       std::map<std::string, std::string> query = {}) {
    auto r = Do(op, std::move(path), std::move(data), std::move(query));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : logical::Response();
  }

  // Every key and value in storage, to prove a refused request changed
  // nothing.
  std::map<std::string, std::string> StorageSnapshot() {
    std::map<std::string, std::string> out;
    auto keys = storage::ListRecursive(inmem_, "");
    EXPECT_TRUE(keys.ok());
    for (const auto& key : *keys) {
      auto value = inmem_.Get(key);
      EXPECT_TRUE(value.ok() && value->has_value());
      out[key] = **value;
    }
    return out;
  }

  storage::InmemBackend inmem_;
  storage::FaultInjectingBackend faulty_{&inmem_};
  FakeClock clock_;
  std::unique_ptr<logical::Engine> engine_;
};

}  // namespace tresor::engines::kv
