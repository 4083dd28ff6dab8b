// Shared fixture for the tests of Core's request pipeline
// (core_pipeline_test.cc, core_tokens_test.cc, sys_tools_handlers_test.cc): a real Core over an
// in-memory backend and a FakeClock, initialised and unsealed through its
// Lifecycle, with a KV v2 mount at secret/ and helpers that write policies
// and create tokens through the API as an operator would.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/core.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::core {

class CorePipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto init = core_.lifecycle().Initialize({.secret_shares = 1, .secret_threshold = 1});
    ASSERT_TRUE(init.ok()) << init.status().ToString();
    unseal_key_ = init->key_shares[0];
    root_ = init->root_token;
    Unseal();
    ASSERT_TRUE(Call(Operation::kUpdate, "sys/mounts/secret", {{"type", "kv-v2"}}, root_).ok());
  }

  void Unseal() {
    auto unsealed = core_.lifecycle().SubmitUnsealShare(unseal_key_);
    ASSERT_TRUE(unsealed.ok()) << unsealed.status().ToString();
    ASSERT_FALSE(unsealed->sealed);
  }

  StatusOr<Response> Call(Operation op, std::string path, nlohmann::json data = nullptr,
                          std::string token = "") {
    Request request;
    request.operation = op;
    request.path = std::move(path);
    request.data = std::move(data);
    request.client_token = std::move(token);
    return core_.Handle(request);
  }
  StatusOr<Response> Read(const std::string& path, const std::string& token) {
    return Call(Operation::kRead, path, nullptr, token);
  }
  StatusOr<Response> Write(const std::string& path, nlohmann::json data, const std::string& token) {
    return Call(Operation::kUpdate, path, std::move(data), token);
  }

  // Writes a KV v2 secret as root.
  void Put(const std::string& path, nlohmann::json data) {
    auto written = Write("secret/data/" + path, {{"data", std::move(data)}}, root_);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  void SetPolicy(const std::string& name, const std::string& text) {
    auto written = Write("sys/policy/" + name, {{"policy", text}}, root_);
    ASSERT_TRUE(written.ok()) << written.status().ToString();
  }

  // Creates a token as root; `body` adds to {"policies": policies}.
  std::string CreateToken(std::vector<std::string> policies,
                          nlohmann::json body = nlohmann::json::object()) {
    body["policies"] = std::move(policies);
    auto created = Write("auth/token/create", std::move(body), root_);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    if (!created.ok()) return "";
    return created->auth["client_token"].get<std::string>();
  }

  static void ExpectDenied(const StatusOr<Response>& response, const std::string& what) {
    EXPECT_EQ(response.status().code(), StatusCode::kPermissionDenied) << what;
    EXPECT_EQ(response.status().message(), "permission denied") << what;
  }

  storage::InmemBackend physical_;
  FakeClock clock_;
  Core core_{physical_, clock_, CoreOptions{.storage_type = "inmem", .cluster_name = "", .token_reap_interval = std::chrono::seconds(0)}};
  SecureBytes unseal_key_;
  std::string root_;
};

}  // namespace tresor::core
