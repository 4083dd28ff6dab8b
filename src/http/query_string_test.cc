#include "http/query_string.h"

#include <gtest/gtest.h>

namespace tresor::http {
namespace {

TEST(QueryStringTest, DecodesKeysAndValues) {
  auto query = ParseQueryString("list=true&name=a%20b&plus=x+y&empty=&bare&%6Bey=v");
  ASSERT_TRUE(query.ok()) << query.status().ToString();
  EXPECT_EQ(query->at("list"), "true");
  EXPECT_EQ(query->at("name"), "a b");
  EXPECT_EQ(query->at("plus"), "x y");
  EXPECT_EQ(query->at("empty"), "");
  EXPECT_EQ(query->at("bare"), "");
  EXPECT_EQ(query->at("key"), "v");
  EXPECT_EQ(query->size(), 6u);
}

TEST(QueryStringTest, FirstValueOfARepeatedKeyWins) {
  auto query = ParseQueryString("a=1&a=2");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->at("a"), "1");
}

TEST(QueryStringTest, SkipsEmptySegmentsAndAcceptsEmptyQuery) {
  auto query = ParseQueryString("&&a=1&&");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->size(), 1u);
  auto empty = ParseQueryString("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(QueryStringTest, RejectsMalformedEscapesWithoutQuotingTheValue) {
  for (const char* bad : {"a=%", "a=%4", "a=%zz", "%g1=v", "a=secret%"}) {
    auto query = ParseQueryString(bad);
    ASSERT_FALSE(query.ok()) << bad;
    EXPECT_EQ(query.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(query.status().message().find("secret"), std::string::npos);
  }
}

TEST(QueryStringTest, PathDecodingKeepsPlus) {
  auto path = PercentDecodePath("secret/data/a+b%2Fc%41");
  ASSERT_TRUE(path.ok());
  EXPECT_EQ(*path, "secret/data/a+b/cA");
  EXPECT_FALSE(PercentDecodePath("bad%").ok());
}

}  // namespace
}  // namespace tresor::http
