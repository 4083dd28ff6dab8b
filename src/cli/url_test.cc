#include "cli/url.h"

#include <gtest/gtest.h>

namespace tresor::cli {
namespace {

TEST(UrlTest, Valid) {
  struct Case {
    const char* text;
    bool tls;
    const char* host;
    uint16_t port;
    const char* prefix;
    bool ip;
    const char* host_port;
  };
  const Case cases[] = {
      {"https://127.0.0.1:8200", true, "127.0.0.1", 8200, "", true, "127.0.0.1:8200"},
      {"http://127.0.0.1:8200/", false, "127.0.0.1", 8200, "", true, "127.0.0.1:8200"},
      {"https://vault.example.com", true, "vault.example.com", 443, "", false,
       "vault.example.com:443"},
      {"http://localhost", false, "localhost", 80, "", false, "localhost:80"},
      {"https://[::1]:8200", true, "::1", 8200, "", true, "[::1]:8200"},
      {"http://[fe80::1]", false, "fe80::1", 80, "", true, "[fe80::1]:80"},
      {"https://proxy.example:8443/vault/", true, "proxy.example", 8443, "/vault", false,
       "proxy.example:8443"},
  };
  for (const Case& c : cases) {
    auto url = ParseUrl(c.text);
    ASSERT_TRUE(url.ok()) << c.text << ": " << url.status().ToString();
    EXPECT_EQ(url->tls, c.tls) << c.text;
    EXPECT_EQ(url->host, c.host) << c.text;
    EXPECT_EQ(url->port, c.port) << c.text;
    EXPECT_EQ(url->path_prefix, c.prefix) << c.text;
    EXPECT_EQ(url->host_is_ip, c.ip) << c.text;
    EXPECT_EQ(url->HostPort(), c.host_port) << c.text;
  }
}

TEST(UrlTest, FormatBuildsTheShownUrl) {
  auto url = ParseUrl("http://[::1]:8200/base");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->Format("/v1/sys/init"), "http://[::1]:8200/base/v1/sys/init");
}

TEST(UrlTest, Invalid) {
  for (const char* text :
       {"127.0.0.1:8200", "ftp://host", "https://", "http://:8200", "http://host:", "http://host:0",
        "http://host:65536", "http://host:12ab", "https://[::1", "https://[::1]x",
        "https://[nothex]:1", "http://host/?q=1", "http://host/#frag", "http://a b:1"}) {
    EXPECT_FALSE(ParseUrl(text).ok()) << text;
  }
}

TEST(UrlTest, UserInfoRejectedWithoutEchoingIt) {
  auto url = ParseUrl("https://admin:hunter2@host:8200");
  ASSERT_FALSE(url.ok());
  EXPECT_EQ(url.status().message().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace tresor::cli
