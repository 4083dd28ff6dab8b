#include "server/backup_command.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/command_runner_for_test.h"
#include "server/offline_cluster_for_test.h"
#include "server/storage_swap.h"
#include "storage/file/file_backend.h"
#include "common/temp_dir_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::server {
namespace {

using Records = std::map<std::string, std::string>;

Records ReadAll(const std::string& path) {
  auto backend = storage::FileBackend::Open(path);
  EXPECT_TRUE(backend.ok()) << backend.status().ToString();
  Records out;
  StatusOr<std::vector<std::string>> names = storage::ListRecursive(**backend, "");
  EXPECT_TRUE(names.ok());
  if (!names.ok()) return out;
  for (const std::string& name : names.value()) out[name] = **(*backend)->Get(name);
  return out;
}

int RunBackup(std::vector<std::string> args) {
  args.insert(args.begin(), {"operator", "backup"});
  return RunCommandForTest(args).code;
}

std::vector<std::string> Siblings(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class BackupTest : public ::testing::Test {
 protected:
  BackupTest() {
    auto physical = storage::FileBackend::Open(storage_);
    EXPECT_TRUE(physical.ok());
    OfflineClusterForTest cluster(**physical, 1, 1, 4);
    keys_ = cluster.Keys();
    cluster_id_ = cluster.ClusterId();
  }

  // A server's storage: init, unseal, write, and stop (the backend closes).
  void WriteMore(const std::string& path, int from, int to) {
    auto physical = storage::FileBackend::Open(path);
    ASSERT_TRUE(physical.ok());
    FakeClock clock;
    core::Core core(**physical, clock,
                    core::CoreOptions{.storage_type = "file",
                                      .cluster_name = "",
                                      .token_reap_interval = std::chrono::seconds(0)});
    for (const auto& key : keys_) ASSERT_TRUE(core.lifecycle().SubmitUnsealShare(key).ok());
    ASSERT_FALSE(core.lifecycle().Sealed());
    for (int i = from; i < to; ++i) {
      // Straight through the barrier: enough to change the state.
      ASSERT_TRUE(core.lifecycle().Barrier().Put("extra/" + std::to_string(i), "x").ok());
    }
  }

  TempDirForTest dir_;
  std::string storage_ = dir_.path() + "/data";
  std::string archive_ = dir_.path() + "/backup.snap";
  std::vector<SecureBytes> keys_;
  std::string cluster_id_;
};

TEST_F(BackupTest, SaveThenRestoreBringsBackEveryEntryExactly) {
  const Records saved_state = ReadAll(storage_);
  auto saved = SaveFileBackup(storage_, keys_, archive_);
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  EXPECT_EQ(saved->entries, saved_state.size());
  EXPECT_EQ(saved->meta.cluster_id, cluster_id_);
  EXPECT_EQ(saved->meta.index, 0u);
  EXPECT_EQ(saved->meta.keyring_term, 1u);
  EXPECT_EQ(ReadAll(storage_), saved_state) << "save changed the storage";

  WriteMore(storage_, 0, 3);
  ASSERT_NE(ReadAll(storage_), saved_state);

  auto restored = RestoreFileBackup(storage_, keys_, false, archive_);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->entries, saved_state.size());
  EXPECT_EQ(ReadAll(storage_), saved_state);
  // Nothing left beside the storage: the old state was removed.
  EXPECT_EQ(Siblings(dir_.path()), (std::vector<std::string>{"backup.snap", "data"}));
}

TEST_F(BackupTest, ARunningServerIsRefusedAndNothingChanges) {
  ASSERT_TRUE(SaveFileBackup(storage_, keys_, archive_).ok());
  const Records before = ReadAll(storage_);
  auto running = storage::FileBackend::Open(storage_);  // holds the LOCK, as a server does
  ASSERT_TRUE(running.ok());
  auto save = SaveFileBackup(storage_, keys_, dir_.path() + "/other.snap");
  EXPECT_EQ(save.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(save.status().message().find("stop it first"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/other.snap"));
  auto restore = RestoreFileBackup(storage_, keys_, false, archive_);
  EXPECT_EQ(restore.status().code(), StatusCode::kFailedPrecondition);
  running->reset();
  EXPECT_EQ(ReadAll(storage_), before);
}

TEST_F(BackupTest, AnotherClustersBackupNeedsForce) {
  const std::string other_storage = dir_.path() + "/other";
  std::vector<SecureBytes> other_keys;
  {
    auto physical = storage::FileBackend::Open(other_storage);
    ASSERT_TRUE(physical.ok());
    OfflineClusterForTest other(**physical, 1, 1, 2);
    other_keys = other.Keys();
  }
  const std::string foreign = dir_.path() + "/foreign.snap";
  ASSERT_TRUE(SaveFileBackup(other_storage, other_keys, foreign).ok());
  const Records mine = ReadAll(storage_);

  auto refused = RestoreFileBackup(storage_, keys_, false, foreign);
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("-force"), std::string::npos)
      << refused.status().message();
  EXPECT_EQ(ReadAll(storage_), mine);
  // Wrong keys for this storage are refused before the archive is looked at.
  EXPECT_EQ(RestoreFileBackup(storage_, other_keys, false, foreign).status().code(),
            StatusCode::kInvalidArgument);

  auto forced = RestoreFileBackup(storage_, {}, true, foreign);
  ASSERT_TRUE(forced.ok()) << forced.status().ToString();
  EXPECT_EQ(ReadAll(storage_), ReadAll(other_storage));
}

TEST_F(BackupTest, DamagedArchivesAndUninitialisedStorageAreRefused) {
  const Records saved_state = ReadAll(storage_);
  ASSERT_TRUE(SaveFileBackup(storage_, keys_, archive_).ok());
  std::string bytes;
  {
    std::ifstream in(archive_, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes[bytes.size() / 2] ^= 0x10;
  const std::string damaged = dir_.path() + "/damaged.snap";
  std::ofstream(damaged, std::ios::binary) << bytes;
  WriteMore(storage_, 0, 1);
  const Records before = ReadAll(storage_);
  for (bool force : {false, true}) {
    auto refused = RestoreFileBackup(storage_, keys_, force, damaged);
    EXPECT_FALSE(refused.ok());
    EXPECT_EQ(ReadAll(storage_), before);
  }
  EXPECT_FALSE(RestoreFileBackup(storage_, keys_, false, dir_.path() + "/missing.snap").ok());

  const std::string fresh = dir_.path() + "/fresh";
  auto uninitialised = RestoreFileBackup(fresh, keys_, false, archive_);
  EXPECT_EQ(uninitialised.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(uninitialised.status().message().find("-force"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(fresh)) << "a refused restore created the storage";
  ASSERT_TRUE(RestoreFileBackup(fresh, {}, true, archive_).ok());
  EXPECT_EQ(ReadAll(fresh), saved_state);
  EXPECT_EQ(SaveFileBackup(dir_.path() + "/nowhere", keys_, archive_).status().code(),
            StatusCode::kNotFound);
}

TEST_F(BackupTest, LeftoversOfAnInterruptedRestoreAreRemoved) {
  ASSERT_TRUE(SaveFileBackup(storage_, keys_, archive_).ok());
  // What a crash leaves: a staging directory, complete or not.
  const std::string leftover = storage_ + ".restore-0123456789abcdef";
  {
    auto staged = storage::FileBackend::Open(leftover);
    ASSERT_TRUE(staged.ok());
    ASSERT_TRUE((*staged)->Put("half/written", "x").ok());
  }
  ASSERT_TRUE(RestoreFileBackup(storage_, keys_, false, archive_).ok());
  EXPECT_FALSE(std::filesystem::exists(leftover));
  EXPECT_EQ(Siblings(dir_.path()), (std::vector<std::string>{"backup.snap", "data"}));
}

TEST_F(BackupTest, ExchangeSwapsWholeDirectories) {
  const std::string a = dir_.path() + "/a", b = dir_.path() + "/b";
  std::filesystem::create_directories(a);
  std::filesystem::create_directories(b);
  std::ofstream(a + "/only-a") << "a";
  std::ofstream(b + "/only-b") << "b";
  ASSERT_TRUE(ExchangeDirectories(a, b).ok());
  EXPECT_TRUE(std::filesystem::exists(a + "/only-b"));
  EXPECT_TRUE(std::filesystem::exists(b + "/only-a"));
  EXPECT_EQ(ExchangeDirectories(a, dir_.path() + "/none").code(), StatusCode::kIOError);
  EXPECT_TRUE(std::filesystem::exists(a + "/only-b"));
}

TEST_F(BackupTest, CommandLineUsageAndStorageType) {
  const std::string config = dir_.path() + "/server.hcl";
  std::ofstream(config) << "storage \"file\" { path = \"" << storage_ << "\" }\n"
                        << "listener \"tcp\" { address = \"127.0.0.1:0\"\n tls_disable = true }\n";
  const std::string raft_config = dir_.path() + "/raft.hcl";
  std::ofstream(raft_config)
      << "storage \"raft\" { path = \"" << dir_.path() << "/r\" }\n"
      << "listener \"tcp\" { address = \"127.0.0.1:0\"\n tls_disable = true }\n";
  const std::string key = "-unseal-key=" + Base64Encode(AsStringView(keys_[0]));
  EXPECT_EQ(RunBackup({}), 2);
  EXPECT_EQ(RunBackup({"copy", "-config=" + config, key, archive_}), 2);
  EXPECT_EQ(RunBackup({"save", "-config=" + config, archive_}), 2);  // no keys
  EXPECT_EQ(RunBackup({"save", key, archive_}), 2);                  // no config
  EXPECT_EQ(RunBackup({"save", "-config=" + config, key}), 2);       // no archive
  EXPECT_EQ(RunBackup({"save", "-config=" + config, key, "-force", archive_}), 2);
  EXPECT_EQ(RunBackup({"restore", "-config=" + config, archive_}), 2);  // neither
  EXPECT_EQ(RunBackup({"restore", "-config=" + config, key, "-force", archive_}), 2);
  EXPECT_EQ(RunBackup({"save", "-config=" + raft_config, key, archive_}), 1);
  EXPECT_FALSE(std::filesystem::exists(archive_));

  EXPECT_EQ(RunBackup({"save", "--config=" + config, key, archive_}), 0);
  EXPECT_TRUE(std::filesystem::exists(archive_));
  EXPECT_EQ(RunBackup({"restore", "-config=" + config, key, archive_}), 0);
  EXPECT_EQ(RunBackup({"restore", "-config=" + config, "-force", archive_}), 0);
}

}  // namespace
}  // namespace tresor::server
