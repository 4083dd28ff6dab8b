// The client CLI: every `tresor` command except `server`. Talks to a server
// over HTTP only (TRESOR_ADDR / VAULT_ADDR), never links the server's layers.
#pragma once

namespace tresor::cli {

// Runs the command in argv (argv[0] is the program name) and returns the
// process exit code, following Vault's: 0 success, 1 error, 2 usage error or
// (for `status`) sealed.
int Run(int argc, char** argv);

}  // namespace tresor::cli
