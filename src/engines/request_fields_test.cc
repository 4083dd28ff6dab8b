#include "engines/request_fields.h"

#include <gtest/gtest.h>

namespace tresor::engines {
namespace {

using nlohmann::json;

TEST(EngineRequestFieldsTest, TypedFields) {
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

TEST(EngineRequestFieldsTest, IntegersFromText) {
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

TEST(EngineRequestFieldsTest, UnknownFieldsWarning) {
  EXPECT_EQ(UnknownFieldsWarning(json{{"a", 1}}, {"a"}), std::nullopt);
  EXPECT_EQ(UnknownFieldsWarning(nullptr, {"a"}), std::nullopt);
  EXPECT_EQ(UnknownFieldsWarning(json{{"z", 1}, {"a", 1}, {"b", 2}}, {"a"}),
            std::optional<std::string>("Endpoint ignored these unrecognized parameters: [b z]"));
}

TEST(RequestFields, IntegersOutOfRangeAreRefusedNotWrapped) {
  for (auto body : {nlohmann::json::parse(R"({"n": 18446744073709551615})"),
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
