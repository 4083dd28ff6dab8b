// The skeleton shared by the client commands that call the API with a token
// (read/write, kv, token, policy, secrets, auth, operator raft, members,
// step-down): the connection, -format and optional -field flags, the
// argument count check, building the HTTP client, and the few request
// helpers they all need. A command derives from ApiCommand,
// declares its own flags in DefineCommandFlags and does its work in Run.
//
// Exit codes follow Vault's commands of this family: 2 for usage errors and
// for errors the server returned (Vault's read, write, kv, token, policy,
// secrets and auth commands all exit 2 there), 1 for local errors (an
// unreadable file) and a missing -field.
//
// Who calls it: the command files in this folder.
// Thread safety: as the commands themselves (one thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/command.h"
#include "cli/commands/common.h"
#include "cli/http_client.h"

namespace tresor::cli {

// What Run gets: the parsed flags and arguments, the streams, the client and
// the effective -format ("table" or "json").
struct ApiContext {
  const FlagSet& flags;
  CommandIo& io;
  HttpClient& client;
  std::string format;

  const std::vector<std::string>& args() const { return flags.Args(); }
};

class ApiCommand : public Command {
 public:
  // `min_args`..`max_args` positional arguments are accepted; `with_field`
  // adds Vault's -field flag.
  ApiCommand(size_t min_args, size_t max_args, bool with_field)
      : min_args_(min_args), max_args_(max_args), with_field_(with_field) {}

  void DefineFlags(FlagSet& flags) final;
  int Execute(const FlagSet& flags, CommandIo& io) final;

 protected:
  virtual void DefineCommandFlags(FlagSet& flags) {}
  // Checks that need the flags (incompatible combinations) before any
  // request. Print the problem to io.err and return false for a usage error.
  virtual bool Validate(const FlagSet& flags, CommandIo& io) { return true; }
  virtual int Run(ApiContext& context) = 0;

  // The value of -field ("" when not given or not defined).
  const std::string& field() const { return field_; }

 private:
  size_t min_args_;
  size_t max_args_;
  bool with_field_;
  ServerCommandFlags common_;
  std::string field_;
};

// "/v1/" + `path` without its leading slashes, percent-encoding what Go's
// url.URL escapes in a path (everything but letters, digits, -._~ and
// $&+,/:;=@), as Vault's client does.
std::string ApiPath(std::string_view path);

// Like HttpClient::Call, except that a 404 answers null when the body holds
// neither data nor warnings ("nothing there"), and the body itself when it
// does (a deleted KV v2 version answers 404 with its metadata), as Vault's
// client does for reads and lists.
StatusOr<Json> CallAllowMissing(HttpClient& client, std::string_view method, std::string_view path,
                                const Json& body = Json());

// Prints "Error <doing>: <message>" and returns 2, Vault's exit code for an
// API error in these commands.
int ApiFailure(CommandIo& io, std::string_view doing, const Status& status);

// Prints `message` and returns 2 (a usage error).
int UsageFailure(CommandIo& io, std::string_view message);

// Vault's sanitizePath: surrounding whitespace and leading '/' removed.
std::string SanitizePath(std::string_view path);
// `path` with a trailing '/' added when missing.
std::string EnsureTrailingSlash(std::string path);

}  // namespace tresor::cli
