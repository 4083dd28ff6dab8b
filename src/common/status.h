// Status and StatusOr<T>: how every layer reports a recoverable error.
//
// A Status is a code from the small set below plus a message meant for a
// person (it may end up verbatim in an HTTP error body, so it must never hold
// a secret). Codes are turned into HTTP status codes in exactly one place,
// http/status_mapping.cc. Broken invariants are not Statuses: they abort
// (see common/check.h).
//
// Thread safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace tresor {

enum class StatusCode {
  kOk = 0,
  // The caller sent something malformed or out of range. Fixing the request
  // fixes the error. HTTP 400.
  kInvalidArgument,
  // The named thing does not exist. HTTP 404.
  kNotFound,
  // The caller is not allowed to do this (bad token, ACL denial). HTTP 403.
  kPermissionDenied,
  // The request is well formed but the system is in the wrong state for it
  // (already initialised, not initialised, ...). HTTP 400.
  kFailedPrecondition,
  // The barrier is sealed; nothing but the unauthenticated sys endpoints
  // work. HTTP 503.
  kSealed,
  // Transient: try again later (shutting down, standby without leader,
  // storage temporarily failing). HTTP 503.
  kUnavailable,
  // The request or a value is larger than allowed. HTTP 413.
  kTooLarge,
  // The path exists but does not support this operation. HTTP 405.
  kUnsupportedOperation,
  // A disk or network operation failed; nothing acknowledged was lost, but
  // the operation did not happen. HTTP 500.
  kIOError,
  // Stored data failed authentication or parsing: never served. HTTP 500.
  kCorruption,
  // Out of space or another quota. HTTP 507 is not a Vault code; 500.
  kResourceExhausted,
  // A bug or an unexpected failure. HTTP 500.
  kInternal,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "CODE: message", for logs and test failures.
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message". Keeps the code.
  Status WithContext(std::string_view prefix) const;

  // Explicitly drops a status where failure genuinely does not matter.
  void IgnoreError() const {}

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgumentError(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status NotFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status PermissionDeniedError(std::string m = "permission denied") {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status FailedPreconditionError(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
inline Status SealedError() { return {StatusCode::kSealed, "Vault is sealed"}; }
inline Status UnavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status TooLargeError(std::string m) { return {StatusCode::kTooLarge, std::move(m)}; }
inline Status UnsupportedOperationError(std::string m) {
  return {StatusCode::kUnsupportedOperation, std::move(m)};
}
inline Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
inline Status CorruptionError(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
inline Status ResourceExhaustedError(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status InternalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// Holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& status) : value_(status) { assert(!status.ok()); }  // NOLINT
  StatusOr(Status&& status) : value_(std::move(status)) {                     // NOLINT
    assert(!std::get<Status>(value_).ok());
  }
  StatusOr(const T& value) : value_(value) {}       // NOLINT
  StatusOr(T&& value) : value_(std::move(value)) {}  // NOLINT
  template <typename U,
            typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                        !std::is_same_v<std::decay_t<U>, Status> &&
                                        !std::is_same_v<std::decay_t<U>, StatusOr<T>> &&
                                        !std::is_same_v<std::decay_t<U>, T>>>
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT

  bool ok() const { return std::holds_alternative<T>(value_); }
  Status status() const { return ok() ? Status() : std::get<Status>(value_); }

  // REQUIRES: ok().
  T& value() & { return std::get<T>(value_); }
  const T& value() const& { return std::get<T>(value_); }
  T&& value() && { return std::get<T>(std::move(value_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> value_;
};

}  // namespace tresor

// Returns early from the enclosing function with the status of `expr` when
// it is not OK.
#define TRESOR_RETURN_IF_ERROR(expr)                       \
  do {                                                     \
    ::tresor::Status tresor_status_ = (expr);              \
    if (!tresor_status_.ok()) return tresor_status_;       \
  } while (0)

#define TRESOR_CONCAT_INNER_(a, b) a##b
#define TRESOR_CONCAT_(a, b) TRESOR_CONCAT_INNER_(a, b)

// `TRESOR_ASSIGN_OR_RETURN(auto x, Foo());` declares x from Foo()'s value or
// returns Foo()'s error.
#define TRESOR_ASSIGN_OR_RETURN(lhs, expr) \
  TRESOR_ASSIGN_OR_RETURN_IMPL_(TRESOR_CONCAT_(tresor_statusor_, __LINE__), lhs, expr)
#define TRESOR_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()
