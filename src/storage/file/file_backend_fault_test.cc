// FileBackend on a FaultInjectingFilesystem: failing writes, failing fsyncs,
// a full disk and simulated power cuts at every step of a batch.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>

#include "storage/fault/fault_injecting_filesystem.h"
#include "storage/file/file_backend.h"
#include "storage/file/forwarding_filesystem.h"
#include "storage/file/posix_filesystem.h"
#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

using State = std::map<std::string, std::string>;

// The real disk minus the real fsyncs: durability is what the fault-injecting
// layer models, and skipping the disk flush keeps hundreds of simulated power
// cuts fast. Syncing a missing path still fails, as it would for real.
class NoFsyncFilesystem final : public ForwardingFilesystem {
 public:
  NoFsyncFilesystem() : ForwardingFilesystem(&posix_) {}
  Status SyncFile(const std::string& p) override { return Exists(p); }
  Status SyncDir(const std::string& d) override { return Exists(d); }

 private:
  Status Exists(const std::string& p) {
    TRESOR_ASSIGN_OR_RETURN(bool exists, posix_.FileExists(p));
    return exists ? Status::Ok() : NotFoundError("fsync " + p + ": No such file or directory");
  }
  PosixFilesystem posix_;
};

class FileBackendFaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    backend_.reset();
    auto opened = FileBackend::Open(tmp_.path(), &fs_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    backend_ = std::move(*opened);
  }

  // A power cut: the process dies (backend closed), unsynced data is lost,
  // the machine comes back without faults, and the backend is reopened.
  void PowerCutAndReopen() {
    backend_.reset();
    fs_.ClearFaults();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());
    Reopen();
  }

  // Every key and value, read through the backend. Fails the test on a read
  // error: a torn or corrupt value must never be visible.
  State ReadAll() {
    State state;
    auto keys = ListRecursive(*backend_, "");
    EXPECT_TRUE(keys.ok()) << keys.status().ToString();
    if (!keys.ok()) return state;
    for (const std::string& key : *keys) {
      auto value = backend_->Get(key);
      EXPECT_TRUE(value.ok() && value->has_value()) << key << ": " << value.status().ToString();
      if (value.ok() && value->has_value()) state[key] = **value;
    }
    return state;
  }

  bool HasTempFiles() const {
    for (const std::string& path : tmp_.AllPathsBelow()) {
      if (path.find("/.tmp-") != std::string::npos) return true;
    }
    return false;
  }

  TempDirForTest tmp_;
  NoFsyncFilesystem disk_;
  FaultInjectingFilesystem fs_{&disk_};
  std::unique_ptr<FileBackend> backend_;
};

TEST_F(FileBackendFaultTest, FailedWriteKeepsThePreviousValue) {
  ASSERT_TRUE(backend_->Put("a/k", "old").ok());
  fs_.FailNextWrites(1);
  EXPECT_EQ(backend_->Put("a/k", "new").code(), StatusCode::kIOError);
  EXPECT_EQ(**backend_->Get("a/k"), "old");
  EXPECT_FALSE(HasTempFiles());
  fs_.FailNextWrites(1);
  EXPECT_EQ(backend_->Put("b/new", "v").code(), StatusCode::kIOError);
  EXPECT_FALSE(backend_->Get("b/new")->has_value());
  EXPECT_EQ(*backend_->List(""), std::vector<std::string>{"a/"});  // No empty "b/" left.
  PowerCutAndReopen();
  EXPECT_EQ(ReadAll(), (State{{"a/k", "old"}}));
}

TEST_F(FileBackendFaultTest, FailedFileSyncKeepsThePreviousValue) {
  ASSERT_TRUE(backend_->Put("k", "old").ok());
  fs_.SetFailSyncFile(true);
  EXPECT_EQ(backend_->Put("k", "new").code(), StatusCode::kIOError);
  EXPECT_EQ(**backend_->Get("k"), "old");
  EXPECT_FALSE(HasTempFiles());
  PowerCutAndReopen();
  EXPECT_EQ(ReadAll(), (State{{"k", "old"}}));
}

