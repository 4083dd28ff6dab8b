// Shared fixture for the AppRole engine tests: an in-memory backend behind a
// fault-injecting wrapper, a FakeClock, an engine mounted at auth/approle/,
// and helpers that build logical requests and make roles and secret IDs.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "engines/auth/approle/approle_engine.h"
#include "storage/fault/fault_injecting_backend.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::approle {

class AppRoleTestBase : public ::testing::Test {
 protected:
  AppRoleTestBase() : context_{storage_, clock_, {}}, engine_(NewAppRoleEngine(context_)) {}

  StatusOr<logical::Response> Call(logical::Operation op, const std::string& path,
                                   nlohmann::json data = nullptr,
                                   const std::string& remote = "127.0.0.1:40000") {
    logical::Request request;
    request.operation = op;
    request.path = path;
    request.data = std::move(data);
    request.mount_point = "auth/approle/";
    request.remote_address = remote;
    request.mount_max_lease_ttl = mount_max_ttl_;
    return engine_->Handle(request);
  }
  StatusOr<logical::Response> Post(const std::string& path, nlohmann::json data = nullptr) {
    return Call(logical::Operation::kUpdate, path, std::move(data));
  }
  StatusOr<logical::Response> Get(const std::string& path) {
    return Call(logical::Operation::kRead, path);
  }

  // Creates role `name` with `fields`; returns its role ID.
  std::string MustCreateRole(const std::string& name,
                             nlohmann::json fields = nlohmann::json::object()) {
    auto created = Call(logical::Operation::kCreate, "role/" + name, std::move(fields));
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    auto read = Get("role/" + name + "/role-id");
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    return read.ok() ? read->data["role_id"].get<std::string>() : "";
  }

  // Issues a secret ID for role `name`; returns the response's data.
  nlohmann::json MustIssueSecretId(const std::string& name,
                                   nlohmann::json fields = nlohmann::json::object()) {
    auto issued = Post("role/" + name + "/secret-id", std::move(fields));
    EXPECT_TRUE(issued.ok()) << issued.status().ToString();
    return issued.ok() ? issued->data : nlohmann::json();
  }

  StatusOr<logical::Response> Login(const std::string& role_id, const std::string& secret_id,
                                    const std::string& remote = "127.0.0.1:40000") {
    return Call(logical::Operation::kCreate, "login",
                {{"role_id", role_id}, {"secret_id", secret_id}}, remote);
  }

  // Every stored key, to prove a refused request changed nothing.
  std::vector<std::string> AllKeys() {
    auto keys = storage::ListRecursive(base_, "");
    EXPECT_TRUE(keys.ok());
    return keys.ok() ? *keys : std::vector<std::string>{};
  }

  // Everything stored, keys and values, as one string.
  std::string Dump() {
    std::string out;
    for (const std::string& key : AllKeys()) {
      auto value = base_.Get(key);
      out += key + "=" + (value.ok() && value->has_value() ? **value : "") + "\n";
    }
    return out;
  }

  storage::InmemBackend base_;
  storage::FaultInjectingBackend storage_{&base_};
  FakeClock clock_;
  std::chrono::seconds mount_max_ttl_{0};
  logical::EngineContext context_;
  std::unique_ptr<logical::Engine> engine_;
};

}  // namespace tresor::engines::approle
