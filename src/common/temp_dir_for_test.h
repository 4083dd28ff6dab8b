// TempDirForTest: a fresh directory under $TMPDIR (or /tmp), removed with
// everything in it when the object goes away. The one temp-dir helper of
// every layer's tests (common is the lowest layer, so any test may include
// it). For tests only; header-only so that it never ends up in a library.
// Threads: one owner; not shared.
#pragma once

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "common/check.h"

namespace tresor {

class TempDirForTest {
 public:
  TempDirForTest() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/tresor-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    TRESOR_CHECK(mkdtemp(buffer.data()) != nullptr);
    path_ = buffer.data();
  }
  ~TempDirForTest() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDirForTest(const TempDirForTest&) = delete;
  TempDirForTest& operator=(const TempDirForTest&) = delete;

  const std::string& path() const { return path_; }

  // The path of `name` inside the temp dir.
  std::string File(const std::string& name) const { return path_ + "/" + name; }

  // Every path inside the temp dir, recursively (symlinks not followed).
  std::vector<std::string> AllPathsBelow() const {
    std::vector<std::string> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(path_)) {
      out.push_back(entry.path().string());
    }
    return out;
  }

 private:
  std::string path_;
};

}  // namespace tresor
