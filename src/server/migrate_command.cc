#include "server/migrate_command.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

#include "common/hcl.h"
#include "common/logging.h"
#include "storage/factory.h"

namespace tresor::server {
namespace {

Status ConfigError(std::string_view filename, int line, const std::string& message) {
  std::string where(filename);
  if (line > 0) where += ":" + std::to_string(line);
  return InvalidArgumentError(where + ": " + message);
}

// As the server config: options are scalars handed on as text, and never
// quoted back (they may hold credentials).
StatusOr<std::string> OptionString(const hcl::Value& v) {
  switch (v.type()) {
    case hcl::Type::kString:
      return v.string_value();
    case hcl::Type::kBool:
      return std::string(v.bool_value() ? "true" : "false");
    case hcl::Type::kInt:
      return std::to_string(v.int_value());
    case hcl::Type::kFloat:
      return hcl::ToJson(v).dump();
    default:
      return InvalidArgumentError("expected a string, number or bool, got " +
                                  std::string(hcl::TypeName(v.type())));
  }
}

Status ReadStorageBlock(const hcl::ObjectEntry& entry, std::string_view filename,
                        std::optional<StorageConfig>& out) {
  StatusOr<std::vector<hcl::Block>> blocks = hcl::ExpandBlock(entry, 1);
  if (!blocks.ok())
    return ConfigError(filename, entry.position.line, entry.key + ": " + blocks.status().message());
  for (const hcl::Block& block : *blocks) {
    const std::string scope = entry.key + " \"" + block.labels[0] + "\"";
    if (out.has_value()) {
      return ConfigError(filename, block.position.line, "more than one " + entry.key + " block");
    }
    StorageConfig storage;
    storage.type = block.labels[0];
    storage.line = block.position.line;
    if (storage.type != "file" && storage.type != "raft" && storage.type != "postgresql" &&
        storage.type != "etcd") {
      return ConfigError(filename, block.position.line,
                         scope + ": migrate reads and writes \"file\", \"raft\", "
                                 "\"postgresql\" and \"etcd\" storage");
    }
    for (const hcl::ObjectEntry& option : block.body->object()) {
      StatusOr<std::string> value = OptionString(option.value);
      if (!value.ok()) {
        return ConfigError(filename, option.position.line,
                           scope + ": " + option.key + ": " + value.status().message());
      }
      if (!storage.options.emplace(option.key, *value).second) {
        return ConfigError(filename, option.position.line,
                           scope + ": " + option.key + " is set twice");
      }
    }
    out = std::move(storage);
  }
  return Status::Ok();
}

// "http://127.0.0.1:8201" -> "127.0.0.1:8201" (raft listens on host:port).
std::string HostPort(std::string url) {
  std::size_t scheme = url.find("://");
  if (scheme != std::string::npos) url.erase(0, scheme + 3);
  std::size_t path = url.find('/');
  if (path != std::string::npos) url.erase(path);
  return url;
}

StatusOr<std::unique_ptr<storage::Backend>> OpenStorage(const StorageConfig& config,
                                                        const std::string& cluster_addr,
                                                        std::string_view role) {
  StatusOr<std::unique_ptr<storage::Backend>> backend =
      storage::CreateBackend(config.type, config.options, HostPort(cluster_addr));
  if (backend.ok()) return backend;
  std::string message = "cannot open the " + std::string(role) + " storage (\"" + config.type +
                        "\"): " + backend.status().message();
  if (backend.status().code() == StatusCode::kFailedPrecondition ||
      backend.status().code() == StatusCode::kIOError) {
    message += ". Is a server running on it? Stop it first";
  }
  return Status(backend.status().code(), message);
}

Status FlushBatch(storage::Backend& destination, std::vector<storage::Operation>& batch) {
  if (batch.empty()) return Status::Ok();
  Status written = destination.Batch(batch);
  batch.clear();
  return written;
}

}  // namespace

StatusOr<MigrateConfig> ParseMigrateConfig(std::string_view text, std::string_view filename) {
  StatusOr<hcl::Value> root = hcl::Parse(text, filename);
  if (!root.ok()) return root.status();
  std::optional<StorageConfig> source, destination;
  MigrateConfig config;
  for (const hcl::ObjectEntry& entry : root->object()) {
    if (entry.key == "storage_source") {
      TRESOR_RETURN_IF_ERROR(ReadStorageBlock(entry, filename, source));
    } else if (entry.key == "storage_destination") {
      TRESOR_RETURN_IF_ERROR(ReadStorageBlock(entry, filename, destination));
    } else if (entry.key == "cluster_addr") {
      StatusOr<std::string> addr = entry.value.AsString();
      if (!addr.ok()) {
        return ConfigError(filename, entry.position.line,
                           "cluster_addr: " + addr.status().message());
      }
      config.cluster_addr = *addr;
    } else {
      return ConfigError(filename, entry.position.line,
                         "unknown key \"" + entry.key +
                             "\" (a migration config holds storage_source, storage_destination "
                             "and cluster_addr)");
    }
  }
  if (!source.has_value()) return ConfigError(filename, 0, "a storage_source block is required");
  if (!destination.has_value()) {
    return ConfigError(filename, 0, "a storage_destination block is required");
  }
  if (destination->type == "raft" && config.cluster_addr.empty()) {
    return ConfigError(filename, destination->line,
                       "cluster_addr is required for a raft destination (its raft address)");
  }
  if (source->type == "raft" && destination->type == "raft") {
    return ConfigError(filename, destination->line,
                       "raft to raft is not supported: both nodes would listen on cluster_addr; "
                       "use `operator raft snapshot save|restore` instead");
  }
  config.source = std::move(*source);
  config.destination = std::move(*destination);
  return config;
}

StatusOr<MigrateResult> MigrateEntries(storage::Backend& source, storage::Backend& destination,
                                       const MigrateOptions& options) {
  if (options.start.empty()) {
    TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> present, destination.ListPage("", "", 1));
    if (!present.empty()) {
      return FailedPreconditionError(
          "the destination storage is not empty; migrate only into new, uninitialised storage "
          "(or resume an interrupted migration with -start=KEY)");
    }
  }
  // Three walks over the source's keys (count, copy, read back), each
  // holding a page of names and one batch, never the list of every key.
  auto for_each_key = [&](const std::function<Status(const std::string&)>& visit) {
    return storage::ForEachKey(source, "", [&](const std::string& key) {
      return key < options.start ? Status::Ok() : visit(key);
    });
  };
  std::uint64_t total = 0;
  TRESOR_RETURN_IF_ERROR(for_each_key([&total](const std::string&) {
    ++total;
    return Status::Ok();
  }));

