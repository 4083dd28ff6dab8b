#include "http/strand_call.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <thread>

namespace tresor::http {
namespace {

namespace net = boost::asio;
using Done = std::function<void(StrandCall::ErrorCode)>;

TEST(StrandCallTest, RunsOnTheStrandAndReturnsTheOperationsResult) {
  net::io_context io;
  auto guard = net::make_work_guard(io);
  std::thread io_thread([&io] { io.run(); });
  net::any_io_executor strand = net::make_strand(io);
  StrandCall call;

  std::thread::id ran_on;
  auto ec = call.Run(strand, [&ran_on](Done done) {
    ran_on = std::this_thread::get_id();
    done({});
  });
  EXPECT_FALSE(ec);
  EXPECT_EQ(ran_on, io_thread.get_id());

  // Completion from a later handler on the strand, with an error.
  ec = call.Run(strand, [&strand](Done done) {
    net::post(strand, [done] { done(net::error::connection_reset); });
  });
  EXPECT_EQ(ec, net::error::connection_reset);

  guard.reset();
  io_thread.join();
}

TEST(StrandCallTest, AbortReleasesAWaiterWhoseStrandNeverRuns) {
  net::io_context io;  // never run: like a server whose I/O threads stopped
  net::any_io_executor executor = io.get_executor();
  StrandCall call;
  StrandCall::ErrorCode ec;
  std::thread worker([&] { ec = call.Run(executor, [](Done done) { done({}); }); });
  call.Abort();
  worker.join();
  EXPECT_EQ(ec, net::error::operation_aborted);
  // Later calls fail at once.
  EXPECT_EQ(call.Run(executor, [](Done done) { done({}); }), net::error::operation_aborted);
}

}  // namespace
}  // namespace tresor::http
