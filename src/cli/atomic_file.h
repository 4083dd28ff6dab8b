// Replacing a file's contents so that a crash leaves either the old file or
// the new one, never a truncated mix, and so that the new contents are never
// readable with a wider mode than asked for: write a temporary file created
// 0600 (mkstemp) in the same directory, fchmod it to `mode`, fsync, rename
// over the target, fsync the directory.
//
// Who calls it: token_file.cc (the login token) and `policy fmt`.
// Thread safety: concurrent writers each rename a complete file; the last
// rename wins.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "common/status.h"

namespace tresor::cli {

// Returns IOError naming the failing step; before the rename nothing has
// changed (the temporary file is removed). After a successful rename, only
// a failed directory fsync can still be reported.
Status WriteFileAtomically(const std::string& path, std::string_view contents, mode_t mode);

}  // namespace tresor::cli
