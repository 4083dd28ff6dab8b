#include "engines/secrets/cubbyhole/cubbyhole.h"

#include <algorithm>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace tresor::engines::cubbyhole {
namespace {

// How many deletes DestroyCubbyhole puts in one storage batch: large enough
// that revoking a token is a handful of commits, small enough that one batch
// stays well under any backend's (raft's) entry size limit.
constexpr std::size_t kDestroyBatchSize = 256;

// A token hash names one top-level folder of the mount's storage. It must be
// one non-empty segment, or a request could name (or a destroy delete)
// another token's folder. Core's hashes are hex, so this only fails on a bug.
Status ValidateTokenHash(std::string_view token_hash) {
  if (token_hash.find('/') != std::string_view::npos) {
    return InvalidArgumentError("client token hash is not a single path segment");
  }
  return storage::ValidateKey(token_hash).WithContext("client token hash");
}

// The storage key of request.path for the request's token. Checked here
// rather than left to the storage view, so that isolation between tokens
// does not depend on which view core hands us: a path with an empty, "."
// or ".." segment could otherwise name another token's folder.
StatusOr<std::string> EntryKey(const logical::Request& request) {
  std::string key = request.client_token_hash + "/" + request.path;
  TRESOR_RETURN_IF_ERROR(storage::ValidateKey(key).WithContext("invalid path"));
  return key;
}

class CubbyholeEngine final : public logical::Engine {
 public:
  explicit CubbyholeEngine(storage::Backend& storage) : storage_(storage) {}

  StatusOr<logical::Response> Handle(const logical::Request& request) override {
    TRESOR_RETURN_IF_ERROR(CheckToken(request));
    switch (request.operation) {
      case logical::Operation::kRead:
        return Read(request);
      case logical::Operation::kList:
        return List(request);
      case logical::Operation::kCreate:
      case logical::Operation::kUpdate:
        return Write(request);
      case logical::Operation::kDelete:
        return Delete(request);
      case logical::Operation::kPatch:
        break;
    }
    return UnsupportedOperationError("cubbyhole does not support the " +
                                     std::string(logical::OperationName(request.operation)) +
                                     " operation");
  }

  StatusOr<std::optional<bool>> Exists(const logical::Request& request) override {
    TRESOR_RETURN_IF_ERROR(CheckToken(request));
    if (request.path.empty() || request.trailing_slash) return std::optional<bool>(false);
    TRESOR_ASSIGN_OR_RETURN(std::string key, EntryKey(request));
    TRESOR_ASSIGN_OR_RETURN(auto value, storage_.Get(key));
    return std::optional<bool>(value.has_value());
  }

 private:
  // Without a token hash there is no cubbyhole to use: refusing is what
  // keeps an unauthenticated request from sharing one "anonymous" folder.
  static Status CheckToken(const logical::Request& request) {
    if (request.client_token_hash.empty()) return PermissionDeniedError();
    Status valid = ValidateTokenHash(request.client_token_hash);
    // A malformed hash is core's bug, not the client's: do not blame the
    // request, and do not serve it.
    if (!valid.ok()) return InternalError("cubbyhole: " + valid.message());
    return Status::Ok();
  }

  static Status RequirePath(const logical::Request& request) {
    if (request.path.empty()) return InvalidArgumentError("missing path");
    return Status::Ok();
  }

  StatusOr<logical::Response> Read(const logical::Request& request) {
    TRESOR_RETURN_IF_ERROR(RequirePath(request));
    // "foo/" names a folder, which is never an entry (as in Vault, where the
    // key would be "<token>/foo/").
    if (request.trailing_slash) return NotFoundError("");
    TRESOR_ASSIGN_OR_RETURN(std::string key, EntryKey(request));
    TRESOR_ASSIGN_OR_RETURN(auto stored, storage_.Get(key));
    if (!stored.has_value()) return NotFoundError("");
    nlohmann::json data;
    try {
      data = nlohmann::json::parse(*stored);
    } catch (const nlohmann::json::exception&) {
      // Never quote the stored text: it is a secret.
      return CorruptionError("cubbyhole entry is not valid JSON");
    }
    if (!data.is_object()) return CorruptionError("cubbyhole entry is not a JSON object");
    return logical::Response::Data(std::move(data));
  }

  StatusOr<logical::Response> Write(const logical::Request& request) {
    TRESOR_RETURN_IF_ERROR(RequirePath(request));
    if (request.trailing_slash) {
      return InvalidArgumentError("cannot write to a path ending in '/'");
    }
    if (!request.data.is_null() && !request.data.is_object()) {
      return InvalidArgumentError("the request body must be a JSON object");
    }
    // Vault's wording; a null body (no body at all) is the same mistake.
    if (request.data.is_null() || request.data.empty()) {
      return InvalidArgumentError("missing data fields");
    }
    std::string serialised;
    try {
      serialised = request.data.dump();
    } catch (const nlohmann::json::exception&) {
      // dump() throws on strings that are not UTF-8; http/ never parses
      // such a body, but another caller could build one.
      return InvalidArgumentError("the request body is not valid UTF-8");
    }
    TRESOR_ASSIGN_OR_RETURN(std::string key, EntryKey(request));
    TRESOR_RETURN_IF_ERROR(storage_.Put(key, serialised));
    return logical::Response::Empty();
  }

  StatusOr<logical::Response> Delete(const logical::Request& request) {
    TRESOR_RETURN_IF_ERROR(RequirePath(request));
    // A folder is never an entry, so there is nothing to delete; Vault
    // answers 204 here too.
    if (request.trailing_slash) return logical::Response::Empty();
    TRESOR_ASSIGN_OR_RETURN(std::string key, EntryKey(request));
    TRESOR_RETURN_IF_ERROR(storage_.Delete(key));
    return logical::Response::Empty();
  }

  StatusOr<logical::Response> List(const logical::Request& request) {
    // An empty path lists the top of the token's own cubbyhole; a path
    // without a trailing '/' is listed as the folder it names, as Vault does.
    std::string prefix = request.client_token_hash + "/";
    if (!request.path.empty()) prefix += request.path + "/";
    TRESOR_RETURN_IF_ERROR(storage::ValidatePrefix(prefix).WithContext("invalid path"));
    TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> keys, storage_.List(prefix));
    if (keys.empty()) return NotFoundError("");
    nlohmann::json data = nlohmann::json::object();
    data["keys"] = std::move(keys);
    return logical::Response::Data(std::move(data));
  }

  storage::Backend& storage_;
};

}  // namespace

std::unique_ptr<logical::Engine> NewCubbyholeEngine(const logical::EngineContext& context) {
  return std::make_unique<CubbyholeEngine>(context.storage);
}

Status DestroyCubbyhole(storage::Backend& view, const std::string& token_hash) {
  if (token_hash.empty()) return InvalidArgumentError("client token hash is empty");
  TRESOR_RETURN_IF_ERROR(ValidateTokenHash(token_hash));
  TRESOR_ASSIGN_OR_RETURN(std::vector<std::string> keys,
                          storage::ListRecursive(view, token_hash + "/"));
  for (std::size_t begin = 0; begin < keys.size(); begin += kDestroyBatchSize) {
    const std::size_t end = std::min(keys.size(), begin + kDestroyBatchSize);
    std::vector<storage::Operation> deletes;
    deletes.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
      deletes.push_back(storage::Operation::Delete(std::move(keys[i])));
    }
    TRESOR_RETURN_IF_ERROR(view.Batch(deletes));
  }
  return Status::Ok();
}

}  // namespace tresor::engines::cubbyhole
