// The table of built-in sys/ endpoints: for each path (exact, or a prefix
// such as "sys/policy/" whose handler reads the rest of the path), which
// operations it answers, whether it needs a token, and the handler.
// Engines mounted by path are routed by the mount table; this table holds
// only what the core itself answers.
//
// Threads: filled once at construction, then read-only.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "core/request.h"

namespace tresor::core {

using SysHandler = std::function<StatusOr<Response>(const Request&)>;

struct SysRoute {
  // Answered while sealed and without a token (sys/init, sys/unseal, ...).
  bool unauthenticated = false;
  // Needs the sudo capability on the path (or a root token), as Vault's
  // root-protected paths do.
  bool sudo = false;
  // Skips the ACL check on the path itself: the handler decides (for
  // example sys/capabilities-self, which any token may call about itself).
  bool any_token = false;
  // Answered without a token while the server is not initialised (nothing
  // to protect yet, as with sys/init); like any route once it is.
  bool open_until_initialized = false;
  std::map<Operation, SysHandler> handlers;

  // Runs the handler of request.operation; UnsupportedOperation (405) when
  // the route has none.
  StatusOr<Response> Dispatch(const Request& request) const {
    auto handler = handlers.find(request.operation);
    if (handler == handlers.end()) {
      return UnsupportedOperationError(std::string(OperationName(request.operation)) +
                                       " is not supported on " + request.path);
    }
    return handler->second(request);
  }
};

class SysRouter {
 public:
  // An exact path ("sys/seal").
  void Add(std::string path, SysRoute route) { exact_[std::move(path)] = std::move(route); }
  // Every path that starts with prefix ("sys/policy/"); the longest matching
  // prefix wins.
  void AddPrefix(std::string prefix, SysRoute route) {
    prefixes_[std::move(prefix)] = std::move(route);
  }

  // The route for path, or nullptr. Valid while the router lives.
  const SysRoute* Find(const std::string& path) const {
    if (auto it = exact_.find(path); it != exact_.end()) return &it->second;
    const SysRoute* best = nullptr;
    std::size_t best_len = 0;
    for (const auto& [prefix, route] : prefixes_) {
      if (prefix.size() > best_len && path.compare(0, prefix.size(), prefix) == 0) {
        best = &route;
        best_len = prefix.size();
      }
    }
    return best;
  }

 private:
  std::map<std::string, SysRoute> exact_;
  std::map<std::string, SysRoute> prefixes_;
};

}  // namespace tresor::core
