#include "raft/state_overlay.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "raft/state_store.h"

namespace tresor::raft {
namespace {

using Found = std::optional<std::optional<std::string>>;

TEST(StateOverlayTest, FindsTheNewestWriteOfAKeyAndNothingElse) {
  StateOverlay overlay;
  EXPECT_EQ(overlay.Find("a"), std::nullopt);
  overlay.Add(1, {StateOp::Put("a", "1"), StateOp::Put("b", "1")});
  overlay.Add(2, {StateOp::Put("a", "2"), StateOp::Delete("b")});
  EXPECT_EQ(overlay.Find("a"), Found(std::optional<std::string>("2")));
  EXPECT_EQ(overlay.Find("b"), Found(std::optional<std::string>()));  // deleted
  EXPECT_EQ(overlay.Find("c"), std::nullopt);                          // ask the store
  EXPECT_EQ(overlay.size(), 2u);
}

TEST(StateOverlayTest, RetiringForgetsCommittedWritesButKeepsLaterOnes) {
  StateOverlay overlay;
  overlay.Add(1, {StateOp::Put("a", "1"), StateOp::Put("b", "1")});
  overlay.Add(2, {StateOp::Put("a", "2")});
  overlay.RetireThrough(1);
  EXPECT_EQ(overlay.Find("b"), std::nullopt);
  EXPECT_EQ(overlay.Find("a"), Found(std::optional<std::string>("2")));
  overlay.RetireThrough(2);
  EXPECT_EQ(overlay.size(), 0u);
  EXPECT_EQ(overlay.Find("a"), std::nullopt);
}

TEST(StateOverlayTest, WaitUntilRetiredWaitsForWhatWasAddedBeforeTheCall) {
  StateOverlay overlay;
  EXPECT_TRUE(overlay.WaitUntilRetired().ok());  // nothing added: at once
  overlay.Add(4, {StateOp::Put("a", "1")});
  overlay.Add(5, {StateOp::Put("b", "1")});
  auto waiter = std::async(std::launch::async, [&] { return overlay.WaitUntilRetired(); });
  overlay.RetireThrough(4);
  EXPECT_EQ(waiter.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout)
      << "returned before entry 5 was committed";
  overlay.RetireThrough(5);
  EXPECT_TRUE(waiter.get().ok());
}

TEST(StateOverlayTest, AFailureEndsEveryWaitWithItsCause) {
  StateOverlay overlay;
  overlay.Add(1, {StateOp::Put("a", "1")});
  auto waiter = std::async(std::launch::async, [&] { return overlay.WaitUntilRetired(); });
  overlay.Fail(UnavailableError("the store failed"));
  Status waited = waiter.get();
  EXPECT_EQ(waited.code(), StatusCode::kUnavailable);
  EXPECT_EQ(overlay.WaitUntilRetired().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace tresor::raft
