#include "snapshot/inspect.h"

#include <gtest/gtest.h>

#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

const Records kInspectRecords = {
    {"core/keyring", "12345"},      // 12 + 5
    {"core/mounts", "1234567890"},  // 11 + 10
    {"logical/a1/data/x", "v"},     // 17 + 1
    {"logical/a1/data/y", "vv"},    // 17 + 2
    {"logical/a1/meta/x", "v"},     // 17 + 1
    {"logical/b2/data/z", "vvv"},   // 17 + 3
    {"sys/token/id/t1", "tok"},     // 15 + 3
    {"toplevel", "x"},              // 8 + 1
};

StatusOr<Inspection> Inspect(int depth) {
  ClusterForTest cluster;
  return InspectArchive(StringSourceForTest(WriteForTest(kInspectRecords, cluster.seal())), depth);
}

TEST(InspectTest, KeyPrefixCutsAtDepthSegments) {
  EXPECT_EQ(KeyPrefix("logical/a1/data/x", 1), "logical/");
  EXPECT_EQ(KeyPrefix("logical/a1/data/x", 2), "logical/a1/");
  EXPECT_EQ(KeyPrefix("logical/a1/data/x", 3), "logical/a1/data/");
  EXPECT_EQ(KeyPrefix("logical/a1/data/x", 9), "logical/a1/data/");
  EXPECT_EQ(KeyPrefix("core/keyring", 2), "core/");
  EXPECT_EQ(KeyPrefix("toplevel", 2), "toplevel");
}

TEST(InspectTest, CountsByPrefixAtDepthOne) {
  auto inspection = Inspect(1);
  ASSERT_TRUE(inspection.ok()) << inspection.status().ToString();
  EXPECT_EQ(inspection->prefixes,
            (std::vector<PrefixStats>{
                {"logical/", 4, 75}, {"core/", 2, 38}, {"sys/", 1, 18}, {"toplevel", 1, 9}}));
  EXPECT_EQ(inspection->total_count, 8u);
  EXPECT_EQ(inspection->total_bytes, 140u);
  EXPECT_EQ(inspection->meta.index, 42u);
}

TEST(InspectTest, CountsByPrefixAtDepthTwo) {
  auto inspection = Inspect(2);
  ASSERT_TRUE(inspection.ok()) << inspection.status().ToString();
  EXPECT_EQ(inspection->prefixes, (std::vector<PrefixStats>{{"logical/a1/", 3, 55},
                                                            {"core/", 2, 38},
                                                            {"logical/b2/", 1, 20},
                                                            {"sys/token/", 1, 18},
                                                            {"toplevel", 1, 9}}));
}

TEST(InspectTest, CountsByPrefixAtDepthThree) {
  auto inspection = Inspect(3);
  ASSERT_TRUE(inspection.ok()) << inspection.status().ToString();
  EXPECT_EQ(inspection->prefixes, (std::vector<PrefixStats>{{"core/", 2, 38},
                                                            {"logical/a1/data/", 2, 37},
                                                            {"logical/a1/meta/", 1, 18},
                                                            {"logical/b2/data/", 1, 20},
                                                            {"sys/token/id/", 1, 18},
                                                            {"toplevel", 1, 9}}));
}

TEST(InspectTest, RefusesBadDepthAndDamagedArchives) {
  EXPECT_EQ(Inspect(0).status().code(), StatusCode::kInvalidArgument);
  ClusterForTest cluster;
  std::string archive = WriteForTest(kInspectRecords, cluster.seal());
  archive[archive.size() / 2] ^= 0x10;
  auto inspection = InspectArchive(StringSourceForTest(archive), 2);
  EXPECT_EQ(inspection.status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace tresor::snapshot
