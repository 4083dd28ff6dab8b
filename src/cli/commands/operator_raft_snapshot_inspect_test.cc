// `operator raft snapshot inspect` on archives written by snapshot/'s
// writer: the key/value block and the prefix table, -details=false,
// -depth, -format=json, and the errors (missing file, damaged file, not a
// snapshot, usage) with exit code 2 and a message on stderr.
#include <fcntl.h>
#include <unistd.h>

#include <fstream>

#include "cli/commands/command_fixture_for_test.h"
#include "snapshot/archive_writer.h"

namespace tresor::cli {
namespace {

// The CLI never checks the seal; any SumsSeal will do for writing.
class PlainSumsSeal final : public snapshot::SumsSeal {
 public:
  StatusOr<std::string> Seal(std::string_view sums) const override {
    return "sealed:" + std::string(sums);
  }
  Status Verify(std::string_view, std::string_view) const override { return Status::Ok(); }
};

class OperatorRaftSnapshotInspectTest : public CommandTest {
 protected:
  void SetUp() override {
    CommandTest::SetUp();
    path_ = home_ + "/raft.snap";
    snapshot::Meta meta;
    meta.id = "3-42-1767225600000";
    meta.index = 42;
    meta.term = 3;
    meta.created_at = "2026-01-01T00:00:00Z";
    meta.cluster_id = "cluster-a";
    meta.keyring_term = 2;
    const std::vector<std::pair<std::string, std::string>> records = {
        {"core/keyring", "12345"},   {"core/mounts", "1234567890"}, {"logical/a1/data/x", "v"},
        {"logical/a1/data/y", "vv"}, {"logical/b2/data/z", "vvv"},  {"sys/token/id/t1", "tok"}};
    std::ofstream file(path_, std::ios::binary);
    Status status = snapshot::WriteArchive(
        meta,
        [&](const snapshot::RecordVisitor& visit) -> Status {
          for (const auto& [key, value] : records) TRESOR_RETURN_IF_ERROR(visit(key, value));
          return Status::Ok();
        },
        PlainSumsSeal(),
        [&](std::string_view chunk) {
          archive_.append(chunk);
          file.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
          return Status::Ok();
        });
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  void WriteFile(const std::string& bytes) {
    std::ofstream file(path_, std::ios::binary | std::ios::trunc);
    file << bytes;
  }

  std::string path_;
  std::string archive_;
};

// state.bin: 8 magic + 6 records x 8 length bytes + 89 key + 24 value bytes.
constexpr char kMetaBlock[] =
    "ID              3-42-1767225600000\n"
    "Size            169\n"
    "Index           42\n"
    "Term            3\n"
    "Version         1\n"
    "Created         2026-01-01T00:00:00Z\n"
    "Cluster ID      cluster-a\n"
    "Keyring Term    2\n";

TEST_F(OperatorRaftSnapshotInspectTest, PrintsMetaAndPrefixTable) {
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_}), 0) << err();
  EXPECT_EQ(out(), std::string(kMetaBlock) +
                       "\n"
                       "Key Name       Count    Size\n"
                       "--------       -----    ----\n"
                       "core/          2        38\n"
                       "logical/a1/    2        37\n"
                       "logical/b2/    1        20\n"
                       "sys/token/     1        18\n"
                       "----           -----    ----\n"
                       "Total          6        113\n");
  EXPECT_EQ(err(), "");
}

TEST_F(OperatorRaftSnapshotInspectTest, DepthAndDetailsFlags) {
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", "-depth=1", path_}), 0) << err();
  EXPECT_NE(out().find("logical/    3        57\n"), std::string::npos) << out();
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", "-details=false", path_}), 0) << err();
  EXPECT_EQ(out(), kMetaBlock);
}

TEST_F(OperatorRaftSnapshotInspectTest, JsonFormat) {
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", "-format=json", "-depth=1", path_}), 0)
      << err();
  Json json = Json::parse(out());
  EXPECT_EQ(json["meta"]["id"], "3-42-1767225600000");
  EXPECT_EQ(json["meta"]["index"], 42);
  EXPECT_EQ(json["meta"]["size"], 169);
  EXPECT_EQ(json["meta"]["keyring_term"], 2);
  EXPECT_EQ(json["total_count"], 6);
  EXPECT_EQ(json["total_size"], 113);
  EXPECT_EQ(json["keys"], Json::parse(R"([{"name":"logical/","count":3,"size":57},
    {"name":"core/","count":2,"size":38},{"name":"sys/","count":1,"size":18}])"));
}

TEST_F(OperatorRaftSnapshotInspectTest, MissingFileExitsTwo) {
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", home_ + "/nope.snap"}), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(),
            "Error opening snapshot file " + home_ + "/nope.snap: No such file or directory\n");
}

TEST_F(OperatorRaftSnapshotInspectTest, DamagedFileExitsTwoAndPrintsNothingElse) {
  std::string damaged = archive_;
  damaged[damaged.size() - 3] ^= 0x01;  // the gzip trailer's length
  WriteFile(damaged);
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_}), 2);
  EXPECT_EQ(out(), "");
  EXPECT_EQ(err(), "Error inspecting snapshot " + path_ +
                       ": snapshot is damaged: the gzip checksum does not match the data (the "
                       "file was altered or truncated)\n");

  WriteFile(archive_.substr(0, archive_.size() / 2));
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_}), 2);
  EXPECT_NE(err().find("snapshot is damaged or truncated"), std::string::npos) << err();

  WriteFile("just some text");
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_}), 2);
  EXPECT_NE(err().find("not a Tresor snapshot: the file is not gzip-compressed"), std::string::npos)
      << err();
}

TEST_F(OperatorRaftSnapshotInspectTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect"}), 2);
  EXPECT_NE(err().find("Incorrect number of arguments (expected 1, got 0)"), std::string::npos);
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_, path_}), 2);
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", "-depth=0", path_}), 2);
  EXPECT_NE(err().find("-depth must be at least 1"), std::string::npos);
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", "-format=yaml", path_}), 2);
  EXPECT_EQ(out(), "");
}

TEST_F(OperatorRaftSnapshotInspectTest, NeedsNoServerAndNoToken) {
  unsetenv("TRESOR_TOKEN");
  setenv("TRESOR_ADDR", "http://127.0.0.1:1", 1);  // nothing listens there
  EXPECT_EQ(Run({"operator", "raft", "snapshot", "inspect", path_}), 0) << err();
  unsetenv("TRESOR_ADDR");
}

}  // namespace
}  // namespace tresor::cli
