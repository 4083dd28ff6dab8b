#include "server/snapshot_verify_command.h"

#include "core/seal_records.h"
#include "seal/key_wrapper_factory.h"
#include "server/config.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
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

// Engine data (every secret an engine stores) is most of a state, and is not
// needed to unseal: it stays out of memory and is decrypted record by record
// in step 4 instead.
constexpr std::string_view kEngineDataPrefix = "logical/";

bool IsEngineData(std::string_view key) {
  return key.substr(0, kEngineDataPrefix.size()) == kEngineDataPrefix;
}

// "logical/<uuid>/" of an engine data key.
std::string_view MountPrefixOf(std::string_view key) {
  const auto slash = key.find('/', kEngineDataPrefix.size());
  return key.substr(0, slash == std::string_view::npos ? key.size() : slash + 1);
}

// Counts one record of step 4 as decrypted, physical-only or swept, or
// notes why it failed.
class StateCheck {
 public:
  // `physical` is the storage under `core`'s barrier.
  StateCheck(core::Core& core, storage::Backend& physical)
      : physical_(physical), barrier_(core.lifecycle().Barrier()) {
    for (const auto& mount : core.mounts().List(core::MountKind::kSecrets)) {
      mounted_.insert(std::string(kEngineDataPrefix) + mount->entry.uuid + "/");
    }
  }

  // A record loaded in step 1: read back through the barrier.
  void CheckLoaded(std::string_view key, VerifyReport& report) {
    if (core::IsPhysicalOnlyKey(key)) {
      ++report.physical_only;
      return;
    }
    Count(key, barrier_.Get(key), report);
  }

  // An engine data record streamed in step 4: put beside the state for the
  // time of one read through the barrier, so memory holds one at a time.
  Status CheckStreamed(std::string_view key, std::string_view value, VerifyReport& report) {
    if (mounted_.count(std::string(MountPrefixOf(key))) == 0) {
      // Data of a mount no longer in the table: the unseal of a restored
      // server removes it, as it removed such data loaded in step 1.
      ++report.swept;
      return Status::Ok();
    }
    TRESOR_RETURN_IF_ERROR(physical_.Put(key, value));
    Count(key, barrier_.Get(key), report);
    return physical_.Delete(key);
  }

  std::uint64_t failed() const { return failed_; }
  const std::string& first_failure() const { return first_failure_; }

 private:
  void Count(std::string_view key, StatusOr<std::optional<std::string>> value,
             VerifyReport& report) {
    if (value.ok() && value->has_value()) {
      SecureWipe(**value);
      ++report.decrypted;
      return;
    }
    if (value.ok()) {
      // Gone since the archive was staged: the unseal itself removed it
      // (the mount table sweeps data of mounts no longer in the table), as
      // a restored server would.
      ++report.swept;
      return;
    }
    if (failed_++ == 0) {
      // Paths are not secret (they are stored in the clear); values are.
      first_failure_ = std::string(key) + ": " + value.status().message();
    }
  }

  storage::Backend& physical_;
  storage::Backend& barrier_;
  std::set<std::string> mounted_;
  std::uint64_t failed_ = 0;
  std::string first_failure_;
};

