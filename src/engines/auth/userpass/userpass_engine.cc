#include "engines/auth/userpass/userpass_engine.h"

#include <algorithm>
#include <cctype>

#include "common/password_hash.h"
#include "common/secure_memory.h"
#include "engines/auth/token_params.h"
#include "engines/field_reader.h"

namespace tresor::engines::userpass {
namespace {

using logical::Operation;
using logical::Request;
using logical::Response;

constexpr std::string_view kUsersPrefix = "users/";
constexpr std::string_view kLoginPrefix = "login/";
constexpr char kInvalidLogin[] = "invalid username or password";

struct User {
  std::string password_hash;
  auth::TokenParams token;
};

nlohmann::json ToJson(const User& user) {
  nlohmann::json out = {{"password_hash", user.password_hash}};
  auth::WriteTokenFields(user.token, out);
  return out;
}

// Users stored before the other token fields existed hold only
// password_hash, token_policies, token_ttl and token_max_ttl; the rest
// take their defaults.
StatusOr<User> FromJson(const std::string& text) {
  auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json.contains("password_hash") || !json["password_hash"].is_string()) {
    return CorruptionError("a stored userpass user cannot be parsed");
  }
  auto token = auth::ReadTokenFields(json);
  if (!token.ok()) return CorruptionError("a stored userpass user cannot be parsed");
  return User{json["password_hash"].get<std::string>(), std::move(*token)};
}

// Vault's user names are case-insensitive; '/' would make a name two path
// segments.
StatusOr<std::string> UserName(std::string_view name) {
  if (name.empty()) return InvalidArgumentError("username: missing in the path");
  if (name.find('/') != std::string_view::npos) {
    return InvalidArgumentError("username: must not contain '/'");
  }
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

class UserpassEngine final : public logical::Engine {
 public:
  explicit UserpassEngine(const logical::EngineContext& context) : storage_(context.storage) {}

  std::vector<std::string> UnauthenticatedPaths() const override { return {"login/*"}; }

  StatusOr<std::optional<bool>> Exists(const Request& request) override {
    std::string_view path = request.path;
    if (!path.starts_with(kUsersPrefix)) return std::optional<bool>();
    auto name = UserName(path.substr(kUsersPrefix.size()));
    if (!name.ok()) return std::optional<bool>();
    TRESOR_ASSIGN_OR_RETURN(auto stored, storage_.Get("user/" + *name));
    return std::optional<bool>(stored.has_value());
  }

  StatusOr<Response> Handle(const Request& request) override {
    std::string_view path = request.path;
    if (path == "users" || path == "users/") {
      if (request.operation == Operation::kList) return ListUsers();
    } else if (path.starts_with(kLoginPrefix)) {
      if (IsWrite(request.operation)) return Login(path.substr(kLoginPrefix.size()), request);
    } else if (path.starts_with(kUsersPrefix)) {
      return HandleUser(path.substr(kUsersPrefix.size()), request);
    } else {
      return NotFoundError("unsupported path: " + request.path);
    }
    return UnsupportedOperationError(std::string(logical::OperationName(request.operation)) +
                                     " is not supported on " + request.path);
  }

 private:
  static bool IsWrite(Operation op) { return op == Operation::kCreate || op == Operation::kUpdate; }

  StatusOr<Response> HandleUser(std::string_view rest, const Request& request) {
    std::string_view field;
    for (std::string_view suffix : {"/password", "/policies"}) {
      if (rest.ends_with(suffix)) {
        field = suffix.substr(1);
        rest.remove_suffix(suffix.size());
      }
    }
    TRESOR_ASSIGN_OR_RETURN(std::string name, UserName(rest));
    if (!field.empty()) {
      if (!IsWrite(request.operation)) {
        return UnsupportedOperationError("only POST and PUT are supported on " + request.path);
      }
      return UpdateUser(name, request, field);
    }
    switch (request.operation) {
      case Operation::kRead:
        return ReadUser(name);
      case Operation::kCreate:
      case Operation::kUpdate:
        return UpdateUser(name, request, "");
      case Operation::kDelete:
        TRESOR_RETURN_IF_ERROR(storage_.Delete("user/" + name));
        return Response::Empty();
      default:
        return UnsupportedOperationError(std::string(logical::OperationName(request.operation)) +
                                         " is not supported on " + request.path);
    }
  }

  StatusOr<std::optional<User>> LoadUser(const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(auto stored, storage_.Get("user/" + name));
    if (!stored.has_value()) return std::optional<User>();
    TRESOR_ASSIGN_OR_RETURN(User user, FromJson(*stored));
    return std::optional<User>(std::move(user));
  }

  StatusOr<Response> ReadUser(const std::string& name) {
    TRESOR_ASSIGN_OR_RETURN(auto user, LoadUser(name));
    if (!user.has_value()) return NotFoundError("");
    nlohmann::json data = nlohmann::json::object();
    auth::WriteTokenFields(user->token, data);
    // Vault's older names, as its userpass still shows them.
    data["policies"] = user->token.policies;
    data["ttl"] = user->token.ttl.count();
    data["max_ttl"] = user->token.max_ttl.count();
    data["bound_cidrs"] = user->token.bound_cidrs;
    return Response::Data(std::move(data));
  }

  // Creates or changes a user; `only` limits the change to "password" or
  // "policies" (the sub-endpoints), which need the user to exist.
  StatusOr<Response> UpdateUser(const std::string& name, const Request& request,
                                std::string_view only) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(auto existing, LoadUser(name));
    if (!only.empty() && !existing.has_value()) {
      return InvalidArgumentError("username does not exist");
    }
    User user = existing.value_or(User{});
    if (only.empty() || only == "password") {
      TRESOR_ASSIGN_OR_RETURN(auto password, fields.String("password"));
      if (password.has_value() && !password->empty()) {
        user.password_hash = HashPassword(*password);
        SecureWipe(*password);
      } else if (!existing.has_value() || only == "password") {
        return InvalidArgumentError("password: field is required");
      }
    }
    Response response;
    if (only == "policies") {
      TRESOR_RETURN_IF_ERROR(
          auth::ParseTokenPolicies(fields, /*allow_alias=*/true, user.token).status());
    } else if (only.empty()) {
      TRESOR_RETURN_IF_ERROR(auth::ParseTokenFields(fields, auth::kUserpassTokenAliases, user.token,
                                                    response.warnings));
    }
    TRESOR_RETURN_IF_ERROR(storage_.Put("user/" + name, ToJson(user).dump()));
    if (auto warning = fields.UnusedFieldsWarning()) response.warnings.push_back(*warning);
    return response;
  }

  StatusOr<Response> ListUsers() {
    TRESOR_ASSIGN_OR_RETURN(auto keys, storage_.List("user/"));
    if (keys.empty()) return NotFoundError("");
    return Response::Data({{"keys", keys}});
  }

  StatusOr<Response> Login(std::string_view raw_name, const Request& request) {
    TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(request));
    TRESOR_ASSIGN_OR_RETURN(std::string name, UserName(raw_name));
    TRESOR_ASSIGN_OR_RETURN(auto password, fields.String("password"));
    if (!password.has_value() || password->empty()) {
      return InvalidArgumentError("password: field is required");
    }
    TRESOR_ASSIGN_OR_RETURN(auto user, LoadUser(name));
    // An unknown user costs the same hashing as a known one.
    static const std::string kDummyHash = HashPassword("not a password");
    TRESOR_ASSIGN_OR_RETURN(
        bool match, VerifyPassword(*password, user.has_value() ? user->password_hash : kDummyHash));
    SecureWipe(*password);
    if (!user.has_value() || !match) return InvalidArgumentError(kInvalidLogin);

    Response response;
    Response::Login login;
    auth::FillLogin(user->token, login);
    login.metadata = {{"username", name}};
    login.display_name = "userpass-" + name;
    response.login = std::move(login);
    return response;
  }

  storage::Backend& storage_;
};

}  // namespace

std::unique_ptr<logical::Engine> NewUserpassEngine(const logical::EngineContext& context) {
  return std::make_unique<UserpassEngine>(context);
}

}  // namespace tresor::engines::userpass
