// Fuzz target: JSON request bodies through the request pipeline. Each input
// runs against a fresh, real Core (over the in-memory backend and a fake
// clock; initialised, unsealed, KV v2 at secret/, as the pipeline's unit
// tests build it): the first byte picks a path and a method, the rest is the
// body of an HTTP request to it with the root token. The request goes the
// whole way a client's does, short of the socket: ParseApiRequest,
// Core::Handle (token, ACL, router, the engine or sys handler), then
// BuildHttpResponse.
//
// Invariants: no crash, no sanitizer report, no exception; the HTTP status
// is one a client error may produce (never a 500: a body can be wrong, but
// it must not break the server); an error body is exactly Vault's
// {"errors": ["...", ...]}; any other body is JSON.
#include <spdlog/spdlog.h>

#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/check.h"
#include "common/clock.h"
#include "core/core.h"
#include "http/request_parser.h"
#include "http/response_writer.h"
#include "storage/inmem/inmem_backend.h"

namespace {

namespace beast_http = boost::beast::http;
using tresor::StatusOr;
using tresor::core::Operation;
using tresor::core::Request;
using tresor::core::Response;

// What a path needs mounted before the request (beyond KV v2 at secret/).
enum class Needs { kNothing, kTransit, kApprole };

struct Target {
  const char* path;
  beast_http::verb method;
  Needs needs = Needs::kNothing;
};

// PBKDF2 (userpass) is left out: 200,000 rounds per input would stall the
// fuzzer without reaching more parsing code.
constexpr Target kTargets[] = {
    {"sys/mounts/fz", beast_http::verb::post},
    {"sys/mounts/secret/tune", beast_http::verb::post},
    {"sys/auth/fz", beast_http::verb::post},
    {"sys/policy/fz", beast_http::verb::put},
    {"sys/policies/acl/fz", beast_http::verb::put},
    {"secret/data/fz", beast_http::verb::post},
    {"secret/data/fz", beast_http::verb::patch},
    {"secret/metadata/fz", beast_http::verb::post},
    {"secret/metadata/fz", beast_http::verb::patch},
    {"secret/config", beast_http::verb::post},
    {"secret/delete/fz", beast_http::verb::post},
    {"secret/undelete/fz", beast_http::verb::post},
    {"secret/destroy/fz", beast_http::verb::post},
    {"auth/token/create", beast_http::verb::post},
    {"auth/token/create-orphan", beast_http::verb::post},
    {"auth/token/lookup", beast_http::verb::post},
    {"auth/token/renew-self", beast_http::verb::post},
    {"auth/token/roles/fz", beast_http::verb::post},
    {"sys/capabilities-self", beast_http::verb::post},
    {"sys/wrapping/wrap", beast_http::verb::post},
    {"sys/tools/hash", beast_http::verb::post},
    {"sys/tools/random", beast_http::verb::post},
    {"cubbyhole/fz", beast_http::verb::post},
    {"transit/keys/fz", beast_http::verb::post, Needs::kTransit},
    {"transit/encrypt/k", beast_http::verb::post, Needs::kTransit},
    {"transit/decrypt/k", beast_http::verb::post, Needs::kTransit},
    {"auth/approle/role/fz", beast_http::verb::post, Needs::kApprole},
    {"auth/approle/login", beast_http::verb::post, Needs::kApprole},
};

class Server {
 public:
  Server() {
    auto init = core_.lifecycle().Initialize({.secret_shares = 1, .secret_threshold = 1});
    TRESOR_CHECK(init.ok());
    root_ = init->root_token;
    TRESOR_CHECK(core_.lifecycle().SubmitUnsealShare(init->key_shares[0]).ok());
    Setup(Operation::kUpdate, "sys/mounts/secret", {{"type", "kv-v2"}});
  }

  void Prepare(Needs needs) {
    if (needs == Needs::kTransit) {
      Setup(Operation::kUpdate, "sys/mounts/transit", {{"type", "transit"}});
      Setup(Operation::kUpdate, "transit/keys/k", nlohmann::json::object());
    } else if (needs == Needs::kApprole) {
      Setup(Operation::kUpdate, "sys/auth/approle", {{"type", "approle"}});
    }
  }

  // The request as a client sends it; what the server answers.
  tresor::http::HttpResponse Call(const Target& target, std::string_view body) {
    tresor::http::HttpRequest request{target.method, std::string("/v1/") + target.path, 11};
    request.set("X-Vault-Token", root_);
    request.set(beast_http::field::content_type, target.method == beast_http::verb::patch
                                                     ? "application/merge-patch+json"
                                                     : "application/json");
    request.body().assign(body);
    request.prepare_payload();
    StatusOr<Request> parsed = tresor::http::ParseApiRequest(request, "192.0.2.7:5555");
    if (!parsed.ok()) return tresor::http::BuildHttpResponse(parsed.status(), {});
    return tresor::http::BuildHttpResponse(core_.Handle(*parsed), {});
  }

 private:
  void Setup(Operation op, std::string path, nlohmann::json data) {
    Request request;
    request.operation = op;
    request.path = std::move(path);
    request.data = std::move(data);
    request.client_token = root_;
    TRESOR_CHECK(core_.Handle(request).ok());
  }

  tresor::storage::InmemBackend physical_;
  tresor::FakeClock clock_;
  tresor::core::Core core_{physical_, clock_,
                           tresor::core::CoreOptions{.storage_type = "inmem",
                                                     .cluster_name = "",
                                                     .token_reap_interval =
                                                         std::chrono::seconds(0)}};
  std::string root_;
};

bool IsClientAnswer(int status) {
  switch (status) {
    case 200: case 204: case 400: case 403: case 404: case 405: case 409: case 412: case 413:
    case 415: case 429:
      return true;
    default:
      return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    spdlog::set_level(spdlog::level::warn);  // every Core logs its mounts at info
    return true;
  }();
  (void)quiet;
  if (size == 0) return 0;
  const Target& target = kTargets[data[0] % std::size(kTargets)];
  std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  Server server;
  server.Prepare(target.needs);
  tresor::http::HttpResponse response = server.Call(target, body);

  const int status = static_cast<int>(response.result_int());
  if (!IsClientAnswer(status)) {
    std::fprintf(stderr, "%s %s answered %d: %s\n", std::string(to_string(target.method)).c_str(),
                 target.path, status, response.body().c_str());
    TRESOR_CHECK(!"a request body made the server answer with a status no client error gives");
  }
  if (response.body().empty()) {
    TRESOR_CHECK(status == 204 || status == 200);
    return 0;
  }
  nlohmann::json json = nlohmann::json::parse(response.body(), nullptr, false);
  TRESOR_CHECK(!json.is_discarded());
  if (status >= 400) {
    TRESOR_CHECK(json.is_object() && json.size() == 1 && json.contains("errors"));
    TRESOR_CHECK(json["errors"].is_array());
    for (const auto& error : json["errors"]) TRESOR_CHECK(error.is_string());
  }
  return 0;
}
