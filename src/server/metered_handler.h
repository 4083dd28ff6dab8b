// The request handler the HTTP listeners call: the core, with each request
// timed into Vault's vault.core.handle_request (or, for a login,
// vault.core.handle_login_request) summary. It sits here, between http/ and
// core/, so that neither layer carries the measurement.
//
// Threads: Handle is called concurrently; the summaries are lock-free.
#pragma once

#include <string>
#include <string_view>

#include "common/metrics.h"
#include "core/request.h"

namespace tresor::server {

class MeteredHandler final : public core::RequestHandler {
 public:
  // `inner` outlives this handler.
  explicit MeteredHandler(core::RequestHandler& inner) : inner_(inner) {}

  StatusOr<core::Response> Handle(const core::Request& request) override {
    static metrics::Summary& handle = metrics::Default().GetSummary(
        "vault.core.handle_request", "Time to complete a non-login request (ms).");
    static metrics::Summary& login = metrics::Default().GetSummary(
        "vault.core.handle_login_request", "Time to complete a login request (ms).");
    metrics::ScopedTimer timer(IsLogin(request.path) ? login : handle);
    return inner_.Handle(request);
  }
  std::optional<std::string> ForwardTarget(const core::Request& request) override {
    return inner_.ForwardTarget(request);
  }
  bool WantsRawBody(std::string_view method, std::string_view path) const override {
    return inner_.WantsRawBody(method, path);
  }
  bool RedirectOnly(const core::Request& request) const override {
    return inner_.RedirectOnly(request);
  }

  // auth/<mount...>/login or auth/<mount...>/login/<name>, as Vault tells
  // a login request apart.
  static bool IsLogin(std::string_view path) {
    if (!path.starts_with("auth/")) return false;
    const std::size_t at = path.find("/login");
    return at != std::string_view::npos &&
           (at + 6 == path.size() || path[at + 6] == '/');
  }

 private:
  core::RequestHandler& inner_;
};

}  // namespace tresor::server
