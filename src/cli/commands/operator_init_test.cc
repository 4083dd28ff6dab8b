#include "cli/commands/operator_init.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

const Json kResponse = Json::parse(R"({
  "keys": ["aa01", "bb02", "cc03"],
  "keys_base64": ["qgE=", "uwI=", "zAM="],
  "root_token": "hvs.root"
})");

TEST(OperatorInitOutputTest, Table) {
  std::string table = FormatInitTable(kResponse, 3, 2);
  EXPECT_EQ(table.substr(0, table.find("Tresor initialized")),
            "Unseal Key 1: qgE=\n"
            "Unseal Key 2: uwI=\n"
            "Unseal Key 3: zAM=\n"
            "\n"
            "Initial Root Token: hvs.root\n"
            "\n");
  EXPECT_NE(table.find("Tresor initialized with 3 key shares and a key threshold of 2."),
            std::string::npos);
  EXPECT_NE(
      table.find("you must supply at least 2 of these keys to unseal it before it\ncan start"),
      std::string::npos)
      << table;
  EXPECT_NE(table.find("\"tresor operator rekey\""), std::string::npos);
  // Every line fits Vault's 78 columns.
  size_t start = 0;
  while (start < table.size()) {
    size_t end = table.find('\n', start);
    EXPECT_LE(end - start, 78u);
    start = end + 1;
  }
  EXPECT_EQ(table.back(), '\n');
}

TEST(OperatorInitOutputTest, TableFallsBackToHexKeys) {
  Json response = Json::parse(R"({"keys":["aa01"],"root_token":"t"})");
  EXPECT_EQ(FormatInitTable(response, 1, 1).substr(0, 19), "Unseal Key 1: aa01\n");
}

TEST(OperatorInitOutputTest, JsonMatchesVaultsShapeAndOrder) {
  EXPECT_EQ(
      InitJson(kResponse, 3, 2).dump(),
      R"({"unseal_keys_b64":["qgE=","uwI=","zAM="],"unseal_keys_hex":["aa01","bb02","cc03"],)"
      R"("unseal_shares":3,"unseal_threshold":2,"recovery_keys_b64":[],"recovery_keys_hex":[],)"
      R"("recovery_keys_shares":0,"recovery_keys_threshold":0,"root_token":"hvs.root"})");
}

}  // namespace
}  // namespace tresor::cli
