#include "server/snapshot_verify_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string_view>

#include "barrier/barrier.h"
#include "common/clock.h"
#include "common/logging.h"
#include "core/core.h"
#include "core/policy/policy_store.h"
#include "server/offline_unseal.h"
#include "snapshot/archive_reader.h"
#include "snapshot/byte_stream.h"
#include "snapshot/sums_seal.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::server {
namespace {

constexpr char kVerifyUsage[] =
    R"(Usage: tresor operator raft snapshot verify FILE (-unseal-key=KEY ... | -key-file=PATH) [-format=json]

  Disaster-recovery drill: proves that a snapshot archive can be restored,
  without touching any server. It checks the archive's checksums, loads it
  into a throwaway in-memory instance, unseals it with the given keys,
  checks the sealed checksums under the snapshot's own root key, decrypts
  every entry and checks that the mount table and token store load. It
  writes nothing to disk, but holds the whole state in memory.

Options:
  -unseal-key=KEY     An unseal key share (hex or base64); repeatable
  -key-file=PATH      A file with one unseal key share per line
  -format=json        Print one JSON object instead of a table

Exit codes:
  0  verified
  1  the archive is unreadable or damaged (checksums, format)
  2  usage error
  3  the keys do not unseal the snapshot (wrong keys, or too few)
  4  entries fail to decrypt, or the mount table or token store do not load
)";

struct VerifyFlags {
  std::string file;
  UnsealKeyFlags keys;
  bool json = false;
  bool help = false;
};

StatusOr<VerifyFlags> ParseVerifyFlags(int argc, char** argv) {
  VerifyFlags flags;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.substr(0, 2) == "--") arg.remove_prefix(1);
    TRESOR_ASSIGN_OR_RETURN(bool key_flag, ParseUnsealKeyFlag(arg, flags.keys));
    if (key_flag) continue;
    if (arg == "-h" || arg == "-help") {
      flags.help = true;
    } else if (arg.substr(0, 8) == "-format=") {
      std::string_view format = arg.substr(8);
      if (format != "json" && format != "table") {
        return InvalidArgumentError("-format must be table or json");
      }
      flags.json = format == "json";
    } else if (!arg.empty() && arg.front() == '-') {
      return InvalidArgumentError("unknown flag \"" + std::string(arg) + "\"");
    } else if (flags.file.empty()) {
      flags.file = arg;
    } else {
      return InvalidArgumentError("unexpected argument \"" + std::string(arg) + "\"");
    }
  }
  if (flags.help) return flags;
  if (flags.file.empty()) return InvalidArgumentError("the snapshot FILE is required");
  if (flags.keys.empty()) {
    return InvalidArgumentError("unseal keys are required: -unseal-key=KEY ... or -key-file=PATH");
  }
  return flags;
}

// Physical records that are not barrier values, so not decrypted through it.
bool PhysicalOnly(std::string_view key) {
  return key == barrier::kKeyringPath || key == core::Lifecycle::kRootKeyPath ||
         key == "core/seal-config";
}

// Reads the archive at fd from its start.
Status ReadFromStart(int fd, const snapshot::ReadOptions& options,
                     const snapshot::MetaVisitor& on_meta, const snapshot::RecordVisitor& record) {
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return IOError(std::string("cannot read the snapshot: ") + std::strerror(errno));
  }
  return snapshot::ReadArchive(snapshot::FileSource(fd), options, on_meta, record);
}

class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

VerifyOutcome Fail(VerifyOutcome outcome, int code, std::string error) {
  outcome.exit_code = code;
  outcome.error = std::move(error);
  return outcome;
}

