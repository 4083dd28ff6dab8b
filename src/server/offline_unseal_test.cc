#include "server/offline_unseal.h"

#include <gtest/gtest.h>

#include <fstream>

#include "common/encoding.h"
#include "common/temp_dir_for_test.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::server {
namespace {

const std::string kShare(33, '\x07');

TEST(OfflineUnsealTest, FlagsAreRecognisedAndOthersLeftAlone) {
  UnsealKeyFlags flags;
  command::FlagSet flag_set("test");
  AddUnsealKeyFlags(flag_set, &flags);
  ASSERT_TRUE(flag_set.Parse({"-unseal-key=abc", "--unseal-key=def", "-key-file=/k"}).ok());
  EXPECT_EQ(flags.keys, (std::vector<std::string>{"abc", "def"}));
  EXPECT_EQ(flags.key_files, std::vector<std::string>{"/k"});
  EXPECT_FALSE(flag_set.Parse({"-config=x"}).ok());

  UnsealKeyFlags twice{.keys = {}, .key_files = {"/k", "/other"}};
  EXPECT_EQ(CollectUnsealKeys(twice).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CollectUnsealKeys(twice).status().message(), "-key-file is given twice");
  UnsealKeyFlags empty_key{.keys = {""}, .key_files = {}};
  EXPECT_EQ(CollectUnsealKeys(empty_key).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CollectUnsealKeys(empty_key).status().message(), "-unseal-key needs a value");
}

TEST(OfflineUnsealTest, KeysDecodeAsHexOrBase64) {
  auto hex = DecodeUnsealKey(HexEncode(kShare), "k");
  ASSERT_TRUE(hex.ok());
  EXPECT_EQ(AsStringView(*hex), kShare);
  auto b64 = DecodeUnsealKey(Base64Encode(kShare), "k");
  ASSERT_TRUE(b64.ok());
  EXPECT_EQ(AsStringView(*b64), kShare);
  auto bad = DecodeUnsealKey("!!secret-looking!!", "-unseal-key #1");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("-unseal-key #1"), std::string::npos);
  EXPECT_EQ(bad.status().message().find("secret-looking"), std::string::npos);
}

TEST(OfflineUnsealTest, KeyFilesSkipBlanksAndCommentsAndNameBadLines) {
  auto keys = ParseKeyFileText("# keys\n\n " + HexEncode(kShare) + " \r\n" + Base64Encode(kShare));
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->size(), 2u);
  auto bad = ParseKeyFileText("# one\n" + HexEncode(kShare) + "\nnot*a*key\n");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("line 3"), std::string::npos) << bad.status().message();
}

TEST(OfflineUnsealTest, CollectNeedsAtLeastOneKeyAndAReadableFile) {
  EXPECT_EQ(CollectUnsealKeys({}).status().code(), StatusCode::kInvalidArgument);
  TempDirForTest dir;
  EXPECT_EQ(CollectUnsealKeys({.keys = {}, .key_files = {dir.path() + "/none"}}).status().code(),
            StatusCode::kNotFound);
  std::ofstream(dir.path() + "/empty") << "# nothing\n";
  EXPECT_EQ(CollectUnsealKeys({.keys = {}, .key_files = {dir.path() + "/empty"}}).status().code(),
            StatusCode::kInvalidArgument);
  std::ofstream(dir.path() + "/one") << HexEncode(kShare) << "\n";
  auto both =
      CollectUnsealKeys({.keys = {Base64Encode(kShare)}, .key_files = {dir.path() + "/one"}});
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both->size(), 2u);
}

TEST(OfflineUnsealTest, UnsealTellsUninitialisedWrongAndRightKeysApart) {
  storage::InmemBackend physical;
  FakeClock clock;
  core::Lifecycle lifecycle(physical, clock, "");
  EXPECT_EQ(UnsealWithKeys(lifecycle, {ToSecureBytes(kShare)}).code(),
            StatusCode::kFailedPrecondition);
  auto init = lifecycle.Initialize(
      {.secret_shares = 3, .secret_threshold = 2, .root_token_id = std::nullopt});
  ASSERT_TRUE(init.ok());
  EXPECT_EQ(UnsealWithKeys(lifecycle, {init->key_shares[0]}).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(lifecycle.Sealed());
  EXPECT_EQ(UnsealWithKeys(lifecycle, {ToSecureBytes(kShare)}).code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(UnsealWithKeys(lifecycle, {init->key_shares[2], init->key_shares[0]}).ok());
  EXPECT_FALSE(lifecycle.Sealed());
}

}  // namespace
}  // namespace tresor::server
