#include "server/snapshot_verify_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/command_runner_for_test.h"
#include "server/offline_cluster_for_test.h"
#include "common/temp_dir_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::server {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

int RunVerify(std::vector<std::string> args) {
  args.insert(args.begin(), {"operator", "raft", "snapshot", "verify"});
  return RunCommandForTest(args).code;
}

class SnapshotVerifyTest : public ::testing::Test {
 protected:
  std::string Archive(const std::string& name) { return dir_.path() + "/" + name; }

  TempDirForTest dir_;
  storage::InmemBackend physical_;
  OfflineClusterForTest cluster_{physical_, 3, 2};
};

TEST_F(SnapshotVerifyTest, AGoodArchiveVerifiesWithCountsAndMeta) {
  cluster_.WriteArchive(Archive("good.snap"));
  const auto records = cluster_.Records();

  VerifyOutcome outcome = VerifySnapshotArchive(Archive("good.snap"), cluster_.Keys(2));
  ASSERT_EQ(outcome.exit_code, kVerifyOk) << outcome.error;
  EXPECT_EQ(outcome.report.entries, records.size());
  EXPECT_EQ(outcome.report.physical_only, 3u);  // keyring, root key, seal config
  EXPECT_EQ(outcome.report.decrypted, records.size() - 3);
  EXPECT_EQ(outcome.report.secrets_mounts.at("kv"), 1);
  EXPECT_EQ(outcome.report.auth_mounts.at("token"), 1);
  EXPECT_EQ(outcome.report.tokens, 2u);    // root and the one created
  EXPECT_EQ(outcome.report.policies, 2u);  // default and reader
  EXPECT_EQ(outcome.report.meta.cluster_id, cluster_.ClusterId());
  EXPECT_EQ(outcome.report.meta.id, "0-0-1");
}

TEST_F(SnapshotVerifyTest, HexKeysFromAKeyFileWork) {
  cluster_.WriteArchive(Archive("good.snap"));
  WriteFile(Archive("keys"),
            "# unseal keys\n\n  " + cluster_.keys_hex[0] + "  \n" + cluster_.keys_hex[2] + "\n");
  EXPECT_EQ(RunVerify({Archive("good.snap"), "-key-file=" + Archive("keys"), "-format=json"}),
            kVerifyOk);
  EXPECT_EQ(RunVerify({Archive("good.snap"), "--unseal-key=" + cluster_.keys_base64[1],
                       "-unseal-key=" + cluster_.keys_hex[2]}),
            kVerifyOk);
}

TEST_F(SnapshotVerifyTest, TooFewOrWrongKeysExitThree) {
  cluster_.WriteArchive(Archive("good.snap"));
  VerifyOutcome too_few = VerifySnapshotArchive(Archive("good.snap"), cluster_.Keys(1));
  EXPECT_EQ(too_few.exit_code, kVerifyKeysRefused);
  EXPECT_NE(too_few.error.find("threshold is 2"), std::string::npos) << too_few.error;

  // The same key twice counts once.
  std::vector<SecureBytes> repeated = cluster_.Keys(1);
  repeated.push_back(repeated[0]);
  EXPECT_EQ(VerifySnapshotArchive(Archive("good.snap"), repeated).exit_code, kVerifyKeysRefused);

  storage::InmemBackend other_physical;
  OfflineClusterForTest other(other_physical, 3, 2, 1);
  VerifyOutcome wrong = VerifySnapshotArchive(Archive("good.snap"), other.Keys(2));
  EXPECT_EQ(wrong.exit_code, kVerifyKeysRefused);
  EXPECT_NE(wrong.error.find("do not unseal"), std::string::npos) << wrong.error;
}

TEST_F(SnapshotVerifyTest, DamagedOrMissingArchivesExitOne) {
  cluster_.WriteArchive(Archive("good.snap"));
  std::string bytes = ReadFile(Archive("good.snap"));
  std::string flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x40;
  WriteFile(Archive("flipped.snap"), flipped);
  WriteFile(Archive("truncated.snap"), bytes.substr(0, bytes.size() - 10));
  WriteFile(Archive("text.snap"), "not an archive at all");
  for (const char* name : {"flipped.snap", "truncated.snap", "text.snap", "missing.snap"}) {
    VerifyOutcome outcome = VerifySnapshotArchive(Archive(name), cluster_.Keys());
    EXPECT_EQ(outcome.exit_code, kVerifyDamaged) << name << ": " << outcome.error;
    EXPECT_FALSE(outcome.error.empty());
  }
}

