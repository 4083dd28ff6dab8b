#include "common/log_stream.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace tresor {
namespace {

// A logger of its own (not the default one) with one "server" sink writing
// into a string, as stderr would.
struct Fixture {
  explicit Fixture(LogStream::Limits limits = {})
      : server_sink(std::make_shared<spdlog::sinks::ostream_sink_mt>(server_out)),
        logger(std::make_shared<spdlog::logger>("test", server_sink)),
        stream((logger->set_level(spdlog::level::info), logger), limits) {}
  std::ostringstream server_out;
  std::shared_ptr<spdlog::sinks::ostream_sink_mt> server_sink;
  std::shared_ptr<spdlog::logger> logger;
  LogStream stream;
};

std::string NextBatch(LogStream::Subscription& sub) {
  std::string lines;
  EXPECT_TRUE(sub.Next(&lines));
  return lines;
}

TEST(LogStreamTest, ParsesVaultsLevelsAndFormats) {
  EXPECT_EQ(*ParseMonitorLogLevel(""), spdlog::level::info);
  EXPECT_EQ(*ParseMonitorLogLevel("DEBUG"), spdlog::level::debug);
  EXPECT_EQ(*ParseMonitorLogLevel("error"), spdlog::level::err);
  EXPECT_EQ(ParseMonitorLogLevel("off").status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(ParseMonitorLogLevel("loud").status().message().find("trace, debug, info, warn or error"),
            std::string::npos);
  EXPECT_EQ(*ParseLogFormat(""), LogFormat::kStandard);
  EXPECT_EQ(*ParseLogFormat("JSON"), LogFormat::kJson);
  EXPECT_NE(ParseLogFormat("xml").status().message().find("standard or json"), std::string::npos);
}

TEST(LogStreamTest, NoSubscriberLeavesTheLoggerAtTheServerLevel) {
  Fixture f;
  EXPECT_EQ(f.logger->level(), spdlog::level::info);
  EXPECT_EQ(f.stream.SubscriberCount(), 0u);
  f.logger->debug("not wanted");
  EXPECT_EQ(f.server_out.str(), "");
}

TEST(LogStreamTest, StandardLineAtTheSubscribersLevel) {
  Fixture f;
  auto sub = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  ASSERT_TRUE(sub.ok());
  f.logger->debug("too verbose");
  f.logger->info("core: successful mount: path=foo/");
  const std::string lines = NextBatch(**sub);
  EXPECT_NE(lines.find(" [INFO]  core: successful mount: path=foo/\n"), std::string::npos) << lines;
  EXPECT_EQ(lines.find("too verbose"), std::string::npos);
  EXPECT_EQ(lines.back(), '\n');
  EXPECT_EQ(lines[4], '-');  // starts with the timestamp
}

TEST(LogStreamTest, MoreVerboseSubscriberLowersTheLoggerButNotTheServerSink) {
  Fixture f;
  {
    auto sub = f.stream.Subscribe(spdlog::level::debug, LogFormat::kStandard);
    ASSERT_TRUE(sub.ok());
    EXPECT_EQ(f.logger->level(), spdlog::level::debug);
    f.logger->debug("http: a debug line");
    EXPECT_NE(NextBatch(**sub).find("[DEBUG] http: a debug line"), std::string::npos);
    EXPECT_EQ(f.server_out.str(), "");  // stderr keeps the configured info
  }
  EXPECT_EQ(f.logger->level(), spdlog::level::info);  // restored when it left
  EXPECT_EQ(f.stream.SubscriberCount(), 0u);
}

TEST(LogStreamTest, LevelStaysLowWhileAnyVerboseSubscriberRemains) {
  Fixture f;
  auto trace = f.stream.Subscribe(spdlog::level::trace, LogFormat::kStandard);
  auto debug = f.stream.Subscribe(spdlog::level::debug, LogFormat::kStandard);
  ASSERT_TRUE(trace.ok() && debug.ok());
  EXPECT_EQ(f.logger->level(), spdlog::level::trace);
  trace->reset();
  EXPECT_EQ(f.logger->level(), spdlog::level::debug);
  debug->reset();
  EXPECT_EQ(f.logger->level(), spdlog::level::info);
}

TEST(LogStreamTest, ServerLevelChangeKeepsASubscribersLevel) {
  Fixture f;
  auto sub = f.stream.Subscribe(spdlog::level::debug, LogFormat::kStandard);
  ASSERT_TRUE(sub.ok());
  f.stream.SetServerLevel(spdlog::level::warn);  // a SIGHUP reload
  EXPECT_EQ(f.logger->level(), spdlog::level::debug);
  EXPECT_EQ(f.server_sink->level(), spdlog::level::warn);
  sub->reset();
  EXPECT_EQ(f.logger->level(), spdlog::level::warn);
}

TEST(LogStreamTest, JsonLinesHaveHclogFields) {
  Fixture f;
  auto sub = f.stream.Subscribe(spdlog::level::info, LogFormat::kJson);
  ASSERT_TRUE(sub.ok());
  f.logger->warn("raft: lost \"leader\"");
  f.logger->error("Tresor server stopped");
  std::string lines = NextBatch(**sub);
  std::istringstream in(lines);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  nlohmann::json first = nlohmann::json::parse(line);
  EXPECT_EQ(first["@level"], "warn");
  EXPECT_EQ(first["@module"], "raft");
  EXPECT_EQ(first["@message"], "lost \"leader\"");
  EXPECT_EQ(first["@timestamp"].get<std::string>().back(), 'Z');
  ASSERT_TRUE(std::getline(in, line));
  nlohmann::json second = nlohmann::json::parse(line);
  EXPECT_EQ(second["@level"], "error");
  EXPECT_FALSE(second.contains("@module"));
  EXPECT_EQ(second["@message"], "Tresor server stopped");
}

TEST(LogStreamTest, FullQueueDropsAndSaysHowMany) {
  Fixture f({.max_lines = 3, .max_bytes = 1 << 20, .max_subscribers = 4});
  auto sub = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  ASSERT_TRUE(sub.ok());
  for (int i = 0; i < 10; ++i) f.logger->info("line {}", i);
  std::string lines = NextBatch(**sub);
  EXPECT_NE(lines.find("line 2\n"), std::string::npos);
  EXPECT_EQ(lines.find("line 3\n"), std::string::npos);
  EXPECT_NE(lines.find("[WARN]  monitor: 7 log lines were dropped"), std::string::npos) << lines;
  // After the reader caught up, lines flow again, and the count restarts.
  f.logger->info("line after");
  lines = NextBatch(**sub);
  EXPECT_NE(lines.find("line after\n"), std::string::npos);
  EXPECT_EQ(lines.find("dropped"), std::string::npos);
}

TEST(LogStreamTest, ByteLimitBoundsTheQueue) {
  Fixture f({.max_lines = 1000, .max_bytes = 200, .max_subscribers = 4});
  auto sub = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  ASSERT_TRUE(sub.ok());
  f.logger->info("{}", std::string(500, 'x'));  // larger than the whole queue
  f.logger->info("small");                      // after a gap: dropped too
  std::string lines = NextBatch(**sub);
  EXPECT_EQ(lines.find("xxx"), std::string::npos);
  EXPECT_NE(lines.find("monitor: 2 log lines were dropped"), std::string::npos) << lines;
}

TEST(LogStreamTest, SubscriberCapAndCloseAll) {
  Fixture f({.max_lines = 10, .max_bytes = 1 << 20, .max_subscribers = 1});
  auto first = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  ASSERT_TRUE(first.ok());
  auto second = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);

  // A reader blocked in Next is woken by CloseAll (the server's shutdown).
  std::thread reader([&] {
    std::string lines;
    EXPECT_FALSE((*first)->Next(&lines));
  });
  f.stream.CloseAll();
  reader.join();
  // Lines logged before the close are still delivered, then the end.
  f.stream.Open();
  auto other = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  EXPECT_EQ(other.status().code(), StatusCode::kUnavailable);  // the cap: `first` still holds
  first->reset();
  auto last = f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard);
  ASSERT_TRUE(last.ok());
  f.logger->info("shutting down");
  f.stream.CloseAll();
  std::string lines;
  EXPECT_TRUE((*last)->Next(&lines));
  EXPECT_NE(lines.find("shutting down\n"), std::string::npos);
  EXPECT_FALSE((*last)->Next(&lines));
  EXPECT_EQ(f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard).status().code(),
            StatusCode::kUnavailable);
  last->reset();
  f.stream.Open();
  EXPECT_TRUE(f.stream.Subscribe(spdlog::level::info, LogFormat::kStandard).ok());
}

}  // namespace
}  // namespace tresor