// Step 4 and the counts, on an unsealed core.
VerifyOutcome CheckUnsealedState(core::Core& core, const std::vector<std::string>& keys,
                                 VerifyOutcome outcome) {
  storage::Backend& barrier = core.lifecycle().Barrier();
  std::uint64_t failed = 0;
  std::string first_failure;
  for (const std::string& key : keys) {
    if (PhysicalOnly(key)) {
      ++outcome.report.physical_only;
      continue;
    }
    StatusOr<std::optional<std::string>> value = barrier.Get(key);
    if (value.ok() && value->has_value()) {
      SecureWipe(**value);
      ++outcome.report.decrypted;
      continue;
    }
    if (value.ok()) {
      // Gone since the archive was staged: the unseal itself removed it
      // (the mount table sweeps data of mounts no longer in the table), as
      // a restored server would.
      ++outcome.report.swept;
      continue;
    }
    if (failed++ == 0) {
      // Paths are not secret (they are stored in the clear); values are.
      first_failure = key + ": " + value.status().message();
    }
  }
  if (failed > 0) {
    return Fail(std::move(outcome), kVerifyStateBroken,
                std::to_string(failed) + " of " + std::to_string(keys.size()) +
                    " entries fail to decrypt (first: " + first_failure + ")");
  }
  for (const auto& mount : core.mounts().List(core::MountKind::kSecrets)) {
    ++outcome.report.secrets_mounts[mount->entry.type];
  }
  for (const auto& mount : core.mounts().List(core::MountKind::kAuth)) {
    ++outcome.report.auth_mounts[mount->entry.type];
  }
  if (outcome.report.secrets_mounts.empty()) {
    return Fail(std::move(outcome), kVerifyStateBroken, "the mount table loaded empty");
  }
  StatusOr<std::vector<std::string>> accessors = core.lifecycle().Tokens().ListAccessors();
  if (!accessors.ok()) {
    return Fail(std::move(outcome), kVerifyStateBroken,
                "the token store does not load: " + accessors.status().message());
  }
  outcome.report.tokens = accessors->size();
  core::policy::PolicyStore policies(barrier);
  StatusOr<std::vector<std::string>> names = policies.ListPolicies();
  if (!names.ok()) {
    return Fail(std::move(outcome), kVerifyStateBroken,
                "the policies do not load: " + names.status().message());
  }
  for (const std::string& name : *names) outcome.report.policies += name == "root" ? 0 : 1;
  return outcome;
}

std::string MountSummary(const std::map<std::string, int>& by_type) {
  std::string out;
  for (const auto& [type, count] : by_type) {
    if (!out.empty()) out += ", ";
    out += type + "=" + std::to_string(count);
  }
  return out.empty() ? "none" : out;
}

nlohmann::json ReportJson(const VerifyOutcome& outcome) {
  const VerifyReport& r = outcome.report;
  nlohmann::json out = {{"verified", outcome.exit_code == kVerifyOk},
                        {"exit_code", outcome.exit_code}};
  if (!outcome.error.empty()) out["error"] = outcome.error;
  if (r.meta_read) {
    out["meta"] = {{"id", r.meta.id},
                   {"index", r.meta.index},
                   {"term", r.meta.term},
                   {"created_at", r.meta.created_at},
                   {"cluster_id", r.meta.cluster_id},
                   {"keyring_term", r.meta.keyring_term},
                   {"size", r.meta.size}};
  }
  out["entries"] = r.entries;
  out["physical_only"] = r.physical_only;
  out["decrypted"] = r.decrypted;
  out["swept"] = r.swept;
  out["mounts"] = {{"secrets", r.secrets_mounts}, {"auth", r.auth_mounts}};
  out["tokens"] = r.tokens;
  out["policies"] = r.policies;
  return out;
}

void PrintTable(const std::string& file, const VerifyOutcome& outcome) {
  const VerifyReport& r = outcome.report;
  std::printf("Snapshot %s verified: it restores with the given keys.\n\n", file.c_str());
  std::printf("%-16s %s\n", "Key", "Value");
  std::printf("%-16s %s\n", "---", "-----");
  std::printf("%-16s %s\n", "ID", r.meta.id.c_str());
  std::printf("%-16s %llu\n", "Index", static_cast<unsigned long long>(r.meta.index));
  std::printf("%-16s %llu\n", "Term", static_cast<unsigned long long>(r.meta.term));
  std::printf("%-16s %s\n", "Created At", r.meta.created_at.c_str());
  std::printf("%-16s %s\n", "Cluster ID", r.meta.cluster_id.c_str());
  std::printf("%-16s %u\n", "Keyring Term", r.meta.keyring_term);
  std::printf("%-16s %llu\n", "Entries", static_cast<unsigned long long>(r.entries));
  std::printf("%-16s %llu (and %llu physical-only: keyring, root key, seal config)\n", "Decrypted",
              static_cast<unsigned long long>(r.decrypted),
              static_cast<unsigned long long>(r.physical_only));
  if (r.swept > 0) {
    std::printf("%-16s %llu (data of unmounted engines, removed at unseal)\n", "Swept",
                static_cast<unsigned long long>(r.swept));
  }
  std::printf("%-16s %s\n", "Secrets Mounts", MountSummary(r.secrets_mounts).c_str());
  std::printf("%-16s %s\n", "Auth Mounts", MountSummary(r.auth_mounts).c_str());
  std::printf("%-16s %llu\n", "Tokens", static_cast<unsigned long long>(r.tokens));
  std::printf("%-16s %llu\n", "Policies", static_cast<unsigned long long>(r.policies));
}

}  // namespace

