// The client side of the userpass auth method for `tresor login
// -method=userpass`, following Vault's userpass CLI handler: the login
// configuration is the command's key=value arguments (username=NAME,
// optional password=PW); without a password it is asked for with the
// hidden prompt "Password (will be hidden): " (one line from stdin when
// stdin is not a terminal). The login itself is
//   POST /v1/auth/<mount>/login/<username> {"password": PW}
// sent without a token (the path is unauthenticated).
//
// Who calls it: the login command (login.cc), which stores and prints the
// returned token. Thread safety: one call at a time per process (the prompt
// installs signal handlers; see cli/terminal.h).
#pragma once

#include <string>
#include <string_view>

#include "cli/framework.h"
#include "cli/http_client.h"
#include "common/status.h"

namespace tresor::cli {

// The mount the userpass method is found at when -path is not given.
inline constexpr char kUserpassDefaultMount[] = "userpass";

// Logs in as config["username"] on the userpass mount `mount` (slashes
// around it are ignored). `config` holds the parsed key=value arguments;
// its password is wiped before return, whatever the outcome.
//
// Returns the server's response envelope, whose "auth" block holds the new
// token. Returns InvalidArgument "'username' must be specified" when there
// is no username (before any request), the prompt's error when reading the
// password fails, the client's Status for a network or API error (a wrong
// password is the server's 400 "invalid username or password"), and
// Internal when a 2xx response carries no auth.client_token.
StatusOr<Json> UserpassLogin(HttpClient& client, Json& config, std::string_view mount,
                             CommandIo& io);

// The help text paragraph for -method=userpass.
std::string UserpassLoginHelp();

}  // namespace tresor::cli
