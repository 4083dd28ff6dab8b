// libraft's return codes as Tresor statuses, for raft::Node's files.
#pragma once

#include <string_view>

#include "common/status.h"

namespace tresor::raft {

// `what` failed with libraft code `rv`; `detail` is raft_errmsg or null.
Status FromRaft(int rv, std::string_view what, const char* detail);

}  // namespace tresor::raft
