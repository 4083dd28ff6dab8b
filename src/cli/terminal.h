// Reading a secret (an unseal key) from the user without echoing it.
//
// On a terminal: prints the prompt, turns echo off, reads one line, and
// restores the terminal's settings on every path out — including SIGINT,
// SIGTERM, SIGHUP, SIGQUIT and SIGTSTP arriving while the user types, for
// which a handler restores the settings and then re-raises the signal with
// the previous disposition. Not on a terminal (a pipe, a file): reads one
// line without prompting, so `echo $KEY | tresor operator unseal` works.
//
// Who calls it: `operator unseal` (later: `login`). IsTerminal, the one test
// of whether a descriptor is a terminal, also decides whether progress lines
// are shown (progress.h).
// Thread safety: one call at a time per process (it installs signal handlers).
#pragma once

#include <ostream>
#include <string>

#include "common/status.h"

namespace tresor::cli {

// Whether `fd` is a terminal (isatty): a person is likely watching it.
bool IsTerminal(int fd);

// Reads one line from `fd` as described above; `prompt_out` receives the
// prompt (terminal only; the terminal itself echoes the final newline). Returns the
// line with surrounding whitespace removed (possibly ""), or IOError when
// reading fails, or InvalidArgument when the line is over 64 KiB. The
// caller should SecureWipe() the result once used.
StatusOr<std::string> ReadSecretLine(int fd, std::string_view prompt, std::ostream& prompt_out);

}  // namespace tresor::cli
