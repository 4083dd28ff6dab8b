// The opening every client command shares, in two bases:
//
//   StandardCommand  the flags (connection, -format, -field, the command's
//                    own), the argument count check, Validate, and the
//                    effective -format; then Perform. Commands that build
//                    their client themselves (login) or need none (policy
//                    fmt, snapshot inspect) derive from it.
//   ApiCommand       the same, plus the HTTP client built from the flags and
//                    environment; then Run. Every command that talks to a
//                    server with the caller's token derives from it.
//
// Exit codes follow Vault's: 2 for usage errors (`status` says 1: 2 means
// sealed there); for errors the server returned, 2 in Vault's read, write,
// kv, token, policy, secrets and auth commands (ApiFailure), 1 in its sys
// commands (operator init, seal, unseal, key-status, rotate, status); 1 for
// local errors (an unreadable file) and a missing -field. A client that
// cannot be built (a bad -address or TRESOR_CLIENT_TIMEOUT) is a usage
// error, except for the sys commands, which say "Error <doing>: ..." and
// exit 1 (ApiCommand::ClientErrorDoing).
//
// Who calls it: the command files in this folder.
// Thread safety: as the commands themselves (one thread).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "cli/commands/common.h"
#include "cli/framework.h"
#include "cli/http_client.h"

namespace tresor::cli {

// What Perform gets: the parsed flags and arguments, the streams and the
// effective -format ("table" or "json"; "table" for a command without it).
struct CommandContext {
  const FlagSet& flags;
  CommandIo& io;
  std::string format;

  const std::vector<std::string>& args() const { return flags.Args(); }
};

// What ApiCommand::Run gets: the same and the client.
struct ApiContext : CommandContext {
  HttpClient& client;
};

class StandardCommand : public Command {
 public:
  struct Shape {
    // min_args..max_args positional arguments are accepted (MaxArgs() may
    // narrow the maximum once the flags are parsed).
    size_t min_args = 0;
    size_t max_args = 0;
    bool field = false;      // Vault's -field
    bool format = true;      // -format, with TRESOR_FORMAT / VAULT_FORMAT
    bool connection = true;  // -address and the TLS flags
    int usage_exit = kExitUsage;
  };

  explicit StandardCommand(Shape shape) : shape_(shape) {}

  void DefineFlags(FlagSet& flags) final;
  int Execute(const FlagSet& flags, CommandIo& io) final;

 protected:
  virtual void DefineCommandFlags(FlagSet& flags) {}
  virtual size_t MaxArgs() const { return shape_.max_args; }
  // Checks that need the flags (incompatible combinations) before any
  // request. Print the problem to io.err and return false for a usage error.
  virtual bool Validate(const FlagSet& flags, CommandIo& io) { return true; }
  virtual int Perform(CommandContext& context) = 0;

  // The connection flags (meaningful with Shape::connection).
  const ClientFlags& client_flags() const { return common_.client; }
  // The value of -field ("" when not given or not defined).
  const std::string& field() const { return field_; }

 private:
  Shape shape_;
  ServerCommandFlags common_;
  std::string field_;
};

class ApiCommand : public StandardCommand {
 public:
  explicit ApiCommand(Shape shape) : StandardCommand(shape) {}
  // `min_args`..`max_args` positional arguments are accepted; `with_field`
  // adds Vault's -field flag.
  ApiCommand(size_t min_args, size_t max_args, bool with_field)
      : StandardCommand(Shape{.min_args = min_args, .max_args = max_args, .field = with_field}) {}

 protected:
  // What the command was doing, for "Error <doing>: <why>" (exit 1) when the
  // client cannot be built; "" (the default) prints <why> alone and exits 2.
  virtual std::string ClientErrorDoing() const { return ""; }
  virtual int Run(ApiContext& context) = 0;

 private:
  int Perform(CommandContext& context) final;
};

// "/v1/" + `path` without its leading slashes, percent-encoding what Go's
// url.URL escapes in a path (everything but letters, digits, -._~ and
// $&+,/:;=@), as Vault's client does.
std::string ApiPath(std::string_view path);
// `text` with every byte but ASCII letters, digits and `also_kept`
// percent-encoded.
std::string PercentEncode(std::string_view text, std::string_view also_kept);

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