// Step 4 and the counts, on an unsealed core: every record through the
// barrier (the archive read once more for the engine data), then the
// mount table, token store and policies.
VerifyOutcome CheckUnsealedState(core::Core& core, storage::Backend& physical, int fd,
                                 VerifyOutcome outcome) {
  StateCheck check(core, physical);
  Status read = ReadFromStart(fd, snapshot::ReadOptions{}, {},
                              [&](std::string_view key, std::string_view value) -> Status {
                                if (IsEngineData(key)) {
                                  return check.CheckStreamed(key, value, outcome.report);
                                }
                                check.CheckLoaded(key, outcome.report);
                                return Status::Ok();
                              });
  if (!read.ok()) {
    return Fail(std::move(outcome), kVerifyDamaged, "reading the archive again: " + read.message());
  }
  if (check.failed() > 0) {
    return Fail(std::move(outcome), kVerifyStateBroken,
                std::to_string(check.failed()) + " of " + std::to_string(outcome.report.entries) +
                    " entries fail to decrypt (first: " + check.first_failure() + ")");
  }
  storage::Backend& barrier = core.lifecycle().Barrier();
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

// One "%-16s %s" row of the report's table.
void ReportRow(std::ostream& out, std::string_view name, const std::string& value) {
  out << name << std::string(name.size() < 16 ? 16 - name.size() : 0, ' ') << ' ' << value << '\n';
}

void PrintTable(std::ostream& out, const std::string& file, const VerifyOutcome& outcome) {
  const VerifyReport& r = outcome.report;
  out << "Snapshot " << file << " verified: it restores with the given keys.\n\n";
  ReportRow(out, "Key", "Value");
  ReportRow(out, "---", "-----");
  ReportRow(out, "ID", r.meta.id);
  ReportRow(out, "Index", std::to_string(r.meta.index));
  ReportRow(out, "Term", std::to_string(r.meta.term));
  ReportRow(out, "Created At", r.meta.created_at);
  ReportRow(out, "Cluster ID", r.meta.cluster_id);
  ReportRow(out, "Keyring Term", std::to_string(r.meta.keyring_term));
  ReportRow(out, "Entries", std::to_string(r.entries));
  ReportRow(out, "Decrypted",
            std::to_string(r.decrypted) + " (and " + std::to_string(r.physical_only) +
                " physical-only: keyring, root key, seal config, recovery key)");
  if (r.swept > 0) {
    ReportRow(out, "Swept",
              std::to_string(r.swept) + " (data of unmounted engines, removed at unseal)");
  }
  ReportRow(out, "Secrets Mounts", MountSummary(r.secrets_mounts));
  ReportRow(out, "Auth Mounts", MountSummary(r.auth_mounts));
  ReportRow(out, "Tokens", std::to_string(r.tokens));
  ReportRow(out, "Policies", std::to_string(r.policies));
}

// Unseals through the provider whose type is the snapshot's seal.
// InvalidArgument when none is, or it does not open the root key.
Status UnsealWithSeal(core::Lifecycle& lifecycle, storage::Backend& state,
                      const std::vector<std::shared_ptr<seal::KeyWrapper>>& seals) {
  TRESOR_ASSIGN_OR_RETURN(auto stored, state.Get(core::kSealConfigKey));
  if (!stored.has_value()) return InvalidArgumentError("the snapshot has no seal configuration");
  TRESOR_ASSIGN_OR_RETURN(core::SealConfig config, core::ParseSealConfig(*stored));
  for (const auto& wrapper : seals) {
    if (wrapper->Type() != config.type) continue;
    lifecycle.SetSeals(wrapper, nullptr);
    Status unsealed = lifecycle.AutoUnseal();
    if (unsealed.ok()) return unsealed;
    return InvalidArgumentError("the seal \"" + config.type +
                                "\" does not open the snapshot: " + unsealed.message());
  }
  return InvalidArgumentError("the snapshot is sealed with \"" + config.type +
                              "\" and the config has no seal block of that type");
}

class SnapshotVerifyCommand final : public command::Command {
 public:
  std::string Help() const override {
    return R"(Usage: tresor operator raft snapshot verify FILE (-unseal-key=KEY ... | -key-file=PATH | -config=SERVER.hcl) [-format=json]

  Disaster-recovery drill: proves that a snapshot archive can be restored,
  without touching any server. It checks the archive's checksums, loads it
  into a throwaway in-memory instance, unseals it with the given keys,
  checks the sealed checksums under the snapshot's own root key, decrypts
  every entry and checks that the mount table and token store load. It
  writes nothing to disk. It holds in memory the state but the secrets
  engines' data (tokens, policies, the mount table, auth methods' data),
  and reads the engines' data from the file one entry at a time.

  With -config, the snapshot is unsealed through the seal block of that
  server config (transit, awskms or pkcs11) whose type is the snapshot's,
  with no key shares: the drill then also proves the seal provider still
  opens the backup.

Exit codes:
  0  verified
  1  the archive is unreadable or damaged (checksums, format)
  2  usage error
  3  the keys do not unseal the snapshot (wrong keys, or too few)
  4  entries fail to decrypt, or the mount table or token store do not load)";
  }

  void DefineFlags(command::FlagSet& flags) override {
    // As before the registry, the keys may follow FILE.
    flags.SetInterspersed(true);
    AddUnsealKeyFlags(flags, &keys_);
    flags.String("config", &config_, "",
                 "A server config whose seal block unseals the snapshot instead of key shares.");
    flags.String("format", &format_, "table",
                 "Print one JSON object (json) instead of a table (table).");
  }

  int Execute(const command::FlagSet& flags, command::CommandIo& io) override {
    if (format_ != "json" && format_ != "table") {
      return UsageError(flags, io, "-format must be table or json");
    }
    if (flags.Args().size() > 1) {
      return UsageError(flags, io, "unexpected argument \"" + flags.Args()[1] + "\"");
    }
    if (flags.Args().empty()) return UsageError(flags, io, "the snapshot FILE is required");
    if (keys_.empty() == config_.empty()) {
      return UsageError(flags, io,
                        "give either unseal keys (-unseal-key=KEY ... or -key-file=PATH) or a "
                        "server config whose seal opens the snapshot (-config=PATH)");
    }
    const std::string& file = flags.Args()[0];
    StatusOr<std::vector<SecureBytes>> keys = std::vector<SecureBytes>();
    if (config_.empty()) keys = CollectUnsealKeys(keys_);
    if (!keys.ok()) {
      io.err << "Error: " << keys.status().message() << "\n";
      return kVerifyUsage;
    }
    std::vector<std::shared_ptr<seal::KeyWrapper>> seals;
    if (!config_.empty()) {
      StatusOr<ServerConfig> config = LoadConfigFile(config_);
      if (!config.ok()) {
        io.err << "Error: " << config.status().message() << "\n";
        return kVerifyUsage;
      }
      for (const seal::SealBlock& block : config->seals) {
        auto wrapper = seal::NewKeyWrapper(block);
        if (!wrapper.ok()) {
          io.err << "Error: " << config_ << ": seal \"" << block.type
                 << "\": " << wrapper.status().message() << "\n";
          return kVerifyUsage;
        }
        if (*wrapper != nullptr) seals.emplace_back(std::move(*wrapper));
      }
      if (seals.empty()) {
        return UsageError(flags, io, config_ + " has no auto-unseal seal block");
      }
    }
    // The drill reports its own findings; the core's logs would only repeat
    // them (and would mix with -format=json).
    SetLogLevel("off").IgnoreError();
    VerifyOutcome outcome = VerifySnapshotArchive(file, *keys, seals);
    if (format_ == "json") {
      io.out << ReportJson(outcome).dump(2) << "\n";
    } else if (outcome.exit_code == kVerifyOk) {
      PrintTable(io.out, file, outcome);
    }
    if (outcome.exit_code != kVerifyOk) {
      io.err << "Error verifying " << file << ": " << outcome.error << "\n";
    }
    return outcome.exit_code;
  }

 private:
  UnsealKeyFlags keys_;
  std::string config_;
  std::string format_;
};

}  // namespace

