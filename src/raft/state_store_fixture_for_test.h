// StateStoreTest: a fixture with one StateStore in a temporary directory,
// for the StateStore tests (state_store_test.cc, state_store_install_test.cc).
// Threads: the test's thread.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/temp_dir_for_test.h"
#include "raft/state_store.h"

namespace tresor::raft {

using Names = std::vector<std::string>;

class StateStoreTest : public ::testing::Test {
 protected:
  static constexpr std::size_t kMapSize = 64 << 20;

  void SetUp() override { store_ = OpenStore(); }

  std::string StoreDir() const { return dir_.path() + "/state"; }

  std::unique_ptr<StateStore> OpenStore(std::size_t map_size = kMapSize) {
    auto store = StateStore::Open(StoreDir(), map_size);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Closes the store and opens it again, as a restart does.
  void Reopen() {
    store_.reset();
    store_ = OpenStore();
  }

  // Stages one entry and commits it on its own.
  void Apply(std::uint64_t index, const std::vector<StateOp>& ops) {
    ASSERT_TRUE(store_->Stage(index, ops).ok());
    ASSERT_TRUE(store_->Commit().ok());
  }

  std::optional<std::string> Read(std::string_view key) {
    auto value = store_->Get(key);
    EXPECT_TRUE(value.ok()) << value.status().ToString();
    return value.ok() ? *value : std::nullopt;
  }

  Names List(std::string_view prefix, std::string_view after = {}, std::size_t limit = 0) {
    auto names = store_->ListPage(prefix, after, limit);
    EXPECT_TRUE(names.ok()) << names.status().ToString();
    return names.ok() ? *names : Names{};
  }

  TempDirForTest dir_;
  std::unique_ptr<StateStore> store_;
};

}  // namespace tresor::raft
