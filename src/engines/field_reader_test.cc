#include "engines/field_reader.h"

#include <gtest/gtest.h>

#include <chrono>

namespace tresor::engines {
namespace {

using nlohmann::json;

logical::Request WithBody(json body, logical::Operation operation = logical::Operation::kUpdate) {
  logical::Request request;
  request.operation = operation;
  request.data = std::move(body);
  return request;
}

TEST(FieldReaderTest, ReadsWithVaultsWeakTyping) {
  auto fields = FieldReader::FromRequest(WithBody(json{{"ttl", "1h"},
                                                       {"period", 60},
                                                       {"renewable", "true"},
                                                       {"no_parent", 0},
                                                       {"num_uses", " 3 "},
                                                       {"policies", "a, b,,c"},
                                                       {"list", json::array({"x", "y"})},
                                                       {"meta", {{"k", "v"}, {"n", 1}}},
                                                       {"name", "n"}}));
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(*fields->Duration("ttl"), std::optional<std::chrono::seconds>(std::chrono::hours(1)));
  EXPECT_EQ(*fields->Duration("period"), std::optional<std::chrono::seconds>(60));
  EXPECT_EQ(*fields->Bool("renewable"), std::optional<bool>(true));
  EXPECT_EQ(*fields->Bool("no_parent"), std::optional<bool>(false));
  EXPECT_EQ(*fields->Int("num_uses"), std::optional<long long>(3));
  EXPECT_EQ(*fields->StringList("policies"),
            std::optional<std::vector<std::string>>({"a", "b", "c"}));
  EXPECT_EQ(*fields->StringList("list"), std::optional<std::vector<std::string>>({"x", "y"}));
  EXPECT_EQ(*fields->StringMap("meta"),
            (std::optional<std::map<std::string, std::string>>({{"k", "v"}, {"n", "1"}})));
  EXPECT_EQ(*fields->String("name"), std::optional<std::string>("n"));
  EXPECT_EQ(*fields->String("absent"), std::optional<std::string>());
  EXPECT_EQ(fields->UnusedFieldsWarning(), std::nullopt);
}

TEST(FieldReaderTest, RefusesWhatCannotBeReadAndNamesTheField) {
  auto fields = FieldReader::FromRequest(
      WithBody(json{{"s", 1}, {"b", "maybe"}, {"i", "x"}, {"d", -1}, {"l", json::array({1})}}));
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(fields->String("s").status(),
            InvalidArgumentError("s: expected a string, got an integer"));
  EXPECT_EQ(fields->Bool("b").status(), InvalidArgumentError("b: expected true or false"));
  EXPECT_EQ(fields->Int("i").status(), InvalidArgumentError("i: expected an integer"));
  EXPECT_EQ(fields->Duration("d").status(), InvalidArgumentError("d: must not be negative"));
  EXPECT_EQ(fields->StringList("l").status(),
            InvalidArgumentError("l: expected a list of strings, got an integer in the list"));
  EXPECT_FALSE(FieldReader::FromRequest(WithBody(json::array())).ok());
  EXPECT_EQ(FieldReader::FromObject(json("x"), "config").status(),
            InvalidArgumentError("config: expected an object, got a string"));
}

TEST(FieldReaderTest, ReadsTheQueryOfAGetAndWarnsOfFieldsNotAskedFor) {
  logical::Request request = WithBody(nullptr, logical::Operation::kRead);
  request.query = {{"accessor", "abc"}, {"extra", "1"}};
  auto fields = FieldReader::FromRequest(request);
  ASSERT_TRUE(fields.ok());
  EXPECT_EQ(*fields->String("accessor"), std::optional<std::string>("abc"));
  EXPECT_EQ(fields->UnusedFieldsWarning(),
            std::optional<std::string>("Endpoint ignored these unrecognized parameters: [extra]"));

  // A write reads only its body, never the query.
  request.operation = logical::Operation::kUpdate;
  auto write = FieldReader::FromRequest(request);
  ASSERT_TRUE(write.ok());
  EXPECT_EQ(*write->String("accessor"), std::optional<std::string>());
}

TEST(FieldReaderTest, StrictTypedFields) {
  json data = {{"n", 3},    {"f", 3.0},        {"half", 2.5},    {"s", "x"},
               {"b", true}, {"o", {{"k", 1}}}, {"null", nullptr}};
  EXPECT_EQ(*OptionalInt(data, "n"), std::optional<long long>(3));
  EXPECT_EQ(*OptionalInt(data, "f"), std::optional<long long>(3));
  EXPECT_EQ(*OptionalInt(data, "absent"), std::optional<long long>());
  EXPECT_EQ(*OptionalInt(data, "null"), std::optional<long long>());
  EXPECT_EQ(OptionalInt(data, "s").status(),
            InvalidArgumentError("s: expected an integer, got a string"));
  EXPECT_EQ(OptionalInt(data, "half").status(),
            InvalidArgumentError("half: expected an integer, got a number with a fraction"));
  EXPECT_EQ(*OptionalBool(data, "b"), std::optional<bool>(true));
  EXPECT_FALSE(OptionalBool(data, "n").ok());
  EXPECT_EQ(*OptionalString(data, "s"), std::optional<std::string>("x"));
  EXPECT_EQ(**OptionalObject(data, "o"), json({{"k", 1}}));
  EXPECT_EQ(*OptionalObject(data, "absent"), nullptr);
  EXPECT_EQ(OptionalObject(data, "s").status(),
            InvalidArgumentError("s: expected an object, got a string"));
  json huge = {{"n", 1e300}};
  EXPECT_FALSE(OptionalInt(huge, "n").ok());
}

TEST(FieldReaderTest, StrictIntegersFromText) {
  EXPECT_EQ(*ParseIntegerText("v", "42"), 42);
  EXPECT_EQ(*ParseIntegerText("v", "-3"), -3);
  EXPECT_EQ(*ParseIntegerText("v", "+3"), 3);
  EXPECT_EQ(ParseIntegerText("v", "4x").status(),
            InvalidArgumentError("v: expected an integer, got \"4x\""));
  EXPECT_FALSE(ParseIntegerText("v", "").ok());
  EXPECT_FALSE(ParseIntegerText("v", "99999999999999999999").ok());

  std::map<std::string, std::string> query = {{"version", "2"}};
  EXPECT_EQ(*OptionalIntFromQueryOrBody(query, json{{"version", 5}}, "version"),
            std::optional<long long>(2));
  EXPECT_EQ(*OptionalIntFromQueryOrBody({}, json{{"version", "5"}}, "version"),
            std::optional<long long>(5));
  EXPECT_EQ(*OptionalIntFromQueryOrBody({}, nullptr, "version"), std::optional<long long>());
}

TEST(FieldReaderTest, UnknownFieldsWarning) {
  EXPECT_EQ(UnknownFieldsWarning(json{{"a", 1}}, {"a"}), std::nullopt);
  EXPECT_EQ(UnknownFieldsWarning(nullptr, {"a"}), std::nullopt);
  EXPECT_EQ(UnknownFieldsWarning(json{{"z", 1}, {"a", 1}, {"b", 2}}, {"a"}),
            std::optional<std::string>("Endpoint ignored these unrecognized parameters: [b z]"));
}

TEST(FieldReaderTest, StrictIntegersOutOfRangeAreRefusedNotWrapped) {
  for (auto body :
       {nlohmann::json::parse(R"({"n": 18446744073709551615})"),
        nlohmann::json::parse(R"({"n": 1e20})"), nlohmann::json::parse(R"({"n": -1e20})")}) {
    auto v = OptionalInt(body, "n");
    ASSERT_FALSE(v.ok()) << body.dump();
    EXPECT_NE(v.status().message().find("out of range"), std::string::npos);
  }
  EXPECT_EQ(**OptionalInt(nlohmann::json::parse(R"({"n": 9007199254740993})"), "n"),
            9007199254740993LL);
  EXPECT_EQ(**OptionalInt(nlohmann::json::parse(R"({"n": -5})"), "n"), -5);
  EXPECT_EQ(**OptionalInt(nlohmann::json::parse(R"({"n": 3.0})"), "n"), 3);
}

}  // namespace
}  // namespace tresor::engines