TEST_F(FileBackendFaultTest, FailedDirectorySyncIsAnErrorAndNotDurable) {
  ASSERT_TRUE(backend_->Put("k", "old").ok());
  fs_.SetFailSyncDir(true);
  EXPECT_EQ(backend_->Put("k", "new").code(), StatusCode::kIOError);
  // The rename happened, so a reader may see the new value; the contract
  // allows a failed write to have happened. It must not survive a power cut
  // as anything but whole.
  auto seen = backend_->Get("k");
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(**seen == "old" || **seen == "new");
  PowerCutAndReopen();
  EXPECT_EQ(ReadAll(), (State{{"k", "old"}}));
}

TEST_F(FileBackendFaultTest, FullDiskIsResourceExhaustedAndKeepsThePreviousValue) {
  ASSERT_TRUE(backend_->Put("k", "old").ok());
  fs_.SetDiskFull(true);
  EXPECT_EQ(backend_->Put("k", "new").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(backend_->Batch({Operation::Put("k", "new")}).code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(**backend_->Get("k"), "old");
  EXPECT_FALSE(HasTempFiles());
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/batch.journal"));
  fs_.SetDiskFull(false);
  EXPECT_TRUE(backend_->Put("k", "new").ok());
  EXPECT_EQ(**backend_->Get("k"), "new");
}

TEST_F(FileBackendFaultTest, BatchFailingHalfWayIsNeverSeenHalfApplied) {
  ASSERT_TRUE(backend_->Batch({Operation::Put("x", "0"), Operation::Put("y", "0")}).ok());
  std::size_t start = fs_.MutationCountForTest();
  ASSERT_TRUE(backend_->Batch({Operation::Put("x", "1"), Operation::Put("y", "1")}).ok());
  std::size_t steps = fs_.MutationCountForTest() - start;
  // Let the journal and the first op through, then fail every mutation.
  fs_.CrashAfterMutations(steps / 2 + 1);
  EXPECT_FALSE(backend_->Batch({Operation::Put("x", "2"), Operation::Put("y", "2")}).ok());
  // While the disk is still failing, reads fail rather than mix x=2, y=1.
  EXPECT_FALSE(backend_->Get("x").ok());
  EXPECT_FALSE(backend_->Get("y").ok());
  EXPECT_FALSE(backend_->Put("z", "v").ok());
  // Once the disk works again, the journal is replayed before anything else.
  fs_.ClearFaults();
  EXPECT_EQ(**backend_->Get("y"), "2");
  EXPECT_EQ(**backend_->Get("x"), "2");
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/batch.journal"));
}

// Random operations, some of them failing in random ways, each failure
// followed by a power cut. Acknowledged writes must all survive; a failed
// one may or may not survive but is never half there.
TEST_F(FileBackendFaultTest, PowerCutsKeepEveryAcknowledgedWrite) {
  std::mt19937 rng(20240611);
  State model;
  auto key = [&] { return "r/" + std::to_string(rng() % 4) + "/k" + std::to_string(rng() % 6); };
  for (int step = 0; step < 120; ++step) {
    std::vector<Operation> ops;
    int kind = rng() % 3;
    int count = kind == 2 ? 3 : 1;
    for (int i = 0; i < count; ++i) {
      bool put = kind == 2 ? rng() % 3 != 0 : kind == 0;
      std::string k = key();
      ops.push_back(
          put ? Operation::Put(k, "v" + std::to_string(step) + std::string(rng() % 3000, 'x'))
              : Operation::Delete(k));
    }
    State after = model;
    for (const Operation& op : ops) {
      if (op.type == Operation::Type::kPut) {
        after[op.key] = op.value;
      } else {
        after.erase(op.key);
      }
    }
    int fault = rng() % 10;
    switch (fault) {
      case 0:
        fs_.FailNextWrites(1);
        break;
      case 1:
        fs_.SetFailSyncFile(true);
        break;
      case 2:
        fs_.SetFailSyncDir(true);
        break;
      case 3:
        fs_.SetDiskFull(true);
        break;
      case 4:
        fs_.CrashAfterMutations(rng() % 20);
        break;
      default:
        break;  // No fault.
    }
    Status status = kind == 2                              ? backend_->Batch(ops)
                    : ops[0].type == Operation::Type::kPut ? backend_->Put(ops[0].key, ops[0].value)
                                                           : backend_->Delete(ops[0].key);
    if (status.ok()) {
      model = after;
      if (rng() % 8 == 0) {
        PowerCutAndReopen();
        ASSERT_EQ(ReadAll(), model) << "step " << step;
      }
      fs_.ClearFaults();
      continue;
    }
    PowerCutAndReopen();
    State found = ReadAll();
    ASSERT_TRUE(found == model || found == after)
        << "step " << step << " fault " << fault << ": " << status.ToString();
    model = found;
  }
  PowerCutAndReopen();
  EXPECT_EQ(ReadAll(), model);
  EXPECT_FALSE(HasTempFiles());
}

// A batch interrupted by a power cut at each of its steps in turn, and the
// recovery interrupted at each of its steps too: after the final reopen the
// batch is applied entirely or not at all.
TEST_F(FileBackendFaultTest, BatchCutAtEveryStepIsAllOrNothing) {
  const std::vector<Operation> batch{Operation::Put("a/x", "new-x"), Operation::Delete("a/gone"),
                                     Operation::Put("b/c/y", "new-y"),
                                     Operation::Put("a/x", "final-x")};
  const State before{{"a/x", "old-x"}, {"a/gone", "old"}, {"z", "untouched"}};
  const State after{{"a/x", "final-x"}, {"b/c/y", "new-y"}, {"z", "untouched"}};
  auto reset_to_before = [&] {
    backend_.reset();
    std::filesystem::remove_all(tmp_.path() + "/data");
    std::filesystem::remove(tmp_.path() + "/batch.journal");
    Reopen();
    for (const auto& [k, v] : before) ASSERT_TRUE(backend_->Put(k, v).ok());
  };

  reset_to_before();
  std::size_t start = fs_.MutationCountForTest();
  ASSERT_TRUE(backend_->Batch(batch).ok());
  std::size_t steps = fs_.MutationCountForTest() - start;
  ASSERT_GT(steps, 10u);

  int saw_before = 0, saw_after = 0, recoveries_cut = 0;
  for (std::size_t cut = 0; cut <= steps; ++cut) {
    reset_to_before();
    fs_.CrashAfterMutations(cut);
    Status status = backend_->Batch(batch);
    // Only the journal's removal comes after the last op: a cut there may
    // still acknowledge the (complete, durable) batch.
    EXPECT_TRUE(status.ok() == (cut == steps) || cut + 2 >= steps) << cut;
    backend_.reset();
    fs_.ClearFaults();
    ASSERT_TRUE(fs_.DropUnsyncedData().ok());

    // Cut the recovery at every step as well, when there is one to cut.
    std::string saved = tmp_.path() + "-saved";
    std::filesystem::remove_all(saved);
    std::filesystem::copy(tmp_.path(), saved, std::filesystem::copy_options::recursive);
    for (std::size_t recovery_cut = 0;; ++recovery_cut) {
      std::filesystem::remove_all(tmp_.path());
      std::filesystem::copy(saved, tmp_.path(), std::filesystem::copy_options::recursive);
      FaultInjectingFilesystem fresh(&disk_);  // Everything restored counts as durable.
      fresh.CrashAfterMutations(recovery_cut);
      auto opened = FileBackend::Open(tmp_.path(), &fresh);
      if (opened.ok()) break;
      ++recoveries_cut;
      fresh.ClearFaults();
      ASSERT_TRUE(fresh.DropUnsyncedData().ok());
      auto again = FileBackend::Open(tmp_.path(), &fresh);
      ASSERT_TRUE(again.ok()) << again.status().ToString();
      backend_ = std::move(*again);
      State found = ReadAll();
      ASSERT_TRUE(found == before || found == after) << "cut " << cut << "/" << recovery_cut;
      backend_.reset();
      ASSERT_LT(recovery_cut, 200u);
    }
    std::filesystem::remove_all(saved);

    Reopen();
    State found = ReadAll();
    ASSERT_TRUE(found == before || found == after) << "cut at step " << cut << " of " << steps;
    if (status.ok()) {
      EXPECT_EQ(found, after) << "acknowledged batch lost at cut " << cut;
    }
    (found == after ? saw_after : saw_before)++;
    EXPECT_FALSE(HasTempFiles()) << cut;
    EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/batch.journal")) << cut;
  }
  // Early cuts lose the batch, late ones (journal durable) keep it.
  EXPECT_GT(saw_before, 0);
  EXPECT_GT(saw_after, 0);
  EXPECT_GT(recoveries_cut, 0);
}

}  // namespace
}  // namespace tresor::storage
