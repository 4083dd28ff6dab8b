#include "cli/commands/kv_args.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "common/temp_dir_for_test.h"

namespace tresor::cli {
namespace {

// A pipe holding `text`, closed for writing; the caller closes the fd.
int PipeWith(const std::string& text) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  EXPECT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fds[1]);
  return fds[0];
}

TEST(KvArgsTest, PlainPairsAndEmptyArguments) {
  auto parsed = ParseKeyValueArgs({"a=1", "", "b=x=y", "c="}, -1);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Json::parse(R"({"a":"1","b":"x=y","c":""})"));
}

TEST(KvArgsTest, RepeatedKeyBecomesList) {
  auto parsed = ParseKeyValueArgs({"a=1", "a=2", "a=3"}, -1);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Json::parse(R"({"a":["1","2","3"]})"));
}

TEST(KvArgsTest, FileValueAndEscapedAt) {
  TempDirForTest tmp;
  const std::string path = tmp.path() + "/kv_args_value";
  std::ofstream(path) << "from-file\n";
  auto parsed = ParseKeyValueArgs({"a=@" + path, "b=\\@literal"}, -1);
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(*parsed, Json::parse(R"({"a":"from-file\n","b":"@literal"})"));
  auto missing = ParseKeyValueArgs({"a=@/nonexistent/file"}, -1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kIOError);
}

TEST(KvArgsTest, ValueFromStdin) {
  int fd = PipeWith("s3cret");
  auto parsed = ParseKeyValueArgs({"password=-", "user=bob"}, fd);
  close(fd);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Json::parse(R"({"password":"s3cret","user":"bob"})"));
}

TEST(KvArgsTest, JsonObjectFromStdinMerges) {
  int fd = PipeWith(R"({"n":1,"nested":{"x":true}})");
  auto parsed = ParseKeyValueArgs({"-", "a=b"}, fd);
  close(fd);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, Json::parse(R"({"n":1,"nested":{"x":true},"a":"b"})"));
}

TEST(KvArgsTest, StdinOnlyOnce) {
  int fd = PipeWith("x");
  auto parsed = ParseKeyValueArgs({"a=-", "b=-"}, fd);
  close(fd);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().message(), "stdin already consumed");
}

TEST(KvArgsTest, BadForms) {
  auto no_equals = ParseKeyValueArgs({"justasecret"}, -1);
  ASSERT_FALSE(no_equals.ok());
  // The argument is not echoed: it could be a secret.
  EXPECT_EQ(no_equals.status().message(), "format must be key=value");
  int fd = PipeWith("[1,2]");
  auto not_object = ParseKeyValueArgs({"-"}, fd);
  close(fd);
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.status().message(), "stdin must hold a JSON object");
  fd = PipeWith("{nope");
  auto not_json = ParseKeyValueArgs({"-"}, fd);
  close(fd);
  EXPECT_EQ(not_json.status().message(), "stdin is not valid JSON");
}

TEST(KvArgsTest, StringMapRefusesLists) {
  auto ok = ParseStringMapArgs({"team=ops", "env=prod"}, -1);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, Json::parse(R"({"team":"ops","env":"prod"})"));
  auto repeated = ParseStringMapArgs({"team=a", "team=b"}, -1);
  ASSERT_FALSE(repeated.ok());
  EXPECT_EQ(repeated.status().message(), "the value of \"team\" must be a single string");
}

}  // namespace
}  // namespace tresor::cli
