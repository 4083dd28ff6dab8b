// sys/tools/random and sys/tools/hash through the core, with a root token.
#include <gtest/gtest.h>

#include "common/encoding.h"
#include "core/core_pipeline_for_test.h"

namespace tresor::core {
namespace {

using nlohmann::json;

class SysToolsTest : public CorePipelineTest {
 protected:
  StatusOr<Response> Post(std::string path, json data = json::object()) {
    return Write(path, std::move(data), root_);
  }
};

TEST_F(SysToolsTest, RandomBytesInEitherFormatAndPathForm) {
  auto hex = Post("sys/tools/random", {{"bytes", 16}, {"format", "hex"}});
  ASSERT_TRUE(hex.ok()) << hex.status().ToString();
  EXPECT_EQ(hex->data["random_bytes"].get<std::string>().size(), 32u);
  auto b64 = Post("sys/tools/random/platform/12");
  ASSERT_TRUE(b64.ok()) << b64.status().ToString();
  EXPECT_EQ(Base64Decode(b64->data["random_bytes"].get<std::string>())->size(), 12u);
  EXPECT_NE(Post("sys/tools/random")->data, Post("sys/tools/random")->data);
  for (json bad : {json{{"bytes", 0}}, json{{"bytes", 131073}}, json{{"format", "base32"}},
                   json{{"source", "seal"}}, json{{"colour", "red"}}}) {
    EXPECT_EQ(Post("sys/tools/random", bad).status().code(), StatusCode::kInvalidArgument)
        << bad.dump();
  }
}

TEST_F(SysToolsTest, HashWithVaultsAlgorithmNames) {
  const std::string hello = Base64Encode("hello");
  auto sha256 = Post("sys/tools/hash", {{"input", hello}});
  ASSERT_TRUE(sha256.ok()) << sha256.status().ToString();
  EXPECT_EQ(sha256->data["sum"],
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  auto truncated = Post("sys/tools/hash/sha2-512/256", {{"input", hello}});
  ASSERT_TRUE(truncated.ok()) << truncated.status().ToString();
  EXPECT_EQ(truncated->data["sum"].get<std::string>().size(), 64u);
  auto sha3 = Post("sys/tools/hash", {{"input", hello}, {"algorithm", "sha3-256"},
                                      {"format", "base64"}});
  ASSERT_TRUE(sha3.ok());
  EXPECT_EQ(Base64Decode(sha3->data["sum"].get<std::string>())->size(), 32u);
  for (json bad : {json::object(), json{{"input", "not base64!"}},
                   json{{"input", hello}, {"algorithm", "md5"}},
                   json{{"input", hello}, {"format", "base32"}}}) {
    EXPECT_EQ(Post("sys/tools/hash", bad).status().code(), StatusCode::kInvalidArgument)
        << bad.dump();
  }
  EXPECT_EQ(Write("sys/tools/hash", {{"input", hello}}, "").status().code(),
            StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace tresor::core
