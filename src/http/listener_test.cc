#include "http/listener.h"

#include <gtest/gtest.h>

namespace tresor::http {
namespace {

TEST(SplitHostPortTest, AcceptsHostPortAndBracketedV6) {
  auto v4 = SplitHostPort("127.0.0.1:8200");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->first, "127.0.0.1");
  EXPECT_EQ(v4->second, 8200);
  auto v6 = SplitHostPort("[::1]:0");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_EQ(v6->second, 0);
  auto any = SplitHostPort(":8200");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->first, "");
}

TEST(SplitHostPortTest, RejectsMalformedAddresses) {
  for (const char* bad : {"", "127.0.0.1", "127.0.0.1:", "host:port", "::1:8200", "[::1]8200",
                          "[::1", "host:65536", "host:-1"}) {
    auto split = SplitHostPort(bad);
    ASSERT_FALSE(split.ok()) << bad;
    EXPECT_EQ(split.status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace tresor::http