  MigrateResult result;
  std::vector<storage::Operation> batch;
  std::size_t batch_bytes = 0;
  TRESOR_RETURN_IF_ERROR(for_each_key([&](const std::string& key) -> Status {
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> value, source.Get(key));
    if (!value.has_value()) return Status::Ok();  // deleted since it was listed (not when stopped)
    if (!batch.empty() && (batch.size() >= options.batch_entries ||
                           batch_bytes + value->size() > options.batch_bytes)) {
      result.copied += batch.size();
      TRESOR_RETURN_IF_ERROR(FlushBatch(destination, batch));
      batch_bytes = 0;
      if (options.progress) options.progress(result.copied, total);
    }
    batch_bytes += key.size() + value->size();
    batch.push_back(storage::Operation::Put(key, std::move(*value)));
    return Status::Ok();
  }));
  result.copied += batch.size();
  TRESOR_RETURN_IF_ERROR(FlushBatch(destination, batch));
  if (options.progress) options.progress(result.copied, total);

  TRESOR_RETURN_IF_ERROR(for_each_key([&](const std::string& key) -> Status {
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> want, source.Get(key));
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> got, destination.Get(key));
    if (want != got) {
      return CorruptionError("entry " + key + " does not read back equal from the destination");
    }
    ++result.verified;
    return Status::Ok();
  }));
  return result;
}

