#include "snapshot/sums_seal.h"

#include <gtest/gtest.h>

#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

TEST(SumsSealTest, ArchiveOfClusterAVerifiesOnlyWithA) {
  ClusterForTest a;
  ClusterForTest b;
  const Records records = {{"core/keyring", "x"}, {"logical/1/s", "y"}};
  std::string archive = WriteForTest(records, a.seal());

  ReadResultForTest with_a = ReadForTest(archive, &a.seal());
  ASSERT_TRUE(with_a.status.ok()) << with_a.status.ToString();
  EXPECT_EQ(with_a.records, records);

  ReadResultForTest with_b = ReadForTest(archive, &b.seal());
  EXPECT_EQ(with_b.status.code(), StatusCode::kPermissionDenied);
  EXPECT_NE(with_b.status.message().find("not taken from this cluster"), std::string::npos);
  EXPECT_NE(with_b.status.message().find("snapshot-force"), std::string::npos);

  EXPECT_TRUE(ReadForTest(archive, nullptr).status.ok());
}

TEST(SumsSealTest, SealedBarrierCannotSealOrVerify) {
  ClusterForTest cluster;
  auto sealed = cluster.seal().Seal("sums");
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(cluster.seal().Verify("sums", *sealed).ok());
  EXPECT_EQ(cluster.seal().Verify("other sums", *sealed).code(), StatusCode::kPermissionDenied);
  cluster.barrier().Seal();
  EXPECT_EQ(cluster.seal().Seal("sums").status().code(), StatusCode::kSealed);
  EXPECT_EQ(cluster.seal().Verify("sums", *sealed).code(), StatusCode::kSealed);
}

}  // namespace
}  // namespace tresor::snapshot
