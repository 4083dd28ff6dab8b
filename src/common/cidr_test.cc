#include "common/cidr.h"

#include <gtest/gtest.h>

namespace tresor {
namespace {

TEST(CidrTest, ParsesBlocksAndBareAddresses) {
  const std::pair<const char*, const char*> cases[] = {
      {"10.0.0.0/8", "10.0.0.0/8"},
      {"127.0.0.1", "127.0.0.1/32"},  // a bare address is a single host
      {" 2001:db8::/32 ", "2001:db8::/32"},
      {"::1", "::1/128"},
      // Host bits are masked off, as Go's net.ParseCIDR does.
      {"10.1.2.3/8", "10.0.0.0/8"},
      {"192.168.255.255/17", "192.168.128.0/17"},
      {"0.0.0.0/0", "0.0.0.0/0"},
  };
  for (const auto& [text, canonical] : cases) {
    SCOPED_TRACE(text);
    auto block = ParseCidr(text);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    EXPECT_EQ(block->ToString(), canonical);
  }
  EXPECT_TRUE(ParseCidr("0.0.0.0/0")->Contains(*ParseIpAddress("203.0.113.9")));
}

TEST(CidrTest, RefusesWhatIsNotABlock) {
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
                          "10.0.0.0/8x", "10.0.0/8", "10.1", "0x0a.0.0.1", "256.0.0.1",
                          "fe80::1%eth0", "host.example", "10.0.0.0/8/9", "1.2.3.4:80"}) {
    SCOPED_TRACE(bad);
    auto parsed = ParseCidr(bad);
    ASSERT_FALSE(parsed.ok());
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("is not a valid CIDR block"), std::string::npos);
  }
  auto long_text = ParseCidr(std::string(500, '1'));
  ASSERT_FALSE(long_text.ok());
  EXPECT_LT(long_text.status().message().size(), 200u);  // the quote is truncated
}

TEST(CidrTest, ValidateCidrListNamesTheFirstBadEntry) {
  EXPECT_TRUE(ValidateCidrList({}).ok());
  EXPECT_TRUE(ValidateCidrList({"10.0.0.0/8", "::1", "192.168.0.1"}).ok());
  Status bad = ValidateCidrList({"10.0.0.0/8", "nope", "also-bad"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("\"nope\""), std::string::npos) << bad.message();
}

TEST(CidrTest, RemoteAddressesWithAndWithoutPorts) {
  const std::vector<std::string> loopback = {"127.0.0.0/8", "::1/128"};
  for (const char* remote : {"127.0.0.1", "127.0.0.1:54321", "[::1]:8200", "[::1]", "::1",
                             "::ffff:127.0.0.1", "[::ffff:127.0.0.1]:80"}) {
    SCOPED_TRACE(remote);
    EXPECT_TRUE(AddressInCidrs(remote, loopback));
  }
  for (const char* remote :
       {"10.0.0.1:1", "[2001:db8::1]:5", "", "garbage", "[::1", "[::1]x", "127.0.0.1:80:90x"}) {
    SCOPED_TRACE(remote);
    EXPECT_FALSE(AddressInCidrs(remote, loopback));
  }
  EXPECT_EQ(ParseRemoteAddress("[2001:db8::1]:443")->ToString(), "2001:db8::1");
  EXPECT_EQ(ParseRemoteAddress("192.0.2.7:1234")->ToString(), "192.0.2.7");
}

TEST(CidrTest, AddressInCidrsFailsClosed) {
  EXPECT_FALSE(AddressInCidrs("127.0.0.1", {}));
  EXPECT_FALSE(AddressInCidrs("127.0.0.1", {"not-a-block"}));
  EXPECT_TRUE(AddressInCidrs("127.0.0.1", {"not-a-block", "127.0.0.1"}));
  EXPECT_FALSE(AddressInCidrs("127.0.0.2", {"127.0.0.1"}));  // a bare address is a /32
  EXPECT_FALSE(AddressInCidrs("10.0.0.1", {"::/0"}));        // families do not mix
  EXPECT_TRUE(AddressInCidrs("10.200.3.4:9", {"10.0.0.0/8"}));
  EXPECT_FALSE(AddressInCidrs("11.0.0.0:9", {"10.0.0.0/8"}));
  // An IPv4-mapped block matches IPv4 clients.
  EXPECT_TRUE(AddressInCidrs("10.9.9.9", {"::ffff:10.0.0.0/104"}));
}

TEST(CidrTest, BlocksWithinBlocks) {
  EXPECT_TRUE(*CidrsWithin({"10.1.0.0/16", "10.2.3.4"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(*CidrsWithin({"10.0.0.0/7"}, {"10.0.0.0/8"}));
  EXPECT_FALSE(*CidrsWithin({"10.1.0.0/16", "11.0.0.1"}, {"10.0.0.0/8"}));
  EXPECT_TRUE(*CidrsWithin({"10.1.0.0/16", "192.168.1.1"}, {"10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_TRUE(*CidrsWithin({"10.0.0.0/8"}, {}));  // no outer blocks: nothing to stay within
  EXPECT_TRUE(*CidrsWithin({}, {"10.0.0.0/8"}));
  EXPECT_FALSE(*CidrsWithin({"::1"}, {"0.0.0.0/0"}));
  EXPECT_FALSE(CidrsWithin({"bad"}, {"10.0.0.0/8"}).ok());
  EXPECT_FALSE(CidrsWithin({"10.0.0.1"}, {"bad"}).ok());
}

}  // namespace
}  // namespace tresor
