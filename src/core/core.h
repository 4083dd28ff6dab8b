// Core: the request pipeline and the composition of the server's state.
// Every request passes through Handle: route -> sealed check -> token ->
// (root-only check until ACLs land) -> handler.
//
// Who calls it: http/ (through RequestHandler), server/ (construction and
// -dev set-up).
// Threads: Handle is safe to call from many threads at once.
#pragma once

#include <memory>
#include <string>

#include "common/clock.h"
#include "core/lifecycle.h"
#include "core/request.h"
#include "core/sys_router.h"
#include "storage/backend.h"

namespace tresor::core {

struct CoreOptions {
  // Reported in sys/seal-status ("file", "inmem", ...).
  std::string storage_type;
  // From the config; empty to generate one at init.
  std::string cluster_name;
};

class Core final : public RequestHandler {
 public:
  // physical and clock outlive the Core.
  Core(storage::Backend& physical, Clock& clock, CoreOptions options);

  StatusOr<Response> Handle(const Request& request) override;

  Lifecycle& lifecycle() { return lifecycle_; }
  const CoreOptions& options() const { return options_; }

 private:
  Status Authorize(const Request& request, bool root_only);

  Clock& clock_;
  const CoreOptions options_;
  Lifecycle lifecycle_;
  SysRouter sys_;
};

}  // namespace tresor::core
