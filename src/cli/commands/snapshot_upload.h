// Uploading a snapshot file as a request body (restore, load), streamed
// with progress on a terminal (cli/progress.h).
#pragma once

#include <string>
#include <string_view>

#include "cli/commands/api_command.h"

namespace tresor::cli {

// POSTs `file` to `path`. On a 2xx answer stores it in *answer and returns
// kExitOk; otherwise prints "Error <doing>: ..." and returns the exit code.
int UploadSnapshotFile(ApiContext& context, const std::string& path, const std::string& file,
                       std::string_view doing, HttpResponse* answer);

}  // namespace tresor::cli
