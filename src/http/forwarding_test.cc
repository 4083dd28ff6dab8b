// End-to-end tests of request forwarding: two http::Servers on loopback
// ports, a "standby" whose handler sends every request to the "active"
// (RequestHandler::ForwardTarget) and an "active" that records what it
// received. The client talks to the standby only and must get the active's
// answers, or the documented 307 and 503 answers. No sleeps.
#include <gtest/gtest.h>

#include <mutex>
#include <optional>
#include <vector>

#include "http/forwarder.h"
#include "http/server.h"
#include "http/test_client_for_test.h"

namespace tresor::http {
namespace {

namespace net = boost::asio;
namespace beast_http = boost::beast::http;
using namespace std::chrono_literals;
using nlohmann::json;
using testing::MakeRequest;
using testing::PlainClient;
using testing::PlainLoopbackOptions;

// Records every request and answers by path: "denied" is a 403,
// "broken" a 500, anything else echoes what it saw.
class ActiveHandler final : public core::RequestHandler {
 public:
  StatusOr<core::Response> Handle(const core::Request& request) override {
    {
      std::lock_guard lock(mu_);
      seen_.push_back(request);
    }
    if (request.path == "denied") return PermissionDeniedError();
    if (request.path == "broken") return InternalError("storage is on fire");
    return core::Response::Data({{"path", request.path},
                                 {"operation", core::OperationName(request.operation)},
                                 {"request_id_seen", request.request_id}});
  }

  std::vector<core::Request> Seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<core::Request> seen_;  // guarded by mu_
};

// Sends everything to `target`; handling a request itself is a bug here.
class StandbyHandler final : public core::RequestHandler {
 public:
  StatusOr<core::Response> Handle(const core::Request&) override {
    return InternalError("the standby handled a request itself");
  }
  std::optional<std::string> ForwardTarget(const core::Request&) override {
    std::lock_guard lock(mu_);
    return target_;
  }
  void SetTarget(std::optional<std::string> target) {
    std::lock_guard lock(mu_);
    target_ = std::move(target);
  }

 private:
  std::mutex mu_;
  std::optional<std::string> target_;  // guarded by mu_
};

class ForwardingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(active_server_.AddListener(PlainLoopbackOptions()).ok());
    ASSERT_TRUE(standby_server_.AddListener(PlainLoopbackOptions()).ok());
    active_server_.Start();
    standby_server_.Start();
    active_url_ = "http://" + active_server_.BoundAddress(0);
    standby_.SetTarget(active_url_);
    ASSERT_FALSE(client_.Connect(standby_server_.BoundAddress(0)));
  }
  void TearDown() override {
    standby_server_.Shutdown(5s);
    active_server_.Shutdown(5s);
  }

  ActiveHandler active_;
  StandbyHandler standby_;
  Server active_server_{active_, 1, 4};
  Server standby_server_{standby_, 1, 4};
  std::string active_url_;
  PlainClient client_;  // connected to the standby
};

