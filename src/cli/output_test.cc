#include "cli/output.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

TEST(OutputTest, TableAlignsColumnsAndUnderlinesHeader) {
  std::string table = TableOutput(
      {{"Key", "Value"}, {"Seal Type", "shamir"}, {"Storage Type", "file"}, {"Unseal Nonce", ""}});
  EXPECT_EQ(table,
            "Key             Value\n"
            "---             -----\n"
            "Seal Type       shamir\n"
            "Storage Type    file\n"
            "Unseal Nonce    n/a\n");
}

TEST(OutputTest, ColumnsTrimCellsAndCountCodePoints) {
  EXPECT_EQ(ColumnOutput({{" a ", "1"}, {"\xC3\xA9t\xC3\xA9", "2"}}),
            "a      1\n"
            "\xC3\xA9t\xC3\xA9    2\n");
  EXPECT_EQ(ColumnOutput({}), "");
  EXPECT_EQ(TableOutput({}), "");
}

TEST(OutputTest, FormatValueLikeGo) {
  Json value = Json::parse(R"({"b":[1,"x",true],"a":null,"c":{"z":1,"y":"q"}})");
  EXPECT_EQ(FormatValue(value["a"]), "<nil>");
  EXPECT_EQ(FormatValue(value["b"]), "[1 x true]");
  EXPECT_EQ(FormatValue(value["c"]), "map[y:q z:1]");
  EXPECT_EQ(FormatValue(Json("plain")), "plain");
  EXPECT_EQ(FormatValue(Json(2.5)), "2.5");
}

TEST(OutputTest, KeyValueTableSortsKeys) {
  Json data = Json::parse(R"({"zeta":"last","alpha":"first"})");
  EXPECT_EQ(KeyValueTable(data),
            "Key      Value\n"
            "---      -----\n"
            "alpha    first\n"
            "zeta     last\n");
  EXPECT_EQ(KeyValueTable(Json::array()), "");
}

TEST(OutputTest, JsonIsTwoSpaceIndentedInOrder) {
  Json value = Json::object();
  value["sealed"] = true;
  value["n"] = 5;
  value["keys"] = Json::array({"a"});
  EXPECT_EQ(FormatJson(value),
            "{\n"
            "  \"sealed\": true,\n"
            "  \"n\": 5,\n"
            "  \"keys\": [\n"
            "    \"a\"\n"
            "  ]\n"
            "}\n");
}

TEST(OutputTest, FieldPrintsRawValue) {
  Json data = Json::parse(R"({"token":"s.abc","ttl":3600,"policies":["root"]})");
  EXPECT_EQ(*FormatField(data, "token"), "s.abc\n");
  EXPECT_EQ(*FormatField(data, "ttl"), "3600\n");
  EXPECT_EQ(*FormatField(data, "policies"), "[root]\n");
  auto missing = FormatField(data, "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(), "Field \"nope\" not present in secret");
  EXPECT_FALSE(FormatField(Json("scalar"), "token").ok());
}

TEST(OutputTest, WrapAtLength) {
  EXPECT_EQ(WrapAtLength("aaa bbb ccc", 7), "aaa bbb\nccc");
  EXPECT_EQ(WrapAtLength("averyveryverylongword x", 5), "averyveryverylongword\nx");
  EXPECT_EQ(WrapAtLength("one\ntwo three", 9), "one\ntwo three");
  std::string long_text(200, 'x');
  for (size_t i = 10; i < long_text.size(); i += 11) long_text[i] = ' ';
  for (const auto& line : std::vector<std::string>{WrapAtLength(long_text)}) {
    size_t start = 0;
    while (start < line.size()) {
      size_t end = line.find('\n', start);
      if (end == std::string::npos) end = line.size();
      EXPECT_LE(end - start, 78u);
      start = end + 1;
    }
  }
}

}  // namespace
}  // namespace tresor::cli
