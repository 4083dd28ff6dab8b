// Signal handling for the server process. Block() must run in main() before
// any thread starts, so that SIGTERM, SIGINT and SIGHUP reach only the
// thread that calls Wait(); no code runs in an async signal handler.
// Threads: Block once from main; Wait from one thread.
#pragma once

namespace tresor::server {

enum class Signal { kTerminate, kReload };

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (and so in every
// thread it creates afterwards), and ignores SIGPIPE.
void BlockServerSignals();

// Waits for the next blocked signal: kTerminate for SIGTERM/SIGINT, kReload
// for SIGHUP.
Signal WaitForSignal();

}  // namespace tresor::server