namespace {

class MigrateCommand final : public command::Command {
 public:
  std::string Help() const override {
    return R"(Usage: tresor operator migrate -config=MIGRATE.hcl [-start=KEY]

  Copies every entry, as stored (encrypted, nothing is decrypted), from one
  storage to another, so that a server can move between storage types (for
  example from "file" to "raft"). Both servers must be stopped. The
  destination must be empty. Entries are copied in sorted key order and
  every one is read back from the destination and compared afterwards.
  Start the server on the destination and unseal it with the same keys.

  The configuration file holds only the migration's directives:

    storage_source "file" {
      path = "/var/lib/tresor"
    }
    storage_destination "raft" {
      path    = "/var/lib/tresor-raft"
      node_id = "node1"
    }
    cluster_addr = "http://127.0.0.1:8201"   # required for a raft destination

Exit codes: 0 migrated and verified, 1 failed, 2 usage error.)";
  }

  void DefineFlags(command::FlagSet& flags) override {
    flags.String("config", &config_file_, "", "The migration configuration file (required).");
    flags.String("start", &start_, "",
                 "Copy only keys at or after KEY, to resume an interrupted migration (the "
                 "destination may then hold entries already).");
  }

  int Execute(const command::FlagSet& flags, command::CommandIo& io) override {
    if (!flags.Args().empty()) {
      return UsageError(flags, io, "unexpected argument \"" + flags.Args()[0] + "\"");
    }
    if (config_file_.empty()) return UsageError(flags, io, "-config=FILE is required");
    std::ifstream in(config_file_, std::ios::binary);
    if (!in) {
      io.err << "Error loading the migration configuration: cannot open " << config_file_ << "\n";
      return command::kExitError;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    StatusOr<MigrateConfig> config = ParseMigrateConfig(text, config_file_);
    if (!config.ok()) {
      io.err << "Error loading the migration configuration: " << config.status().message() << "\n";
      return command::kExitError;
    }
    auto source_path = config->source.options.find("path");
    std::error_code missing;
    if (source_path != config->source.options.end() &&
        !std::filesystem::is_directory(source_path->second, missing)) {
      io.err << "Error: the source storage " << source_path->second << " does not exist\n";
      return command::kExitError;
    }
    SetLogLevel("warn").IgnoreError();
    // Source first: refusing a running source must not touch the destination
    // (a raft destination would create its node directory).
    auto source = OpenStorage(config->source, config->cluster_addr, "source");
    if (!source.ok()) {
      io.err << "Error: " << source.status().message() << "\n";
      return command::kExitError;
    }
    auto destination = OpenStorage(config->destination, config->cluster_addr, "destination");
    if (!destination.ok()) {
      io.err << "Error: " << destination.status().message() << "\n";
      return command::kExitError;
    }
    MigrateOptions options;
    options.start = start_;
    // etcd takes at most 128 operations in one transaction (--max-txn-ops).
    if (config->destination.type == "etcd") options.batch_entries = 128;
    options.progress = [&io](std::uint64_t done, std::uint64_t total) {
      io.out << "Copied " << done << " of " << total << " entries" << std::endl;
    };
    io.out << "Migrating from storage \"" << config->source.type << "\" to storage \""
           << config->destination.type << "\""
           << (options.start.empty() ? "" : " starting at " + options.start) << "\n";
    StatusOr<MigrateResult> result = MigrateEntries(**source, **destination, options);
    Status closed = (*destination)->Close();
    (*source)->Close().IgnoreError();
    if (!result.ok()) {
      io.err << "Error migrating: " << result.status().message() << "\n";
      return command::kExitError;
    }
    if (!closed.ok()) {
      io.err << "Error closing the destination: " << closed.message() << "\n";
      return command::kExitError;
    }
    io.out << "Success! Migrated " << result->copied << " entries; all " << result->verified
           << " read back equal from the destination.\n";
    return command::kExitOk;
  }

 private:
  std::string config_file_;
  std::string start_;
};

}  // namespace

std::unique_ptr<command::Command> NewMigrateCommand() { return std::make_unique<MigrateCommand>(); }

}  // namespace tresor::server