TEST_F(SnapshotVerifyTest, AnAlteredCiphertextWithRecomputedSumsExitsFour) {
  // Checksums and seal are right (they were computed after the change), so
  // only decrypting the entry finds it.
  cluster_.WriteArchive(Archive("altered.snap"), [](std::map<std::string, std::string>& records) {
    for (auto& [key, value] : records) {
      if (key.find("/k3") != std::string::npos) value[value.size() - 1] ^= 0x01;
    }
  });
  VerifyOutcome outcome = VerifySnapshotArchive(Archive("altered.snap"), cluster_.Keys());
  EXPECT_EQ(outcome.exit_code, kVerifyStateBroken);
  EXPECT_NE(outcome.error.find("1 of"), std::string::npos) << outcome.error;
  EXPECT_NE(outcome.error.find("/k3"), std::string::npos) << outcome.error;
  EXPECT_EQ(outcome.error.find("value-3"), std::string::npos) << "a secret leaked";
}

TEST_F(SnapshotVerifyTest, EngineDataOfAMountNoLongerInTheTableCountsAsSwept) {
  // Streamed, not loaded: data under a mount uuid the table does not name
  // is what a restored server's unseal removes, whatever its bytes.
  cluster_.WriteArchive(Archive("orphan.snap"), [](std::map<std::string, std::string>& records) {
    records["logical/00000000-0000-0000-0000-000000000000/orphan"] = "not even ciphertext";
  });
  VerifyOutcome outcome = VerifySnapshotArchive(Archive("orphan.snap"), cluster_.Keys(2));
  ASSERT_EQ(outcome.exit_code, kVerifyOk) << outcome.error;
  EXPECT_EQ(outcome.report.swept, 1u);
  EXPECT_EQ(outcome.report.entries, cluster_.Records().size() + 1);
  EXPECT_EQ(outcome.report.decrypted, cluster_.Records().size() - 3);
}

TEST_F(SnapshotVerifyTest, StateThatDoesNotLoadAtUnsealExitsFour) {
  // The cluster identity is read at unseal: damaged, the state cannot load
  // even though the keys are right.
  cluster_.WriteArchive(Archive("no-identity.snap"),
                        [](std::map<std::string, std::string>& records) {
                          auto it = records.find("core/cluster/local/info");
                          ASSERT_NE(it, records.end());
                          it->second[it->second.size() - 1] ^= 0x01;
                        });
  EXPECT_EQ(VerifySnapshotArchive(Archive("no-identity.snap"), cluster_.Keys()).exit_code,
            kVerifyStateBroken);
  // An archive of storage that was never initialised has nothing to unseal.
  cluster_.WriteArchive(Archive("uninit.snap"), [](std::map<std::string, std::string>& records) {
    records.erase("core/seal-config");
  });
  EXPECT_EQ(VerifySnapshotArchive(Archive("uninit.snap"), cluster_.Keys()).exit_code,
            kVerifyStateBroken);
}

// A SumsSeal that is not this cluster's: sums "sealed" by someone else.
class ForeignSealForTest final : public snapshot::SumsSeal {
 public:
  StatusOr<std::string> Seal(std::string_view sums) const override {
    return "foreign:" + std::string(sums);
  }
  Status Verify(std::string_view, std::string_view) const override { return Status::Ok(); }
};

TEST_F(SnapshotVerifyTest, SumsNotSealedByTheSnapshotsRootKeyExitOne) {
  ForeignSealForTest foreign;
  cluster_.WriteArchive(Archive("resealed.snap"), {}, &foreign);
  VerifyOutcome outcome = VerifySnapshotArchive(Archive("resealed.snap"), cluster_.Keys());
  EXPECT_EQ(outcome.exit_code, kVerifyDamaged);
  EXPECT_NE(outcome.error.find("SHA256SUMS.sealed"), std::string::npos) << outcome.error;
}

TEST_F(SnapshotVerifyTest, UsageErrorsExitTwo) {
  cluster_.WriteArchive(Archive("good.snap"));
  const std::string key = "-unseal-key=" + cluster_.keys_base64[0];
  EXPECT_EQ(RunVerify({}), kVerifyUsage);
  EXPECT_EQ(RunVerify({Archive("good.snap")}), kVerifyUsage);  // no keys
  EXPECT_EQ(RunVerify({key}), kVerifyUsage);                   // no file
  EXPECT_EQ(RunVerify({Archive("good.snap"), key, "-bogus"}), kVerifyUsage);
  EXPECT_EQ(RunVerify({Archive("good.snap"), key, "-format=xml"}), kVerifyUsage);
  EXPECT_EQ(RunVerify({Archive("good.snap"), "extra", key}), kVerifyUsage);
  EXPECT_EQ(RunVerify({Archive("good.snap"), "-unseal-key=%%%not-a-key"}), kVerifyUsage);
  EXPECT_EQ(RunVerify({Archive("good.snap"), "-key-file=" + Archive("nope")}), kVerifyUsage);
  EXPECT_EQ(RunVerify({"-help"}), kVerifyOk);
}

}  // namespace
}  // namespace tresor::server
