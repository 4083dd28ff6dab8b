#include "cli/commands/policy_format.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

TEST(PolicyFormatTest, CanonicalLayout) {
  auto formatted = FormatPolicy(
      "path \"secret/*\" {capabilities=[\"read\",\"list\"]\n"
      "  min_wrapping_ttl = 100\n}\n"
      "path \"sys/*\"   {   capabilities = [\"deny\"] }\n",
      "p.hcl");
  ASSERT_TRUE(formatted.ok()) << formatted.status().message();
  EXPECT_EQ(*formatted,
            "path \"secret/*\" {\n"
            "  capabilities     = [\"read\", \"list\"]\n"
            "  min_wrapping_ttl = 100\n"
            "}\n"
            "\n"
            "path \"sys/*\" {\n"
            "  capabilities = [\"deny\"]\n"
            "}\n");
  // Formatting is idempotent.
  EXPECT_EQ(*FormatPolicy(*formatted, "p.hcl"), *formatted);
}

TEST(PolicyFormatTest, HeredocsBecomeQuotedStringsAndEmptyBlocksStay) {
  auto formatted = FormatPolicy("name = <<EOT\nhi # not a comment\nEOT\npath \"a\" {}\n", "p.hcl");
  ASSERT_TRUE(formatted.ok()) << formatted.status().message();
  EXPECT_EQ(*formatted, "name = \"hi # not a comment\\n\"\n\npath \"a\" {}\n");
}

TEST(PolicyFormatTest, RefusesCommentsAndJsonAndBadSyntax) {
  EXPECT_TRUE(HasHclComment("# c\npath \"a\" {}"));
  EXPECT_TRUE(HasHclComment("path \"a\" {} // c"));
  EXPECT_TRUE(HasHclComment("/* c */"));
  EXPECT_FALSE(HasHclComment("path \"a/#/b//c\" {}"));
  auto commented = FormatPolicy("# keep me\npath \"a\" {}\n", "p.hcl");
  ASSERT_FALSE(commented.ok());
  EXPECT_NE(commented.status().message().find("has comments"), std::string::npos);
  EXPECT_FALSE(FormatPolicy("{}", "p.json").ok());
  auto bad = FormatPolicy("path \"a\" {", "p.hcl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("p.hcl: line"), std::string::npos)
      << bad.status().message();
}

}  // namespace
}  // namespace tresor::cli
