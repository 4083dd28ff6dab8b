// PostJsonToNode: how a node joining a raft cluster calls the leader's API
// (core::CoreOptions::post_json). Built on http::ForwardRequest.
//
// Threads: thread-safe; blocks the caller for at most the timeout.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace tresor::server {

// POSTs body to base_url + "/v1/" + path. Returns the JSON answer; a 4xx
// answer becomes InvalidArgument (403: PermissionDenied) with the node's
// first error message, anything else that is not a 2xx Unavailable.
StatusOr<nlohmann::json> PostJsonToNode(const std::string& base_url, const std::string& path,
                                        const nlohmann::json& body);

}  // namespace tresor::server
