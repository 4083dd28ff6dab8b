#include "engines/secrets/transit/transit_engine.h"

#include <gtest/gtest.h>

#include "common/encoding.h"
#include "storage/inmem/inmem_backend.h"

namespace tresor::engines::transit {
namespace {

using logical::Operation;
using nlohmann::json;

class TransitEngineTest : public ::testing::Test {
 protected:
  StatusOr<logical::Response> Do(Operation op, std::string path, json data = nullptr) {
    logical::Request r;
    r.operation = op;
    r.path = std::move(path);
    r.data = std::move(data);
    r.mount_point = "transit/";
    return engine_->Handle(r);
  }
  json Ok(Operation op, std::string path, json data = nullptr) {
    auto r = Do(op, path, std::move(data));
    EXPECT_TRUE(r.ok()) << path << ": " << r.status().ToString();
    return r.ok() ? r->data : json();
  }
  StatusCode Code(Operation op, std::string path, json data = nullptr) {
    return Do(op, std::move(path), std::move(data)).status().code();
  }
  std::string EncryptText(const std::string& key, const std::string& text) {
    return Ok(Operation::kUpdate, "encrypt/" + key, {{"plaintext", Base64Encode(text)}})["ciphertext"];
  }
  StatusOr<std::string> DecryptText(const std::string& key, const std::string& ciphertext) {
    auto r = Do(Operation::kUpdate, "decrypt/" + key, {{"ciphertext", ciphertext}});
    if (!r.ok()) return r.status();
    return *Base64Decode(r->data["plaintext"].get<std::string>());
  }

  storage::InmemBackend storage_;
  FakeClock clock_;
  logical::EngineContext context_{storage_, clock_, {}};
  std::unique_ptr<logical::Engine> engine_ = NewTransitEngine(context_);
};

TEST_F(TransitEngineTest, EncryptDecryptRoundTripInVaultsFormat) {
  Ok(Operation::kCreate, "keys/unseal");
  std::string ciphertext = EncryptText("unseal", "the root key");
  EXPECT_EQ(ciphertext.rfind("vault:v1:", 0), 0u);
  EXPECT_EQ(*DecryptText("unseal", ciphertext), "the root key");
  EXPECT_NE(EncryptText("unseal", "the root key"), ciphertext);  // a fresh nonce each time
  json key = Ok(Operation::kRead, "keys/unseal");
  EXPECT_EQ(key["type"], "aes256-gcm96");
  EXPECT_EQ(key["latest_version"], 1);
  EXPECT_TRUE(key["keys"].contains("1"));
  EXPECT_EQ(Ok(Operation::kList, "keys")["keys"], json::array({"unseal"}));
}

TEST_F(TransitEngineTest, RotationKeepsOldCiphertextReadableUntilConfiguredAway) {
  Ok(Operation::kCreate, "keys/k");
  std::string v1 = EncryptText("k", "one");
  json rotated = Ok(Operation::kUpdate, "keys/k/rotate");
  EXPECT_EQ(rotated["latest_version"], 2);
  std::string v2 = EncryptText("k", "two");
  EXPECT_EQ(v2.rfind("vault:v2:", 0), 0u);
  EXPECT_EQ(*DecryptText("k", v1), "one");
  Ok(Operation::kUpdate, "keys/k/config", {{"min_decryption_version", 2}});
  EXPECT_EQ(DecryptText("k", v1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*DecryptText("k", v2), "two");
  // key_version picks an older version to encrypt with, within the minimum.
  EXPECT_EQ(Code(Operation::kUpdate, "encrypt/k",
                 {{"plaintext", Base64Encode("x")}, {"key_version", 3}}),
            StatusCode::kInvalidArgument);
}

TEST_F(TransitEngineTest, BatchesAnswerPerItem) {
  json out = Ok(Operation::kUpdate, "encrypt/auto",  // created on first use
                {{"batch_input", {{{"plaintext", Base64Encode("a")}, {"reference", "r1"}},
                                  {{"plaintext", Base64Encode("b")}}}}});
  ASSERT_EQ(out["batch_results"].size(), 2u);
  EXPECT_EQ(out["batch_results"][0]["reference"], "r1");
  json in = {{"batch_input",
              {{{"ciphertext", out["batch_results"][1]["ciphertext"]}},
               {{"ciphertext", "vault:v1:AAAA"}}}}};
  json dec = Ok(Operation::kUpdate, "decrypt/auto", in);
  EXPECT_EQ(*Base64Decode(dec["batch_results"][0]["plaintext"].get<std::string>()), "b");
  EXPECT_TRUE(dec["batch_results"][1].contains("error"));
}

TEST_F(TransitEngineTest, AssociatedDataMustMatch) {
  std::string aad = Base64Encode("node-1");
  json enc = Ok(Operation::kUpdate, "encrypt/k",
                {{"plaintext", Base64Encode("x")}, {"associated_data", aad}});
  EXPECT_EQ(Code(Operation::kUpdate, "decrypt/k", {{"ciphertext", enc["ciphertext"]}}),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(Do(Operation::kUpdate, "decrypt/k",
                 {{"ciphertext", enc["ciphertext"]}, {"associated_data", aad}}).ok());
}

TEST_F(TransitEngineTest, BadInputIsRefusedWithAReason) {
  EXPECT_EQ(Code(Operation::kCreate, "keys/k", {{"type", "rsa-2048"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kCreate, "keys/k", {{"derived", true}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kCreate, "keys/k", {{"exportable", true}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kCreate, "keys/k", {{"colour", "blue"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kRead, "keys/missing"), StatusCode::kNotFound);
  EXPECT_EQ(Code(Operation::kUpdate, "decrypt/missing", {{"ciphertext", "vault:v1:AAAA"}}),
            StatusCode::kInvalidArgument);
  Ok(Operation::kCreate, "keys/k");
  EXPECT_EQ(Code(Operation::kUpdate, "encrypt/k", {{"plaintext", "not base64!"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kUpdate, "encrypt/k", json::object()), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kUpdate, "encrypt/k", {{"plaintext", Base64Encode("x")}, {"context", "Y3R4"}}),
            StatusCode::kInvalidArgument);
  for (const char* bad : {"nope", "vault:x1:AAAA", "vault:v1:not base64", "vault:v9:AAAA"}) {
    EXPECT_EQ(Code(Operation::kUpdate, "decrypt/k", {{"ciphertext", bad}}),
              StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_EQ(Code(Operation::kUpdate, "keys/k/config", {{"min_decryption_version", 5}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(Operation::kDelete, "keys/k"), StatusCode::kInvalidArgument);
  Ok(Operation::kUpdate, "keys/k/config", {{"deletion_allowed", true}});
  EXPECT_TRUE(Do(Operation::kDelete, "keys/k").ok());
  EXPECT_EQ(Code(Operation::kRead, "keys/k"), StatusCode::kNotFound);
}

TEST_F(TransitEngineTest, KeyMaterialIsNeverReturned) {
  json key = Ok(Operation::kCreate, "keys/k");
  std::string stored = *storage_.Get("policy/k").value();
  auto material = json::parse(stored)["versions"]["1"]["key"].get<std::string>();
  EXPECT_EQ(key.dump().find(material), std::string::npos);
}

}  // namespace
}  // namespace tresor::engines::transit
