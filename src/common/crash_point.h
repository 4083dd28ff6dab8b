// Crash injection for the integration tests: when the environment variable
// TRESOR_CRASH_AT_FOR_TEST equals `step`, the process kills itself with
// SIGKILL right there (no cleanup runs, as in a real crash). Never set in
// production. The steps are named where they are called: "staging",
// "staged", "swapped" (server/backup_restore.cc), "rekey-before-commit",
// "rekey-after-commit" (core/lifecycle.cc).
//
// Threads: any.
#pragma once

namespace tresor {

void CrashPointForTest(const char* step);

}  // namespace tresor