TEST_F(ForwardingTest, GetPutAndListArriveIntactAndTheActiveAnswers) {
  HttpRequest get = MakeRequest(beast_http::verb::get, "/v1/secret/data/foo?version=2");
  get.set("X-Vault-Token", "s.reader");
  HttpResponse got = client_.RoundTrip(std::move(get));

  HttpRequest put =
      MakeRequest(beast_http::verb::put, "/v1/secret/data/foo", R"({"data":{"k":"v"}})");
  put.set("X-Vault-Token", "s.writer");
  HttpResponse put_answer = client_.RoundTrip(std::move(put));

  HttpRequest list{beast_http::verb::unknown, "/v1/secret/metadata/?after=a", 11};
  list.method_string("LIST");
  list.set(beast_http::field::host, "127.0.0.1");
  list.set("X-Vault-Token", "s.lister");
  HttpResponse listed = client_.RoundTrip(std::move(list));

  const std::vector<core::Request> seen = active_.Seen();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].operation, core::Operation::kRead);
  EXPECT_EQ(seen[0].path, "secret/data/foo");
  EXPECT_EQ(seen[0].query, (std::map<std::string, std::string>{{"version", "2"}}));
  EXPECT_EQ(seen[0].client_token, "s.reader");
  EXPECT_EQ(seen[1].operation, core::Operation::kUpdate);
  EXPECT_EQ(seen[1].data, json::parse(R"({"data":{"k":"v"}})"));
  EXPECT_EQ(seen[1].client_token, "s.writer");
  EXPECT_EQ(seen[2].operation, core::Operation::kList);
  EXPECT_EQ(seen[2].path, "secret/metadata");
  EXPECT_TRUE(seen[2].trailing_slash);
  EXPECT_EQ(seen[2].query, (std::map<std::string, std::string>{{"after", "a"}}));
  EXPECT_EQ(seen[2].client_token, "s.lister");

  // Each answer is the active's own: its request_id is the one the active
  // gave the request.
  const HttpResponse* answers[] = {&got, &put_answer, &listed};
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_EQ(answers[i]->result_int(), 200) << i;
    EXPECT_EQ(answers[i]->at(beast_http::field::content_type), "application/json");
    EXPECT_TRUE(answers[i]->keep_alive());
    const json body = json::parse(answers[i]->body());
    EXPECT_EQ(body["request_id"], seen[i].request_id) << i;
    EXPECT_EQ(body["data"]["request_id_seen"], seen[i].request_id) << i;
    EXPECT_EQ(body["data"]["path"], seen[i].path) << i;
  }
  // One keep-alive connection served all three, and the standby forwarded
  // them on one pooled connection to the active.
  EXPECT_EQ(standby_server_.ConnectionCountForTest(), 1u);
  EXPECT_EQ(active_server_.ConnectionCountForTest(), 1u);
}

TEST_F(ForwardingTest, ErrorAnswersPassThroughUnchanged) {
  HttpResponse denied = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/denied"));
  EXPECT_EQ(denied.result_int(), 403);
  EXPECT_EQ(denied.body(), R"({"errors":["permission denied"]})");

  HttpResponse broken =
      client_.RoundTrip(MakeRequest(beast_http::verb::post, "/v1/broken", R"({"a":1})"));
  EXPECT_EQ(broken.result_int(), 500);
  EXPECT_EQ(broken.body(), R"({"errors":["storage is on fire"]})");
  EXPECT_EQ(active_.Seen().size(), 2u);
}

