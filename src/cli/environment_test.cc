#include "cli/environment.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include "common/temp_dir_for_test.h"

namespace tresor::cli {
namespace {

constexpr const char* kVariables[] = {"TRESOR_ADDR",
                                      "VAULT_ADDR",
                                      "TRESOR_TOKEN",
                                      "VAULT_TOKEN",
                                      "TRESOR_CACERT",
                                      "VAULT_CACERT",
                                      "TRESOR_SKIP_VERIFY",
                                      "VAULT_SKIP_VERIFY",
                                      "TRESOR_FORMAT",
                                      "VAULT_FORMAT",
                                      "TRESOR_CLIENT_TIMEOUT",
                                      "VAULT_CLIENT_TIMEOUT",
                                      "TRESOR_CAPATH",
                                      "VAULT_CAPATH",
                                      "HOME"};

// Saves and clears every variable the resolver reads, and points HOME at an
// empty temporary directory; restores everything afterwards.
class EnvironmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : kVariables) {
      if (const char* value = getenv(name)) saved_.emplace_back(name, value);
      unsetenv(name);
    }
    setenv("HOME", home_.path().c_str(), 1);
  }
  void TearDown() override {
    for (const char* name : kVariables) unsetenv(name);
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
  }

  StatusOr<ClientOptions> Resolve(const std::vector<std::string>& args) {
    flags_ = std::make_unique<FlagSet>("test");
    AddClientFlags(*flags_, &values_);
    Status parsed = flags_->Parse(args);
    EXPECT_TRUE(parsed.ok()) << parsed.ToString();
    return ResolveClientOptions(*flags_, values_);
  }

  void WriteHomeFile(const char* name, const std::string& contents) {
    std::ofstream(home_.path() + "/" + name) << contents;
  }

  TempDirForTest home_;
  std::vector<std::pair<std::string, std::string>> saved_;
  std::unique_ptr<FlagSet> flags_;
  ClientFlags values_;
};

TEST_F(EnvironmentTest, DefaultsToVaultsAddress) {
  auto options = Resolve({});
  ASSERT_TRUE(options.ok());
  EXPECT_EQ(options->address, "https://127.0.0.1:8200");
  EXPECT_EQ(options->token, "");
  EXPECT_FALSE(options->tls_skip_verify);
  EXPECT_EQ(options->timeout, std::chrono::seconds(60));
}

TEST_F(EnvironmentTest, AddressPrecedence) {
  setenv("VAULT_ADDR", "http://vault:1", 1);
  EXPECT_EQ(Resolve({})->address, "http://vault:1");
  setenv("TRESOR_ADDR", "http://tresor:2", 1);
  EXPECT_EQ(Resolve({})->address, "http://tresor:2");
  EXPECT_EQ(Resolve({"-address=http://flag:3"})->address, "http://flag:3");
  // An empty variable counts as unset.
  setenv("TRESOR_ADDR", "", 1);
  EXPECT_EQ(Resolve({})->address, "http://vault:1");
}

TEST_F(EnvironmentTest, TokenPrecedence) {
  WriteHomeFile(".vault-token", "vault-file-token\n");
  EXPECT_EQ(Resolve({})->token, "vault-file-token");
  WriteHomeFile(".tresor-token", "  tresor-file-token \n");
  EXPECT_EQ(Resolve({})->token, "tresor-file-token");
  setenv("VAULT_TOKEN", "vault-env-token", 1);
  EXPECT_EQ(Resolve({})->token, "vault-env-token");
  setenv("TRESOR_TOKEN", "tresor-env-token", 1);
  EXPECT_EQ(Resolve({})->token, "tresor-env-token");
}

TEST_F(EnvironmentTest, NoHomeMeansNoTokenFile) {
  unsetenv("HOME");
  auto token = ReadTokenFile();
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "");
}

TEST_F(EnvironmentTest, SkipVerifyPrecedence) {
  setenv("VAULT_SKIP_VERIFY", "true", 1);
  EXPECT_TRUE(Resolve({})->tls_skip_verify);
  setenv("TRESOR_SKIP_VERIFY", "false", 1);
  EXPECT_FALSE(Resolve({})->tls_skip_verify);
  EXPECT_TRUE(Resolve({"-tls-skip-verify"})->tls_skip_verify);
  setenv("TRESOR_SKIP_VERIFY", "1", 1);
  EXPECT_FALSE(Resolve({"-tls-skip-verify=false"})->tls_skip_verify);
  setenv("TRESOR_SKIP_VERIFY", "maybe", 1);
  auto bad = Resolve({});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("TRESOR_SKIP_VERIFY"), std::string::npos);
}

TEST_F(EnvironmentTest, CaCertPrecedence) {
  setenv("VAULT_CACERT", "/vault.pem", 1);
  EXPECT_EQ(Resolve({})->ca_cert, "/vault.pem");
  setenv("TRESOR_CACERT", "/tresor.pem", 1);
  EXPECT_EQ(Resolve({})->ca_cert, "/tresor.pem");
  EXPECT_EQ(Resolve({"-ca-cert", "/flag.pem"})->ca_cert, "/flag.pem");
}

TEST_F(EnvironmentTest, ClientTimeout) {
  setenv("VAULT_CLIENT_TIMEOUT", "90", 1);
  EXPECT_EQ(Resolve({})->timeout, std::chrono::seconds(90));
  setenv("TRESOR_CLIENT_TIMEOUT", "2m", 1);
  EXPECT_EQ(Resolve({})->timeout, std::chrono::minutes(2));
  setenv("TRESOR_CLIENT_TIMEOUT", "later", 1);
  EXPECT_FALSE(Resolve({}).ok());
}

TEST_F(EnvironmentTest, FormatPrecedenceAndValidation) {
  auto resolve = [](const std::vector<std::string>& args) {
    FlagSet flags("test");
    std::string format;
    AddFormatFlag(flags, &format);
    EXPECT_TRUE(flags.Parse(args).ok());
    return ResolveFormat(flags, format);
  };
  EXPECT_EQ(*resolve({}), "table");
  setenv("VAULT_FORMAT", "json", 1);
  EXPECT_EQ(*resolve({}), "json");
  setenv("TRESOR_FORMAT", "TABLE", 1);
  EXPECT_EQ(*resolve({}), "table");
  EXPECT_EQ(*resolve({"-format=json"}), "json");
  auto bad = resolve({"-format=yaml"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "Invalid output format: yaml");
}

}  // namespace
}  // namespace tresor::cli
