// Helpers shared by the commands that talk to a server: binding the
// connection and output flags, building the HTTP client from them, and
// printing errors the way Vault does ("Error <doing what>: <why>").
//
// Who calls it: the command files in this folder.
// Thread safety: as the commands themselves (one thread).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "cli/environment.h"
#include "cli/framework.h"
#include "cli/http_client.h"

namespace tresor::cli {

// The flags of every server command: connection (-address, TLS) and -format
// (bound by StandardCommand, api_command.h).
struct ServerCommandFlags {
  ClientFlags client;
  std::string format;
};

// The HTTP client for the flags and environment: HttpClient::Create's, or
// what the factory set by SetHttpClientFactoryForTest makes. Returns what
// ResolveClientOptions or the factory return on error.
StatusOr<std::unique_ptr<HttpClient>> NewClientFromFlags(const FlagSet& flags,
                                                         const ClientFlags& values);

// Like NewClientFromFlags, but sending `token` instead of the token from
// the environment or token file (`login` checks the token it is given).
StatusOr<std::unique_ptr<HttpClient>> NewClientWithToken(const FlagSet& flags,
                                                         const ClientFlags& values,
                                                         std::string token);

// Makes a client from resolved options, as HttpClient::Create does.
using HttpClientFactory =
    std::function<StatusOr<std::unique_ptr<HttpClient>>(ClientOptions options)>;

// Test-only: NewClientFromFlags and NewClientWithToken make their clients
// with `factory` from now on (the command tests pass FakeHttpClient::Create);
// an empty factory restores HttpClient::Create. Flags and the environment
// are still resolved as in the product, so tests of -address and the token
// sources stay meaningful. Process-wide: call it only while no command runs.
void SetHttpClientFactoryForTest(HttpClientFactory factory);

// Writes "Error <doing>: <status message>\n" to io.err.
void PrintError(CommandIo& io, std::string_view doing, const Status& status);

// Checks the number of positional arguments. On a mismatch writes Vault's
// "Too many arguments (expected 0, got 2)" / "Not enough arguments ..." to
// io.err and returns false.
bool CheckArgCount(const FlagSet& flags, CommandIo& io, size_t min, size_t max);

}  // namespace tresor::cli