TEST_F(ForwardingTest, HeadAnswersWithTheActivesLengthAndNoBody) {
  HttpResponse head = client_.RoundTrip(MakeRequest(beast_http::verb::head, "/v1/secret/a"));
  EXPECT_EQ(head.result_int(), 200);
  EXPECT_TRUE(head.body().empty());
  const std::string length(ToStdView(head[beast_http::field::content_length]));
  EXPECT_GT(std::stoul(length), 0u);
  ASSERT_EQ(active_.Seen().size(), 1u);
  EXPECT_TRUE(active_.Seen()[0].head_only);
  // The connection is still in step after a body-less answer.
  EXPECT_EQ(client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/x")).result_int(), 200);
}

TEST_F(ForwardingTest, NoForwardingHeaderRedirectsWithoutTouchingTheActive) {
  HttpRequest request = MakeRequest(beast_http::verb::get, "/v1/secret/data/foo?x=1");
  request.set(boost::beast::string_view(kNoForwardingHeader.data(), kNoForwardingHeader.size()),
              "true");
  HttpResponse response = client_.RoundTrip(std::move(request));
  EXPECT_EQ(response.result_int(), 307);
  EXPECT_EQ(response.at(beast_http::field::location), active_url_ + "/v1/secret/data/foo?x=1");
  EXPECT_TRUE(response.body().empty());
  EXPECT_TRUE(active_.Seen().empty());
}

TEST_F(ForwardingTest, NoKnownActiveIs503) {
  standby_.SetTarget("");
  HttpResponse response = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/secret/a"));
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(response.body(),
            R"({"errors":["local node not active but active cluster node not found"]})");
  EXPECT_TRUE(active_.Seen().empty());
}

TEST_F(ForwardingTest, UnreachableActiveRedirectsAndTheStandbyKeepsServing) {
  std::string closed_url;
  {
    net::io_context io;
    net::ip::tcp::acceptor probe(io, {net::ip::make_address("127.0.0.1"), 0});
    closed_url = "http://127.0.0.1:" + std::to_string(probe.local_endpoint().port());
  }
  standby_.SetTarget(closed_url);
  HttpResponse response =
      client_.RoundTrip(MakeRequest(beast_http::verb::put, "/v1/secret/data/b?y=2", R"({"a":1})"));
  EXPECT_EQ(response.result_int(), 307);
  EXPECT_EQ(response.at(beast_http::field::location), closed_url + "/v1/secret/data/b?y=2");

  // The active comes back (or another one is elected): the same connection
  // is forwarded again.
  standby_.SetTarget(active_url_);
  HttpResponse forwarded = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/secret/b"));
  EXPECT_EQ(forwarded.result_int(), 200);
  EXPECT_EQ(json::parse(forwarded.body())["data"]["path"], "secret/b");
  EXPECT_EQ(active_.Seen().size(), 1u);
}

TEST_F(ForwardingTest, TwoStandbysPointingAtEachOtherAnswer503) {
  StandbyHandler other;
  Server other_server(other, 1, 2);
  ASSERT_TRUE(other_server.AddListener(PlainLoopbackOptions()).ok());
  other_server.Start();
  other.SetTarget("http://" + standby_server_.BoundAddress(0));
  standby_.SetTarget("http://" + other_server.BoundAddress(0));

  HttpResponse response = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/secret/a"));
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_EQ(json::parse(response.body())["errors"][0], std::string(kNoActiveNodeMessage));
  EXPECT_TRUE(active_.Seen().empty());
  other_server.Shutdown(5s);
}

// Answers ForwardTarget from a list, one entry per call, the last one
// repeated: a standby that learns of a new active node between two calls.
class ChangingStandbyHandler final : public core::RequestHandler {
 public:
  explicit ChangingStandbyHandler(std::vector<std::string> targets)
      : targets_(std::move(targets)) {}
  StatusOr<core::Response> Handle(const core::Request&) override {
    return InternalError("the standby handled a request itself");
  }
  std::optional<std::string> ForwardTarget(const core::Request&) override {
    std::lock_guard lock(mu_);
    const std::size_t at = std::min(calls_++, targets_.size() - 1);
    return targets_[at];
  }
  std::size_t calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> targets_;
  std::size_t calls_ = 0;  // guarded by mu_
};

TEST_F(ForwardingTest, ANodeNoLongerActiveRefusesAForwardedRequestAtOnce) {
  standby_.SetTarget("");  // a former active that knows of no active node
  HttpRequest forwarded = MakeRequest(beast_http::verb::put, "/v1/secret/data/a", R"({"a":1})");
  forwarded.set(std::string(kForwardedHeader), "1");
  HttpResponse response = client_.RoundTrip(std::move(forwarded));
  EXPECT_EQ(response.result_int(), 503);
  EXPECT_TRUE(IsNotActiveAnswer(response));
  // A client's own request that gets no active is a plain 503.
  HttpResponse plain = client_.RoundTrip(MakeRequest(beast_http::verb::get, "/v1/secret/a"));
  EXPECT_EQ(plain.result_int(), 503);
  EXPECT_FALSE(IsNotActiveAnswer(plain));
}

TEST_F(ForwardingTest, AStandbyAsksAgainWhenTheNodeItTookForTheActiveIsNotAndReachesTheNewOne) {
  // `former` lost the active role and knows no active node yet.
  StandbyHandler former;
  former.SetTarget("");
  Server former_server(former, 1, 2);
  ASSERT_TRUE(former_server.AddListener(PlainLoopbackOptions()).ok());
  former_server.Start();
  ChangingStandbyHandler changing({"http://" + former_server.BoundAddress(0), active_url_});
  Server changing_server(changing, 1, 2);
  ASSERT_TRUE(changing_server.AddListener(PlainLoopbackOptions()).ok());
  changing_server.Start();
  PlainClient client;
  ASSERT_FALSE(client.Connect(changing_server.BoundAddress(0)));

  HttpResponse response = client.RoundTrip(
      MakeRequest(beast_http::verb::put, "/v1/secret/data/c", R"({"data":{"k":"v"}})"));
  EXPECT_EQ(response.result_int(), 200) << response.body();
  EXPECT_EQ(json::parse(response.body())["data"]["path"], "secret/data/c");
  EXPECT_FALSE(IsNotActiveAnswer(response));
  EXPECT_EQ(active_.Seen().size(), 1u);  // once: the former active did nothing
  EXPECT_EQ(changing.calls(), 2u);
  changing_server.Shutdown(5s);
  former_server.Shutdown(5s);
}

}  // namespace
}  // namespace tresor::http
