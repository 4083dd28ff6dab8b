// The fixture of the command tests: a registry with every built-in command,
// captured stdout/stderr, a pipe for stdin, an environment without stray
// TRESOR_*/VAULT_* variables and HOME pointing at a fresh temporary
// directory (so no test reads or writes the real token file), the commands'
// HTTP client replaced by the in-process FakeHttpClient (so a test's
// FakeServerForTest answers, and no socket is opened), and a handler that
// answers by "METHOD target".
//
// Test-only; one test at a time (it changes the process environment and
// the commands' client factory).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands/builtin.h"
#include "cli/commands/common.h"
#include "cli/fake_http_client_for_test.h"
#include "cli/framework.h"
#include "cli/http_client.h"

namespace tresor::cli {

// sys/internal/ui/mounts answers for a v2 mount at secret/ and a v1 at kv1/.
inline constexpr char kSecretV2Mount[] =
    R"({"data":{"path":"secret/","type":"kv","options":{"version":"2"}}})";
inline constexpr char kKv1Mount[] = R"({"data":{"path":"kv1/","type":"kv","options":null}})";

// Answers "METHOD target" from `routes`; anything else is a 404 whose error
// names the request, so a wrong path shows up in the test's failure.
inline FakeHandler Routes(std::map<std::string, CannedResponse> routes) {
  return [routes = std::move(routes)](const RecordedRequest& request) {
    auto it = routes.find(request.method + " " + request.target);
    if (it != routes.end()) return it->second;
    return CannedResponse{
        404, R"({"errors":["unexpected )" + request.method + " " + request.target + R"("]})"};
  };
}

class CommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name :
         {"TRESOR_TOKEN", "VAULT_TOKEN", "TRESOR_FORMAT", "VAULT_FORMAT", "TRESOR_ADDR",
          "VAULT_ADDR", "TRESOR_CLIENT_TIMEOUT", "VAULT_CLIENT_TIMEOUT", "HOME"}) {
      if (const char* value = getenv(name)) saved_.emplace_back(name, value);
      unsetenv(name);
    }
    char home_template[] = "/tmp/tresor-cli-test-XXXXXX";
    ASSERT_NE(mkdtemp(home_template), nullptr);
    home_ = home_template;
    setenv("HOME", home_.c_str(), 1);
    setenv("TRESOR_TOKEN", "test-token", 1);
    SetHttpClientFactoryForTest(&FakeHttpClient::Create);
    RegisterBuiltinCommands(registry_);
  }
  void TearDown() override {
    SetHttpClientFactoryForTest(nullptr);
    unsetenv("TRESOR_TOKEN");
    unsetenv("HOME");
    for (const auto& [name, value] : saved_) setenv(name.c_str(), value.c_str(), 1);
    if (stdin_fd_ >= 0) close(stdin_fd_);
    std::error_code ignored;
    std::filesystem::remove_all(home_, ignored);
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    CommandIo io{out_, err_, stdin_fd_};
    return registry_.Dispatch(args, io);
  }

  // Runs `words` with -address of `server` inserted after the command words
  // (the first `command_words` of `words`).
  int RunAt(const FakeServerForTest& server, std::vector<std::string> words, size_t command_words) {
    words.insert(words.begin() + static_cast<std::ptrdiff_t>(command_words),
                 "-address=" + server.address());
    return Run(std::move(words));
  }

  // Makes the commands' stdin a pipe holding `text`.
  void SetStdin(const std::string& text) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    ASSERT_EQ(write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fds[1]);
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = fds[0];
  }

  std::string out() const { return out_.str(); }
  std::string err() const { return err_.str(); }

  CommandRegistry registry_;
  std::ostringstream out_;
  std::ostringstream err_;
  int stdin_fd_ = -1;
  std::string home_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

// An address where no server (fake or real) listens, for tests that must
// fail before any request.
inline constexpr char kNoServer[] = "-address=http://127.0.0.1:1";

}  // namespace tresor::cli
