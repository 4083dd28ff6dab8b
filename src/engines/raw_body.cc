#include "engines/raw_body.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

namespace tresor::logical {

RawBody::RawBody(std::optional<std::uint64_t> declared_size, Pull pull)
    : declared_size_(declared_size), pull_(std::move(pull)) {}

StatusOr<std::size_t> RawBody::Read(char* buffer, std::size_t capacity) const {
  if (capacity == 0) return std::size_t{0};
  if (unread_.empty()) {
    TRESOR_ASSIGN_OR_RETURN(bool more, Refill());
    if (!more) return std::size_t{0};
  }
  const std::size_t n = std::min(capacity, unread_.size());
  std::memcpy(buffer, unread_.data(), n);
  unread_.remove_prefix(n);
  return n;
}

StatusOr<bool> RawBody::Refill() const {
  while (!finished_) {
    if (failed_) return FailedPreconditionError("the request body could not be read to its end");
    StatusOr<std::string_view> got = pull_();
    if (!got.ok()) {
      failed_ = true;
      return got.status();
    }
    bytes_read_ += got->size();
    if (!got->empty()) {
      unread_ = *got;
      return true;
    }
    if (declared_size_ && bytes_read_ != *declared_size_) {
      failed_ = true;
      return IOError("the request body ended after " + std::to_string(bytes_read_) + " of " +
                     std::to_string(*declared_size_) + " bytes");
    }
    finished_ = true;
  }
  return false;
}

Status RawBody::ReadAll(const std::function<Status(std::string_view)>& sink) const {
  for (;;) {
    if (unread_.empty()) {
      TRESOR_ASSIGN_OR_RETURN(bool more, Refill());
      if (!more) return Status::Ok();
    }
    std::string_view piece = std::exchange(unread_, std::string_view());
    TRESOR_RETURN_IF_ERROR(sink(piece));
  }
}

}  // namespace tresor::logical
