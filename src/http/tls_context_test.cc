#include "http/tls_context.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>

#include "common/temp_dir_for_test.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

TEST(TlsContextTest, ParsesMinVersions) {
  EXPECT_EQ(*ParseTlsMinVersion("tls10"), TLS1_VERSION);
  EXPECT_EQ(*ParseTlsMinVersion("tls11"), TLS1_1_VERSION);
  EXPECT_EQ(*ParseTlsMinVersion("tls12"), TLS1_2_VERSION);
  EXPECT_EQ(*ParseTlsMinVersion("tls13"), TLS1_3_VERSION);
  for (const char* bad : {"", "tls14", "TLS12", "ssl3"}) {
    auto parsed = ParseTlsMinVersion(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
  }
}

class TlsContextFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testing::MakeSelfSignedCert(dir_.path(), "a"));
    ASSERT_TRUE(testing::MakeSelfSignedCert(dir_.path(), "b"));
    options_.tls_cert_file = dir_.File("a.crt");
    options_.tls_key_file = dir_.File("a.key");
  }
  TempDirForTest dir_;
  ListenerOptions options_;
};

TEST_F(TlsContextFilesTest, LoadsAMatchingPair) {
  auto context = MakeServerTlsContext(options_);
  ASSERT_TRUE(context.ok()) << context.status().ToString();
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), TLS1_2_VERSION);
}

TEST_F(TlsContextFilesTest, AppliesMinVersion) {
  options_.tls_min_version = "tls13";
  auto context = MakeServerTlsContext(options_);
  ASSERT_TRUE(context.ok());
  EXPECT_EQ(SSL_CTX_get_min_proto_version((*context)->native_handle()), TLS1_3_VERSION);
  options_.tls_min_version = "tls9";
  EXPECT_EQ(MakeServerTlsContext(options_).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(TlsContextFilesTest, MissingCertOrKeyNamesTheFile) {
  options_.tls_cert_file = dir_.File("missing.crt");
  auto context = MakeServerTlsContext(options_);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(context.status().message().find(options_.tls_cert_file), std::string::npos);

  options_.tls_cert_file = dir_.File("a.crt");
  options_.tls_key_file = dir_.File("missing.key");
  context = MakeServerTlsContext(options_);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(context.status().message().find(options_.tls_key_file), std::string::npos);
}

TEST_F(TlsContextFilesTest, GarbageCertNamesTheFile) {
  const std::string garbage = dir_.File("garbage.crt");
  std::ofstream(garbage) << "not a certificate\n";
  options_.tls_cert_file = garbage;
  auto context = MakeServerTlsContext(options_);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(context.status().message().find(garbage), std::string::npos);
}

TEST_F(TlsContextFilesTest, KeyOfAnotherCertIsRefused) {
  options_.tls_key_file = dir_.File("b.key");
  auto context = MakeServerTlsContext(options_);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
  // OpenSSL notices the mismatch while loading the key ("key values
  // mismatch"); either way the message names the key file.
  EXPECT_NE(context.status().message().find(options_.tls_key_file), std::string::npos)
      << context.status().message();
}

TEST(TlsContextTest, TlsWithoutFilesIsInvalid) {
  ListenerOptions options;
  auto context = MakeServerTlsContext(options);
  ASSERT_FALSE(context.ok());
  EXPECT_EQ(context.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tresor::http