VerifyOutcome VerifySnapshotArchive(const std::string& path, const std::vector<SecureBytes>& keys) {
  VerifyOutcome outcome;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(std::move(outcome), kVerifyDamaged,
                "cannot open " + path + ": " + std::strerror(errno));
  }
  FdCloser closer(fd);

  // 1. The plain checksums and the format; records staged in memory and
  //    used only once the whole file verified.
  storage::InmemBackend state;
  std::vector<std::string> record_keys;
  Status read = ReadFromStart(
      fd, snapshot::ReadOptions{},
      [&outcome](const snapshot::Meta& meta) {
        outcome.report.meta = meta;
        outcome.report.meta_read = true;
        return Status::Ok();
      },
      [&state, &record_keys](std::string_view key, std::string_view value) -> Status {
        TRESOR_RETURN_IF_ERROR(storage::ValidateKey(key));
        record_keys.emplace_back(key);
        return state.Put(key, value);
      });
  if (!read.ok()) {
    return Fail(std::move(outcome), kVerifyDamaged, "the archive is damaged: " + read.message());
  }
  outcome.report.entries = record_keys.size();

  // 2. Unseal a throwaway core over it: the token store, cluster identity
  //    and mount table load at unseal.
  core::Core core(state, SystemClock::Get(),
                  core::CoreOptions{.storage_type = "inmem",
                                    .cluster_name = "",
                                    .token_reap_interval = std::chrono::seconds(0)});
  Status unsealed = UnsealWithKeys(core.lifecycle(), keys);
  if (unsealed.code() == StatusCode::kInvalidArgument) {
    return Fail(std::move(outcome), kVerifyKeysRefused,
                "the keys do not unseal the snapshot: " + unsealed.message());
  }
  if (!unsealed.ok()) {
    return Fail(std::move(outcome), kVerifyStateBroken,
                "the snapshot's state does not load: " + unsealed.message());
  }

  // 3. The sealed sums, under the root key of the state itself.
  snapshot::RootKeySumsSeal seal(core.lifecycle().RootKeyBarrier());
  snapshot::ReadOptions sealed_options;
  sealed_options.seal = &seal;
  Status sealed_read = ReadFromStart(fd, sealed_options, {}, {});
  if (!sealed_read.ok()) {
    return Fail(std::move(outcome), kVerifyDamaged,
                "SHA256SUMS.sealed does not match the snapshot's own root key (the checksums "
                "were rewritten after it was taken, or the file changed): " +
                    sealed_read.message());
  }

  // 4. Every entry through the barrier, and the counts.
  outcome = CheckUnsealedState(core, record_keys, std::move(outcome));
  core.lifecycle().Seal().IgnoreError();
  return outcome;
}

int RunSnapshotVerifyCommand(int argc, char** argv) {
  StatusOr<VerifyFlags> flags = ParseVerifyFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "%s\n\n%s", flags.status().message().c_str(), kVerifyUsage);
    return kVerifyUsage;
  }
  if (flags->help) {
    std::printf("%s", kVerifyUsage);
    return kVerifyOk;
  }
  StatusOr<std::vector<SecureBytes>> keys = CollectUnsealKeys(flags->keys);
  if (!keys.ok()) {
    std::fprintf(stderr, "Error: %s\n", keys.status().message().c_str());
    return kVerifyUsage;
  }
  // The drill reports its own findings; the core's logs would only repeat
  // them (and would mix with -format=json).
  SetLogLevel("off").IgnoreError();
  VerifyOutcome outcome = VerifySnapshotArchive(flags->file, *keys);
  if (flags->json) {
    std::printf("%s\n", ReportJson(outcome).dump(2).c_str());
  } else if (outcome.exit_code == kVerifyOk) {
    PrintTable(flags->file, outcome);
  }
  if (outcome.exit_code != kVerifyOk) {
    std::fprintf(stderr, "Error verifying %s: %s\n", flags->file.c_str(), outcome.error.c_str());
  }
  return outcome.exit_code;
}

}  // namespace tresor::server
