// The generic commands on any path: `tresor read`, `write`, `list` and
// `delete`, Vault's thin wrappers over GET, PUT, LIST and DELETE.
#include "cli/commands/api_command.h"
#include "cli/commands/builtin.h"
#include "cli/commands/kv_args.h"
#include "cli/commands/logical_output.h"
#include "cli/commands/secret_output.h"
#include "cli/output.h"

namespace tresor::cli {
namespace {

class ReadCommand final : public ApiCommand {
 public:
  ReadCommand() : ApiCommand(1, 1, true) {}
  std::string Help() const override {
    return "Usage: tresor read [options] PATH\n\n"
           "  Reads data from Tresor at the given path: secrets, configuration, or\n"
           "  anything else a secrets engine or auth method serves.\n\n"
           "      $ tresor read secret/my-secret";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string path = SanitizePath(context.args()[0]);
    StatusOr<Json> secret = CallAllowMissing(context.client, "GET", ApiPath(path));
    if (!secret.ok()) return ApiFailure(context.io, "reading " + path, secret.status());
    if (secret->is_null()) return NoValueFound(context.io, path);
    return PrintSecret(context.io, context.format, field(), *secret);
  }
};

class WriteCommand final : public ApiCommand {
 public:
  WriteCommand() : ApiCommand(1, SIZE_MAX, true) {}
  std::string Help() const override {
    return "Usage: tresor write [options] PATH [DATA K=V...]\n\n"
           "  Writes data to Tresor at the given path. Each K=V pair is one field;\n"
           "  K=@file reads the value from a file, K=- from stdin, and a lone \"-\"\n"
           "  reads a JSON object from stdin.\n\n"
           "      $ tresor write secret/my-secret foo=bar\n"
           "      $ echo '{\"foo\":\"bar\"}' | tresor write secret/my-secret -";
  }

 protected:
  void DefineCommandFlags(FlagSet& flags) override {
    flags.Bool("force", &force_, false,
               "Allow the operation to continue with no key=value pairs. This allows "
               "writing to keys that do not need or expect data.");
    flags.Bool("f", &force_, false, "Alias for -force.");
  }
  bool Validate(const FlagSet& flags, CommandIo& io) override {
    if (flags.Args().size() == 1 && !force_) {
      io.err << "Must supply data or use -force\n";
      return false;
    }
    return true;
  }
  int Run(ApiContext& context) override {
    std::string path = SanitizePath(context.args()[0]);
    std::vector<std::string> pairs(context.args().begin() + 1, context.args().end());
    StatusOr<Json> data = ParseKeyValueArgs(pairs, context.io.in_fd);
    if (!data.ok()) {
      context.io.err << "Failed to parse K=V data: " << data.status().message() << "\n";
      return kExitError;
    }
    StatusOr<Json> secret = context.client.Call("PUT", ApiPath(path), *data);
    if (!secret.ok()) return ApiFailure(context.io, "writing data to " + path, secret.status());
    return PrintWriteResult(context, path, *secret, field());
  }

 private:
  bool force_ = false;
};

class ListCommand final : public ApiCommand {
 public:
  ListCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor list [options] PATH\n\n"
           "  Lists the keys at the given path. Keys ending in \"/\" hold more keys.\n\n"
           "      $ tresor list secret/";
  }

 protected:
  int Run(ApiContext& context) override {
    return ListKeys(context, EnsureTrailingSlash(SanitizePath(context.args()[0])));
  }
};

class DeleteCommand final : public ApiCommand {
 public:
  DeleteCommand() : ApiCommand(1, 1, false) {}
  std::string Help() const override {
    return "Usage: tresor delete [options] PATH\n\n"
           "  Deletes the data at the given path. What \"delete\" means is up to the\n"
           "  secrets engine (KV v2 soft-deletes the latest version).\n\n"
           "      $ tresor delete secret/my-secret";
  }

 protected:
  int Run(ApiContext& context) override {
    std::string path = SanitizePath(context.args()[0]);
    return DeleteAt(context, path);
  }
};

}  // namespace

std::unique_ptr<Command> NewReadCommand() { return std::make_unique<ReadCommand>(); }
std::unique_ptr<Command> NewWriteCommand() { return std::make_unique<WriteCommand>(); }
std::unique_ptr<Command> NewListCommand() { return std::make_unique<ListCommand>(); }
std::unique_ptr<Command> NewDeleteCommand() { return std::make_unique<DeleteCommand>(); }

}  // namespace tresor::cli
