// The bad-input table for every KV v2 endpoint: each row must be answered
// 400 with its message, and leave storage exactly as it was.
#include <string>
#include <vector>

#include "engines/secrets/kv/kv_engine_for_test.h"

namespace tresor::engines::kv {
namespace {

using logical::Operation;
using nlohmann::json;

struct BadInput {
  std::string name;
  Operation op;
  std::string path;
  json body;
  std::map<std::string, std::string> query;
  std::string message;  // the exact 400 message
};

json ThousandAndOneVersions() {
  json list = json::array();
  for (int i = 1; i <= 1001; ++i) list.push_back(i);
  return list;
}

std::vector<BadInput> Rows() {
  const std::string kDataObject = "data: expected an object, got ";
  const std::string kVersions = "versions: expected positive version numbers, got ";
  return {
      // data/ writes
      {"no body", Operation::kUpdate, "data/s", nullptr, {}, "no data provided"},
      {"no data",
       Operation::kUpdate,
       "data/s",
       {{"options", json::object()}},
       {},
       "no data provided"},
      {"data string", Operation::kUpdate, "data/s", {{"data", "x"}}, {}, kDataObject + "a string"},
      {"data list", Operation::kUpdate, "data/s", {{"data", {1, 2}}}, {}, kDataObject + "a list"},
      {"data number", Operation::kUpdate, "data/s", {{"data", 5}}, {}, kDataObject + "an integer"},
      {"options string",
       Operation::kUpdate,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", "x"}},
       {},
       "options: expected an object, got a string"},
      {"cas string",
       Operation::kUpdate,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", {{"cas", "1"}}}},
       {},
       "cas: expected an integer, got a string"},
      {"cas fraction",
       Operation::kUpdate,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", {{"cas", 1.5}}}},
       {},
       "cas: expected an integer, got a number with a fraction"},
      {"cas mismatch",
       Operation::kUpdate,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", {{"cas", 7}}}},
       {},
       "check-and-set parameter did not match the current version"},
      {"cas negative",
       Operation::kUpdate,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", {{"cas", -1}}}},
       {},
       "check-and-set parameter did not match the current version"},
      {"dot segment",
       Operation::kUpdate,
       "data/a/../b",
       {{"data", {{"a", 1}}}},
       {},
       "invalid path: empty, '.' or '..' segment"},
      {"empty segment",
       Operation::kUpdate,
       "data/a//b",
       {{"data", {{"a", 1}}}},
       {},
       "invalid path: empty, '.' or '..' segment"},
      // data/ patch
      {"patch no data",
       Operation::kPatch,
       "data/s",
       {{"options", json::object()}},
       {},
       "no data provided"},
      {"patch data list", Operation::kPatch, "data/s", {{"data", {1}}}, {}, kDataObject + "a list"},
      {"patch cas mismatch",
       Operation::kPatch,
       "data/s",
       {{"data", {{"a", 1}}}, {"options", {{"cas", 9}}}},
       {},
       "check-and-set parameter did not match the current version"},
      // data/ and subkeys/ reads
      {"version abc",
       Operation::kRead,
       "data/s",
       nullptr,
       {{"version", "abc"}},
       "version: expected an integer, got \"abc\""},
      {"version -1",
       Operation::kRead,
       "data/s",
       nullptr,
       {{"version", "-1"}},
       "version: must not be negative"},
      {"version 1.5",
       Operation::kRead,
       "data/s",
       nullptr,
       {{"version", "1.5"}},
       "version: expected an integer, got \"1.5\""},
      {"version huge",
       Operation::kRead,
       "data/s",
       nullptr,
       {{"version", "99999999999999999999"}},
       "version: expected an integer, got \"99999999999999999999\""},
      {"subkeys depth abc",
       Operation::kRead,
       "subkeys/s",
       nullptr,
       {{"depth", "abc"}},
       "depth: expected an integer, got \"abc\""},
      {"subkeys depth -1",
       Operation::kRead,
       "subkeys/s",
       nullptr,
       {{"depth", "-1"}},
       "depth: must not be negative"},
      {"subkeys version -1",
       Operation::kRead,
       "subkeys/s",
       nullptr,
       {{"version", "-1"}},
       "version: must not be negative"},
      // delete/, undelete/, destroy/
      {"delete no versions",
       Operation::kUpdate,
       "delete/s",
       json::object(),
       {},
       "No version number provided"},
      {"delete empty list",
       Operation::kUpdate,
       "delete/s",
       {{"versions", json::array()}},
       {},
       "No version number provided"},
      {"undelete no versions",
       Operation::kUpdate,
       "undelete/s",
       nullptr,
       {},
       "No version number provided"},
      {"destroy no versions",
       Operation::kUpdate,
       "destroy/s",
       {{"versions", ""}},
       {},
       "no version number provided"},
      {"delete abc",
       Operation::kUpdate,
       "delete/s",
       {{"versions", "abc"}},
       {},
       kVersions + "\"abc\""},
      {"delete -1", Operation::kUpdate, "delete/s", {{"versions", {-1}}}, {}, kVersions + "\"-1\""},
      {"delete 0", Operation::kUpdate, "delete/s", {{"versions", {0}}}, {}, kVersions + "\"0\""},
      {"undelete fraction",
       Operation::kUpdate,
       "undelete/s",
       {{"versions", {1.5}}},
       {},
       kVersions + "\"1.5\""},
      {"destroy mixed",
       Operation::kUpdate,
       "destroy/s",
       {{"versions", {"1", "x"}}},
       {},
       kVersions + "\"x\""},
      {"destroy comma junk",
       Operation::kUpdate,
       "destroy/s",
       {{"versions", "1,,2"}},
       {},
       kVersions + "\"\""},
      {"destroy object",
       Operation::kUpdate,
       "destroy/s",
       {{"versions", {{"a", 1}}}},
       {},
       "versions: expected a list of version numbers, got an object"},
      {"destroy bool",
       Operation::kUpdate,
       "destroy/s",
       {{"versions", true}},
       {},
       "versions: expected a list of version numbers, got a boolean"},
      {"delete huge list",
       Operation::kUpdate,
       "delete/s",
       {{"versions", ThousandAndOneVersions()}},
       {},
       "versions: at most 1000 version numbers per request"},
      // config
      {"config max_versions string",
       Operation::kUpdate,
       "config",
       {{"max_versions", "5"}},
       {},
       "max_versions: expected an integer, got a string"},
      {"config max_versions -1",
       Operation::kUpdate,
       "config",
       {{"max_versions", -1}},
       {},
       "max_versions: must not be negative"},
      {"config max_versions huge",
       Operation::kUpdate,
       "config",
       {{"max_versions", 5000000000LL}},
       {},
       "max_versions: integer out of range"},
      {"config cas_required string",
       Operation::kUpdate,
       "config",
       {{"cas_required", "yes"}},
       {},
       "cas_required: expected a boolean, got a string"},
      {"config dva list",
       Operation::kUpdate,
       "config",
       {{"delete_version_after", {1}}},
       {},
       "delete_version_after: expected a duration, got a list"},
      {"config dva bool",
       Operation::kUpdate,
       "config",
       {{"delete_version_after", true}},
       {},
       "delete_version_after: expected a duration, got a boolean"},
      // metadata/
      {"metadata max_versions -1",
       Operation::kUpdate,
       "metadata/s",
       {{"max_versions", -1}},
       {},
       "max_versions: must not be negative"},
      {"metadata cas_required 1",
       Operation::kUpdate,
       "metadata/s",
       {{"cas_required", 1}},
       {},
       "cas_required: expected a boolean, got an integer"},
      {"metadata dva negative",
       Operation::kUpdate,
       "metadata/s",
       {{"delete_version_after", "-1h"}},
       {},
       "delete_version_after: must not be negative"},
      {"metadata dva negative int",
       Operation::kUpdate,
       "metadata/s",
       {{"delete_version_after", -5}},
       {},
       "delete_version_after: must not be negative"},
      {"metadata custom list",
       Operation::kUpdate,
       "metadata/s",
       {{"custom_metadata", {1}}},
       {},
       "custom_metadata: expected an object, got a list"},
      {"metadata no path",
       Operation::kUpdate,
       "metadata",
       {{"max_versions", 1}},
       {},
       "missing path"},
      {"metadata patch bad",
       Operation::kPatch,
       "metadata/s",
       {{"max_versions", "x"}},
       {},
       "max_versions: expected an integer, got a string"},
  };
}

class KvV2BadInputTest : public KvEngineTest {
 protected:
  void SetUp() override {
    MakeEngine("2");
    Ok(Operation::kUpdate, "data/s", {{"data", {{"a", 1}}}});
    Ok(Operation::kUpdate, "data/s", {{"data", {{"a", 2}}}});
  }
};

TEST_F(KvV2BadInputTest, EveryRowIs400AndChangesNothing) {
  auto before = StorageSnapshot();
  for (const BadInput& row : Rows()) {
    SCOPED_TRACE(row.name);
    auto r = Do(row.op, row.path, row.body, row.query);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), row.message);
  }
  EXPECT_EQ(StorageSnapshot(), before);
}

TEST_F(KvV2BadInputTest, DurationTextErrorsNameTheField) {
  auto r = Do(Operation::kUpdate, "config", {{"delete_version_after", "abc"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("delete_version_after: ", 0), 0u) << r.status().message();
}

TEST_F(KvV2BadInputTest, WrongOperationsAreUnsupported) {
  const std::pair<Operation, std::string> rows[] = {
      {Operation::kDelete, "config"},    {Operation::kList, "config"},
      {Operation::kRead, "delete/s"},    {Operation::kDelete, "destroy/s"},
      {Operation::kUpdate, "subkeys/s"}, {Operation::kList, "data/s"},
  };
  for (const auto& [op, path] : rows) {
    SCOPED_TRACE(path);
    auto r = Do(op, path, json::object());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kUnsupportedOperation);
  }
}

}  // namespace
}  // namespace tresor::engines::kv