VerifyOutcome VerifySnapshotArchive(const std::string& path, const std::vector<SecureBytes>& keys,
                                    const std::vector<std::shared_ptr<seal::KeyWrapper>>& seals) {
  VerifyOutcome outcome;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return Fail(std::move(outcome), kVerifyDamaged,
                "cannot open " + path + ": " + std::strerror(errno));
  }
  FdCloser closer(fd);

  // 1. The plain checksums and the format; the records but engine data
  //    staged in memory and used only once the whole file verified.
  storage::InmemBackend state;
  Status read = ReadFromStart(
      fd, snapshot::ReadOptions{},
      [&outcome](const snapshot::Meta& meta) {
        outcome.report.meta = meta;
        outcome.report.meta_read = true;
        return Status::Ok();
      },
      [&state, &outcome](std::string_view key, std::string_view value) -> Status {
        TRESOR_RETURN_IF_ERROR(storage::ValidateKey(key));
        ++outcome.report.entries;
        return IsEngineData(key) ? Status::Ok() : state.Put(key, value);
      });
  if (!read.ok()) {
    return Fail(std::move(outcome), kVerifyDamaged, "the archive is damaged: " + read.message());
  }

  // 2. Unseal a throwaway core over it: the token store, cluster identity
  //    and mount table load at unseal.
  core::Core core(state, SystemClock::Get(),
                  core::CoreOptions{.storage_type = "inmem",
                                    .cluster_name = "",
                                    .token_reap_interval = std::chrono::seconds(0)});
  Status unsealed = seals.empty() ? UnsealWithKeys(core.lifecycle(), keys)
                                  : UnsealWithSeal(core.lifecycle(), state, seals);
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
  outcome = CheckUnsealedState(core, state, fd, std::move(outcome));
  core.lifecycle().Seal().IgnoreError();
  return outcome;
}

// The registry exits with command::kExitUsage on a bad flag: the same code.
static_assert(kVerifyUsage == command::kExitUsage);

std::unique_ptr<command::Command> NewSnapshotVerifyCommand() {
  return std::make_unique<SnapshotVerifyCommand>();
}

}  // namespace tresor::server
