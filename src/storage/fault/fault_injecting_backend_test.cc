#include "storage/fault/fault_injecting_backend.h"

#include <gtest/gtest.h>

#include "storage/inmem/inmem_backend.h"

namespace tresor::storage {
namespace {

TEST(FaultInjectingBackend, ForwardsAndCountsEveryCall) {
  InmemBackend base;
  FaultInjectingBackend b(&base);
  ASSERT_TRUE(b.Put("a/b", "1").ok());
  EXPECT_EQ(**b.Get("a/b"), "1");
  EXPECT_EQ(*b.List("a/"), std::vector<std::string>{"b"});
  ASSERT_TRUE(b.Batch({Operation::Put("c", "2")}).ok());
  ASSERT_TRUE(b.Delete("a/b").ok());
  EXPECT_EQ(**base.Get("c"), "2");
  EXPECT_EQ(b.GetCountForTest(), 1u);
  EXPECT_EQ(b.PutCountForTest(), 1u);
  EXPECT_EQ(b.ListCountForTest(), 1u);
  EXPECT_EQ(b.BatchCountForTest(), 1u);
  EXPECT_EQ(b.DeleteCountForTest(), 1u);
  b.ResetCountsForTest();
  EXPECT_EQ(b.GetCountForTest() + b.PutCountForTest() + b.ListCountForTest(), 0u);
}

TEST(FaultInjectingBackend, FailedWritesNeverReachTheBackend) {
  InmemBackend base;
  FaultInjectingBackend b(&base);
  ASSERT_TRUE(b.Put("k", "old").ok());
  b.SetFailWrites(true);
  EXPECT_EQ(b.Put("k", "new").code(), StatusCode::kIOError);
  EXPECT_EQ(b.Delete("k").code(), StatusCode::kIOError);
  EXPECT_EQ(b.Batch({Operation::Put("k", "new")}).code(), StatusCode::kIOError);
  EXPECT_EQ(**b.Get("k"), "old");      // Reads still work.
  EXPECT_EQ(b.PutCountForTest(), 2u);  // Failed calls are counted too.
  b.ClearFaults();

  b.SetFailReads(true);
  EXPECT_EQ(b.Get("k").status().code(), StatusCode::kIOError);
  EXPECT_EQ(b.List("").status().code(), StatusCode::kIOError);
  EXPECT_TRUE(b.Put("k", "newer").ok());
  b.ClearFaults();
  EXPECT_EQ(**b.Get("k"), "newer");
}

TEST(FaultInjectingBackend, FullDiskRefusesPutsButAllowsDeletes) {
  InmemBackend base;
  FaultInjectingBackend b(&base);
  ASSERT_TRUE(b.Put("k", "v").ok());
  b.SetDiskFull(true);
  EXPECT_EQ(b.Put("j", "v").code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(b.Batch({Operation::Put("j", "v")}).code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(b.Delete("k").ok());
  EXPECT_FALSE(base.Get("j")->has_value());
  EXPECT_FALSE(base.Get("k")->has_value());
}

TEST(FaultInjectingBackend, FailAfterOperationsLetsExactlyNThrough) {
  auto owned = std::make_unique<InmemBackend>();
  InmemBackend* base = owned.get();
  FaultInjectingBackend b(std::move(owned));
  b.FailAfterOperations(2);
  EXPECT_TRUE(b.Put("a", "1").ok());
  EXPECT_TRUE(b.Get("a").ok());
  EXPECT_EQ(b.Put("b", "2").code(), StatusCode::kIOError);
  EXPECT_EQ(b.Get("a").status().code(), StatusCode::kIOError);
  EXPECT_FALSE(base->Get("b")->has_value());
  b.ClearFaults();
  EXPECT_TRUE(b.Put("b", "2").ok());
}

}  // namespace
}  // namespace tresor::storage
