#include "server/migrate_command.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <vector>

#include "common/hcl.h"
#include "common/logging.h"
#include "storage/factory.h"

namespace tresor::server {
namespace {

constexpr char kMigrateUsage[] = R"(Usage: tresor operator migrate -config=MIGRATE.hcl [-start=KEY]

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

Options:
  -config=FILE   The migration configuration file (required)
  -start=KEY     Copy only keys at or after KEY, to resume an interrupted
                 migration (the destination may then hold entries already)

Exit codes: 0 migrated and verified, 1 failed, 2 usage error.
)";

struct MigrateFlags {
  std::string config_file;
  std::optional<std::string> start;
  bool help = false;
};

StatusOr<MigrateFlags> ParseMigrateFlags(int argc, char** argv) {
  MigrateFlags flags;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) == "--") arg.remove_prefix(1);
    if (arg == "-h" || arg == "-help") {
      flags.help = true;
    } else if (arg.substr(0, 8) == "-config=") {
      flags.config_file = arg.substr(8);
    } else if (arg.substr(0, 7) == "-start=") {
      flags.start = std::string(arg.substr(7));
    } else {
      return InvalidArgumentError("unexpected argument \"" + std::string(arg) + "\"");
    }
  }
  if (!flags.help && flags.config_file.empty()) {
    return InvalidArgumentError("-config=FILE is required");
  }
  return flags;
}

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
    if (storage.type != "file" && storage.type != "raft") {
      return ConfigError(filename, block.position.line,
                         scope + ": migrate reads and writes \"file\" and \"raft\" storage");
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
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> keys, storage::ListRecursive(source, ""));
  std::erase_if(keys, [&](const std::string& key) { return key < options.start; });

  MigrateResult result;
  std::vector<storage::Operation> batch;
  std::size_t batch_bytes = 0;
  for (const std::string& key : keys) {
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> value, source.Get(key));
    if (!value.has_value()) continue;  // deleted since it was listed (not when stopped)
    if (!batch.empty() && (batch.size() >= options.batch_entries ||
                           batch_bytes + value->size() > options.batch_bytes)) {
      result.copied += batch.size();
      TRESOR_RETURN_IF_ERROR(FlushBatch(destination, batch));
      batch_bytes = 0;
      if (options.progress) options.progress(result.copied, keys.size());
    }
    batch_bytes += key.size() + value->size();
    batch.push_back(storage::Operation::Put(key, std::move(*value)));
  }
  result.copied += batch.size();
  TRESOR_RETURN_IF_ERROR(FlushBatch(destination, batch));
  if (options.progress) options.progress(result.copied, keys.size());

  for (const std::string& key : keys) {
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> want, source.Get(key));
    TRESOR_ASSIGN_OR_RETURN(std::optional<std::string> got, destination.Get(key));
    if (want != got) {
      return CorruptionError("entry " + key + " does not read back equal from the destination");
    }
    ++result.verified;
  }
  return result;
}

int RunMigrateCommand(int argc, char** argv) {
  StatusOr<MigrateFlags> flags = ParseMigrateFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n\n%s", flags.status().message().c_str(), kMigrateUsage);
    return 2;
  }
  if (flags->help) {
    std::printf("%s", kMigrateUsage);
    return 0;
  }
  std::ifstream in(flags->config_file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "Error loading the migration configuration: cannot open %s\n",
                 flags->config_file.c_str());
    return 1;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  StatusOr<MigrateConfig> config = ParseMigrateConfig(text, flags->config_file);
  if (!config.ok()) {
    std::fprintf(stderr, "Error loading the migration configuration: %s\n",
                 config.status().message().c_str());
    return 1;
  }
  auto source_path = config->source.options.find("path");
  std::error_code missing;
  if (source_path != config->source.options.end() &&
      !std::filesystem::is_directory(source_path->second, missing)) {
    std::fprintf(stderr, "Error: the source storage %s does not exist\n",
                 source_path->second.c_str());
    return 1;
  }
  SetLogLevel("warn").IgnoreError();
  // Source first: refusing a running source must not touch the destination
  // (a raft destination would create its node directory).
  auto source = OpenStorage(config->source, config->cluster_addr, "source");
  if (!source.ok()) {
    std::fprintf(stderr, "Error: %s\n", source.status().message().c_str());
    return 1;
  }
  auto destination = OpenStorage(config->destination, config->cluster_addr, "destination");
  if (!destination.ok()) {
    std::fprintf(stderr, "Error: %s\n", destination.status().message().c_str());
    return 1;
  }
  MigrateOptions options;
  options.start = flags->start.value_or("");
  options.progress = [](std::uint64_t done, std::uint64_t total) {
    std::printf("Copied %llu of %llu entries\n", static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(total));
    std::fflush(stdout);
  };
  std::printf("Migrating from storage \"%s\" to storage \"%s\"%s\n", config->source.type.c_str(),
              config->destination.type.c_str(),
              options.start.empty() ? "" : (" starting at " + options.start).c_str());
  StatusOr<MigrateResult> result = MigrateEntries(**source, **destination, options);
  Status closed = (*destination)->Close();
  (*source)->Close().IgnoreError();
  if (!result.ok()) {
    std::fprintf(stderr, "Error migrating: %s\n", result.status().message().c_str());
    return 1;
  }
  if (!closed.ok()) {
    std::fprintf(stderr, "Error closing the destination: %s\n", closed.message().c_str());
    return 1;
  }
  std::printf("Success! Migrated %llu entries; all %llu read back equal from the destination.\n",
              static_cast<unsigned long long>(result->copied),
              static_cast<unsigned long long>(result->verified));
  return 0;
}

}  // namespace tresor::server
