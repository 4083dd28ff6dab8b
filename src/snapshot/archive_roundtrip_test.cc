// WriteArchive then ReadArchive: records and meta come back identical,
// the archive is an ordinary tar.gz that tar and sha256sum accept, the
// writer refuses bad sources, and errors of sinks, sources and visitors
// come back unchanged.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "common/temp_dir_for_test.h"
#include "snapshot/archive_for_test.h"

namespace tresor::snapshot {
namespace {

Records MixedRecords() {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  return {{"core/keyring", "k"},
          {"core/mounts", ""},  // empty value
          {"logical/1234/data/\x01\xfe", binary},
          {"logical/1234/big", std::string(1 << 20, '\x5a')},  // 1 MiB value
          {"sys/token/id/abc", std::string(4000, 'v')}};
}

Records Sorted(Records records) {
  std::sort(records.begin(), records.end());
  return records;
}

class ArchiveRoundTripTest : public ::testing::Test {
 protected:
  ClusterForTest cluster_;
};

TEST_F(ArchiveRoundTripTest, RecordsAndMetaComeBackIdentical) {
  const Records records = Sorted(MixedRecords());
  std::string archive = WriteForTest(records, cluster_.seal());
  // Read in small and large pieces; with and without the seal check.
  for (std::size_t max_read : {std::size_t{1} << 16, std::size_t{777}}) {
    for (const SumsSeal* seal : {&cluster_.seal(), static_cast<const SumsSeal*>(nullptr)}) {
      ReadResultForTest read = ReadForTest(archive, seal, max_read);
      ASSERT_TRUE(read.status.ok()) << read.status.ToString();
      EXPECT_EQ(read.meta_calls, 1);
      Meta expected = MetaForTest();
      expected.size = EncodeStateForTest(records).size();
      EXPECT_EQ(read.meta, expected);
      EXPECT_EQ(read.records, records);
    }
  }
}

TEST_F(ArchiveRoundTripTest, NoRecords) {
  std::string archive = WriteForTest({}, cluster_.seal());
  ReadResultForTest read = ReadForTest(archive, &cluster_.seal());
  ASSERT_TRUE(read.status.ok()) << read.status.ToString();
  EXPECT_TRUE(read.records.empty());
  EXPECT_EQ(read.meta.size, kStateMagic.size());
}

TEST_F(ArchiveRoundTripTest, TarAndSha256sumAcceptTheArchive) {
  const Records records = Sorted(MixedRecords());
  std::string archive = WriteForTest(records, cluster_.seal());
  TempDirForTest tmp;
  const std::filesystem::path dir = tmp.path();
  { std::ofstream(dir / "snap.tar.gz", std::ios::binary) << archive; }
  const std::string listing = (dir / "listing").string();
  const std::string command = "cd " + dir.string() + " && tar tzf snap.tar.gz > " + listing +
                              " && mkdir x && tar xzf snap.tar.gz -C x && cd x && "
                              "sha256sum --quiet --strict -c SHA256SUMS";
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
  std::ifstream in(listing);
  std::string names((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(names, "meta.json\nstate.bin\nSHA256SUMS\nSHA256SUMS.sealed\n");
  std::ifstream state(dir / "x" / "state.bin", std::ios::binary);
  std::string state_bytes((std::istreambuf_iterator<char>(state)),
                          std::istreambuf_iterator<char>());
  EXPECT_EQ(state_bytes, EncodeStateForTest(records));
}

TEST_F(ArchiveRoundTripTest, WriterRefusesRecordsThatBreakTheRules) {
  const std::vector<std::pair<Records, std::string>> cases = {
      {{{"b", "1"}, {"a", "2"}}, "not greater than the previous key"},
      {{{"a", "1"}, {"a", "2"}}, "not greater than the previous key"},
      {{{"", "1"}}, "empty key"},
      {{{std::string(4097, 'k'), "1"}}, "more than the 4096 allowed"},
  };
  for (const auto& [records, message_part] : cases) {
    std::string out;
    Status status = WriteArchive(MetaForTest(), VectorSourceForTest(records), cluster_.seal(),
                                 StringSinkForTest(&out));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << message_part;
    EXPECT_NE(status.message().find(message_part), std::string::npos) << status.message();
    EXPECT_TRUE(out.empty()) << "the first pass must refuse before anything is written";
  }
  Meta version2 = MetaForTest();
  version2.version = 2;
  std::string out;
  EXPECT_EQ(
      WriteArchive(version2, VectorSourceForTest({}), cluster_.seal(), StringSinkForTest(&out))
          .code(),
      StatusCode::kInvalidArgument);
}

TEST_F(ArchiveRoundTripTest, WriterRefusesASourceWhoseTwoPassesDiffer) {
  // Each pass sees different data: an inconsistent read view.
  for (int variant = 0; variant < 3; ++variant) {
    int pass = 0;
    RecordSource changing = [&](const RecordVisitor& visit) -> Status {
      ++pass;
      TRESOR_RETURN_IF_ERROR(visit("a", "1"));
      if (variant == 0) return visit("b", pass == 1 ? "2" : "3");           // same size
      if (variant == 1) return pass == 1 ? visit("b", "2") : Status::Ok();  // shorter
      return visit("b", pass == 1 ? "2" : "22");                            // longer
    };
    std::string out;
    Status status = WriteArchive(MetaForTest(), changing, cluster_.seal(), StringSinkForTest(&out));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << variant;
    EXPECT_NE(status.message().find("second pass"), std::string::npos) << status.message();
    EXPECT_EQ(pass, 2);
  }
}

TEST_F(ArchiveRoundTripTest, ErrorsOfSinkSourceAndVisitorsComeBackUnchanged) {
  // Random bytes do not compress, so the archive spans many sink calls.
  const Records records = {{"a", "1"}, {"b", RandomBytes(300000)}};
  for (int failing_call : {1, 2, 5}) {
    int calls = 0;
    Status sink_status = WriteArchive(
        MetaForTest(), VectorSourceForTest(records), cluster_.seal(), [&](std::string_view) {
          return ++calls == failing_call ? IOError("disk full") : Status::Ok();
        });
    EXPECT_EQ(sink_status, IOError("disk full")) << failing_call;
    EXPECT_EQ(calls, failing_call) << "no write after the sink failed";
  }
  // Record source fails.
  Status source_status = WriteArchive(
      MetaForTest(), [](const RecordVisitor&) { return UnavailableError("no leader"); },
      cluster_.seal(), [](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(source_status, UnavailableError("no leader"));

  std::string archive = WriteForTest(records, cluster_.seal());
  // Byte source fails midway.
  auto inner = StringSourceForTest(archive, 1000);
  int calls = 0;
  Status read_status = ReadArchive(
      [&](char* buf, std::size_t cap) -> StatusOr<std::size_t> {
        if (++calls == 3) return IOError("connection reset");
        return inner(buf, cap);
      },
      ReadOptions{}, nullptr, nullptr);
  EXPECT_EQ(read_status, IOError("connection reset"));
  // Visitors fail.
  EXPECT_EQ(
      ReadArchive(
          StringSourceForTest(archive), ReadOptions{},
          [](const Meta&) { return FailedPreconditionError("wrong cluster state"); }, nullptr),
      FailedPreconditionError("wrong cluster state"));
  int seen = 0;
  EXPECT_EQ(ReadArchive(StringSourceForTest(archive), ReadOptions{}, nullptr,
                        [&](std::string_view, std::string_view) {
                          return ++seen == 2 ? IOError("staging full") : Status::Ok();
                        }),
            IOError("staging full"));
}

// ~200k records streamed from a generator through a hashing sink into a
// reader that keeps only counts: nothing holds the archive or the records.
TEST_F(ArchiveRoundTripTest, StreamsManyRecordsWithoutHoldingThem) {
  constexpr int kRecords = 200000;
  auto key_of = [](int i) {
    char key[32];
    std::snprintf(key, sizeof(key), "logical/%08d", i);
    return std::string(key);
  };
  RecordSource generator = [&](const RecordVisitor& visit) -> Status {
    std::string value(100, 'c');
    for (int i = 0; i < kRecords; ++i) {
      value[0] = static_cast<char>(i);
      TRESOR_RETURN_IF_ERROR(visit(key_of(i), value));
    }
    return Status::Ok();
  };
  // Through a temporary file (FileSink, FileSource), as save and restore do.
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  const int fd = fileno(file);
  ASSERT_TRUE(WriteArchive(MetaForTest(), generator, cluster_.seal(), FileSink(fd)).ok());
  ASSERT_EQ(lseek(fd, 0, SEEK_SET), 0);
  int count = 0;
  bool in_order = true;
  Status status = ReadArchive(FileSource(fd), ReadOptions{&cluster_.seal()}, nullptr,
                              [&](std::string_view key, std::string_view value) {
                                in_order = in_order && key == key_of(count) && value.size() == 100;
                                ++count;
                                return Status::Ok();
                              });
  std::fclose(file);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(count, kRecords);
  EXPECT_TRUE(in_order);
}

}  // namespace
}  // namespace tresor::snapshot
