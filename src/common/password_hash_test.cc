#include "common/password_hash.h"

#include <gtest/gtest.h>

namespace tresor {
namespace {

TEST(PasswordHash, VerifiesOnlyTheRightPasswordAndSaltsEachHash) {
  std::string a = HashPassword("hunter2", 1000);
  std::string b = HashPassword("hunter2", 1000);
  EXPECT_NE(a, b);  // different salts
  EXPECT_EQ(a.find("hunter2"), std::string::npos);
  EXPECT_TRUE(*VerifyPassword("hunter2", a));
  EXPECT_FALSE(*VerifyPassword("hunter3", a));
  EXPECT_FALSE(*VerifyPassword("", a));
  EXPECT_EQ(a.rfind("pbkdf2-sha256$1000$", 0), 0u);
}

TEST(PasswordHash, MalformedStoredHashIsCorruption) {
  for (const char* stored : {"", "pbkdf2-sha256$", "md5$1$AA==$AA==", "pbkdf2-sha256$x$AA==$AA==",
                             "pbkdf2-sha256$0$AA==$AA==", "pbkdf2-sha256$10$AA==$AA=="}) {
    auto result = VerifyPassword("p", stored);
    ASSERT_FALSE(result.ok()) << stored;
    EXPECT_EQ(result.status().code(), StatusCode::kCorruption);
  }
}

}  // namespace
}  // namespace tresor
