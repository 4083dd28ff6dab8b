#include "raft/applier.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/temp_dir_for_test.h"
#include "raft/state_image.h"
#include "raft/state_store.h"

namespace tresor::raft {
namespace {

class ApplierTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(64 << 20); }

  void Open(std::size_t map_size) {
    applier_.reset();
    store_.reset();
    auto store = StateStore::Open(dir_.path() + "/state" + std::to_string(map_size), map_size);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    applier_ = std::make_unique<Applier>(*store_);
  }

  // Adds a put at `index` (not published) and records its answer in `out`.
  void AddPut(std::uint64_t index, std::string key, std::string value, Status* out) {
    applier_->Add(index, std::vector<StateOp>{StateOp::Put(std::move(key), std::move(value))},
                  100, /*published=*/false);
    applier_->AnswerLast([out](Status answer) { *out = std::move(answer); });
  }

  TempDirForTest dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Applier> applier_;
};

TEST_F(ApplierTest, EntriesAreCommittedInOrderAndEachWriterGetsItsEntrysResult) {
  constexpr int kEntries = 10;
  std::vector<Status> answers(kEntries, InternalError("not answered"));
  for (int i = 0; i < kEntries; ++i) {
    // Entry 4's key is longer than the store takes: its own error, nobody else's.
    std::string key = i == 4 ? std::string(kMaxStateKeyBytes + 1, 'k') : "k" + std::to_string(i);
    AddPut(i + 1, key, "v" + std::to_string(i), &answers[i]);
  }
  ASSERT_TRUE(applier_->Drain().ok());
  for (int i = 0; i < kEntries; ++i) {
    if (i == 4) {
      EXPECT_EQ(answers[i].code(), StatusCode::kInvalidArgument) << answers[i].ToString();
    } else {
      EXPECT_TRUE(answers[i].ok()) << i << ": " << answers[i].ToString();
      EXPECT_EQ(*store_->Get("k" + std::to_string(i)), "v" + std::to_string(i));
    }
  }
  EXPECT_EQ(store_->AppliedIndex(), static_cast<std::uint64_t>(kEntries));
  EXPECT_EQ(applier_->group_commits(), 1u) << "one hand-off, one commit";
}

TEST_F(ApplierTest, AnAnswerAfterAllComesOnceEveryEarlierEntryIsCommitted) {
  Status first, second;
  AddPut(1, "a", "1", &first);
  AddPut(2, "b", "2", &second);
  std::uint64_t seen_index = 0;
  applier_->AnswerAfterAll([&](Status answer) {
    EXPECT_TRUE(answer.ok());
    seen_index = store_->AppliedIndex();
  });
  ASSERT_TRUE(applier_->Drain().ok());
  EXPECT_EQ(seen_index, 2u);
}

TEST_F(ApplierTest, ALoneEntryIsCommittedByTheCallerAndABatchByTheApplier) {
  std::thread::id lone_thread, batch_thread;
  applier_->Add(1, std::vector<StateOp>{StateOp::Put("lone", "1")}, 10, false);
  applier_->AnswerLast([&](Status) { lone_thread = std::this_thread::get_id(); });
  applier_->HandOff();
  EXPECT_EQ(lone_thread, std::this_thread::get_id()) << "answered before HandOff returned";
  EXPECT_EQ(*store_->Get("lone"), "1");

  for (std::uint64_t i = 2; i < 2 + Applier::kInlineEntries + 1; ++i) {
    applier_->Add(i, std::vector<StateOp>{StateOp::Put("b" + std::to_string(i), "1")}, 10, false);
  }
  applier_->AnswerLast([&](Status) { batch_thread = std::this_thread::get_id(); });
  ASSERT_TRUE(applier_->Drain().ok());
  EXPECT_NE(batch_thread, std::thread::id());
  EXPECT_NE(batch_thread, std::this_thread::get_id());
}

TEST_F(ApplierTest, AnUndecodableEntryIsAppliedWithItsErrorAsTheAnswer) {
  Status answer;
  applier_->Add(1, CorruptionError("not a command"), 10, false);
  applier_->AnswerLast([&](Status a) { answer = std::move(a); });
  Status after;
  AddPut(2, "a", "1", &after);
  ASSERT_TRUE(applier_->Drain().ok());
  EXPECT_EQ(answer.code(), StatusCode::kCorruption);
  EXPECT_TRUE(after.ok());
  EXPECT_EQ(store_->AppliedIndex(), 2u);
}

// A published write was already answered Ok and seen by readers: a store
// that refuses it (here a full map) breaks the applier, every later writer
// is refused, and readers waiting for the commit stop waiting.
TEST_F(ApplierTest, APublishedEntryTheStoreRefusesBreaksTheApplier) {
  Open(256 << 10);
  const std::string big(1 << 20, 'v');
  std::vector<StateOp> ops{StateOp::Put("big", big)};
  ASSERT_TRUE(StateStore::Publishable(ops));
  store_->Publish(1, ops);
  EXPECT_EQ(*store_->Get("big"), big);
  applier_->Add(1, ops, big.size(), /*published=*/true);
  Status later;
  AddPut(2, "small", "1", &later);
  Status drained = applier_->Drain();
  EXPECT_EQ(drained.code(), StatusCode::kUnavailable) << drained.ToString();
  EXPECT_EQ(applier_->Broken().code(), StatusCode::kUnavailable);
  EXPECT_EQ(later.code(), StatusCode::kUnavailable) << later.ToString();
  auto listed = store_->ListPage("", "", 0);
  EXPECT_EQ(listed.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tresor::raft
