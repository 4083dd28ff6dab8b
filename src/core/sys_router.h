// The table of built-in sys/ endpoints: for each exact path, which
// operations it answers, whether it needs a token, and the handler.
// Engines mounted by path come with the mount table (secrets task); this
// table holds only what the core itself answers.
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
  // Only a root token may call it (until ACL policies land).
  bool root_only = false;
  std::map<Operation, SysHandler> handlers;
};

class SysRouter {
 public:
  void Add(std::string path, SysRoute route) { routes_[std::move(path)] = std::move(route); }
  // The route for an exact path, or nullptr. Valid while the router lives.
  const SysRoute* Find(const std::string& path) const {
    auto it = routes_.find(path);
    return it == routes_.end() ? nullptr : &it->second;
  }

 private:
  std::map<std::string, SysRoute> routes_;
};

}  // namespace tresor::core
