#include "engines/logical.h"

#include <gtest/gtest.h>

namespace tresor::logical {
namespace {

TEST(ClientInCidrsTest, BothTheConnectionAndTheForwardedClientMustBeInside) {
  const std::vector<std::string> internal = {"10.0.0.0/8"};
  Request direct;
  direct.remote_address = "10.1.2.3:5000";
  EXPECT_TRUE(ClientInCidrs(direct, internal));
  direct.remote_address = "192.0.2.7:5000";
  EXPECT_FALSE(ClientInCidrs(direct, internal));

  // Through a standby inside the blocks: the client it reports decides.
  Request forwarded;
  forwarded.remote_address = "10.0.0.2:6000";
  forwarded.forwarded_client_address = "192.0.2.7";
  EXPECT_FALSE(ClientInCidrs(forwarded, internal));
  forwarded.forwarded_client_address = "10.9.9.9";
  EXPECT_TRUE(ClientInCidrs(forwarded, internal));

  // A forged forwarding header from outside claims nothing.
  Request forged;
  forged.remote_address = "192.0.2.7:5000";
  forged.forwarded_client_address = "10.9.9.9";
  EXPECT_FALSE(ClientInCidrs(forged, internal));
}

}  // namespace
}  // namespace tresor::logical
