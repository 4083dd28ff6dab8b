#include "cli/commands/kv_args.h"

#include <errno.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace tresor::cli {
namespace {

class Builder {
 public:
  explicit Builder(int stdin_fd) : stdin_fd_(stdin_fd) {}

  Status Add(const std::string& raw) {
    if (raw.empty()) return Status::Ok();
    size_t eq = raw.find('=');
    if (eq == std::string::npos) {
      // The argument is not echoed: it may be a secret typed without its key.
      if (raw != "-") return InvalidArgumentError("format must be key=value");
      TRESOR_ASSIGN_OR_RETURN(std::string text, ReadStdin());
      Json object;
      try {
        object = Json::parse(text);
      } catch (const Json::parse_error&) {
        return InvalidArgumentError("stdin is not valid JSON");
      }
      if (!object.is_object()) return InvalidArgumentError("stdin must hold a JSON object");
      for (auto& [key, value] : object.items()) Insert(key, std::move(value));
      return Status::Ok();
    }
    std::string key = raw.substr(0, eq);
    std::string value = raw.substr(eq + 1);
    if (value.starts_with("@")) {
      TRESOR_ASSIGN_OR_RETURN(value, ReadFile(value.substr(1)));
    } else if (value.starts_with("\\@")) {
      value.erase(0, 1);
    } else if (value == "-") {
      TRESOR_ASSIGN_OR_RETURN(value, ReadStdin());
    }
    Insert(key, Json(std::move(value)));
    return Status::Ok();
  }

  Json& result() { return result_; }

 private:
  // A key given twice becomes a list, as in Vault, so `write x a=1 a=2`
  // sends {"a": ["1", "2"]}.
  void Insert(const std::string& key, Json value) {
    auto it = result_.find(key);
    if (it == result_.end()) {
      result_[key] = std::move(value);
      return;
    }
    if (!it->is_array()) *it = Json::array({std::move(*it)});
    it->push_back(std::move(value));
  }

  StatusOr<std::string> ReadStdin() {
    if (stdin_used_) return InvalidArgumentError("stdin already consumed");
    stdin_used_ = true;
    return ReadAllFromFd(stdin_fd_);
  }

  static StatusOr<std::string> ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return IOError("error reading file " + path + ": " + std::strerror(errno));
    std::ostringstream contents;
    contents << in.rdbuf();
    if (in.bad()) return IOError("error reading file " + path);
    return contents.str();
  }

  int stdin_fd_;
  bool stdin_used_ = false;
  Json result_ = Json::object();
};

}  // namespace

StatusOr<std::string> ReadAllFromFd(int fd) {
  std::string out;
  char buffer[4096];
  while (true) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n == 0) return out;
    if (n < 0) {
      if (errno == EINTR) continue;
      return IOError(std::string("error reading stdin: ") + std::strerror(errno));
    }
    out.append(buffer, static_cast<size_t>(n));
  }
}

StatusOr<Json> ParseKeyValueArgs(const std::vector<std::string>& args, int stdin_fd) {
  Builder builder(stdin_fd);
  for (const std::string& arg : args) TRESOR_RETURN_IF_ERROR(builder.Add(arg));
  return std::move(builder.result());
}

StatusOr<Json> ParseStringMapArgs(const std::vector<std::string>& args, int stdin_fd) {
  TRESOR_ASSIGN_OR_RETURN(Json object, ParseKeyValueArgs(args, stdin_fd));
  for (const auto& [key, value] : object.items()) {
    if (!value.is_string()) {
      return InvalidArgumentError("the value of \"" + key + "\" must be a single string");
    }
  }
  return object;
}

}  // namespace tresor::cli
