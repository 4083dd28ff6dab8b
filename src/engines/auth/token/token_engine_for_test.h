// Shared fixture for the token engine tests: an in-memory backend behind a
// fault-injecting wrapper, a FakeClock, a loaded TokenStore with a root
// token, and helpers that build logical requests.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engines/auth/token/token_engine.h"
#include "engines/auth/token/token_store.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::token {

class TokenEngineTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::make_unique<TokenStore>(storage_, clock_);
    ASSERT_TRUE(store_->Load().ok());
    auto root = store_->CreateRootToken(std::nullopt);
    ASSERT_TRUE(root.ok());
    root_ = *root;
    engine_ = NewTokenEngine(*store_);
  }

  StatusOr<logical::Response> Call(logical::Operation op, const std::string& path,
                                   nlohmann::json data, const std::string& token) {
    logical::Request request;
    request.operation = op;
    request.path = path;
    request.data = std::move(data);
    request.client_token = token;
    request.mount_point = "auth/token/";
    return engine_->Handle(request);
  }
  StatusOr<logical::Response> Post(const std::string& path, nlohmann::json data,
                                   const std::string& token) {
    return Call(logical::Operation::kUpdate, path, std::move(data), token);
  }
  StatusOr<logical::Response> Get(const std::string& path, const std::string& token) {
    return Call(logical::Operation::kRead, path, nullptr, token);
  }

  // The status of a POST (OK when it succeeded), for tests of refusals.
  Status PostStatus(const std::string& path, nlohmann::json data, const std::string& token) {
    auto r = Post(path, std::move(data), token);
    return r.ok() ? Status::Ok() : r.status();
  }
  // The `auth` block of a POST that must succeed (null when it failed).
  nlohmann::json MustPostAuth(const std::string& path, nlohmann::json data,
                              const std::string& token) {
    auto r = Post(path, std::move(data), token);
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? r->auth : nlohmann::json();
  }

  // Creates a token through the engine; returns {client_token, accessor}.
  std::pair<std::string, std::string> MustCreate(nlohmann::json body, const std::string& as = "") {
    auto r = Post("create", std::move(body), as.empty() ? root_ : as);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return {};
    return {r->auth["client_token"].get<std::string>(), r->auth["accessor"].get<std::string>()};
  }

  // Every stored key, to prove a refused request changed nothing.
  std::vector<std::string> AllKeys() {
    auto keys = storage::ListRecursive(base_, "");
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  storage::InmemBackend base_;
  storage::FaultInjectingBackend storage_{&base_};
  FakeClock clock_;
  std::unique_ptr<TokenStore> store_;
  std::unique_ptr<logical::Engine> engine_;
  std::string root_;
};

}  // namespace tresor::engines::token
