#include "server/metered_handler.h"

#include <gtest/gtest.h>

namespace tresor::server {
namespace {

class Answering final : public core::RequestHandler {
 public:
  StatusOr<core::Response> Handle(const core::Request& request) override {
    ++calls;
    return core::Response::Data({{"path", request.path}});
  }
  std::optional<std::string> ForwardTarget(const core::Request&) override {
    return std::string("http://active:8200");
  }
  bool WantsRawBody(std::string_view, std::string_view path) const override {
    return path == "raw";
  }
  bool RedirectOnly(const core::Request&) const override { return true; }
  int calls = 0;
};

TEST(MeteredHandlerTest, TellsLoginsApart) {
  EXPECT_TRUE(MeteredHandler::IsLogin("auth/userpass/login/alice"));
  EXPECT_TRUE(MeteredHandler::IsLogin("auth/approle/login"));
  EXPECT_TRUE(MeteredHandler::IsLogin("auth/team/eu/userpass/login/bob"));
  EXPECT_FALSE(MeteredHandler::IsLogin("auth/token/lookup-self"));
  EXPECT_FALSE(MeteredHandler::IsLogin("auth/userpass/logins"));
  EXPECT_FALSE(MeteredHandler::IsLogin("secret/login"));
}

TEST(MeteredHandlerTest, ForwardsEverythingAndCountsEachRequestOnce) {
  Answering inner;
  MeteredHandler metered(inner);
  metrics::Summary& handle = metrics::Default().GetSummary("vault.core.handle_request", "");
  metrics::Summary& login = metrics::Default().GetSummary("vault.core.handle_login_request", "");
  const uint64_t handled = handle.Read().count;
  const uint64_t logins = login.Read().count;
  core::Request request;
  request.path = "secret/data/a";
  StatusOr<core::Response> r = metered.Handle(request);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->data["path"], "secret/data/a");
  request.path = "auth/userpass/login/alice";
  ASSERT_TRUE(metered.Handle(request).ok());
  EXPECT_EQ(inner.calls, 2);
  EXPECT_EQ(handle.Read().count, handled + 1);
  EXPECT_EQ(login.Read().count, logins + 1);
  EXPECT_EQ(metered.ForwardTarget(request), std::optional<std::string>("http://active:8200"));
  EXPECT_TRUE(metered.WantsRawBody("PUT", "raw"));
  EXPECT_FALSE(metered.WantsRawBody("PUT", "other"));
  EXPECT_TRUE(metered.RedirectOnly(request));
}

}  // namespace
}  // namespace tresor::server
