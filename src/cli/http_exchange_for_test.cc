#include "cli/http_exchange_for_test.h"

#include <cctype>

namespace tresor::cli {
namespace {

std::string LowerHeaderName(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

void RecordedRequest::AddHeader(std::string_view name, std::string value) {
  std::string key = LowerHeaderName(name);
  if (key == "x-vault-token") {
    has_token = true;
    token = value;
  } else if (key == "content-type") {
    content_type = value;
  }
  headers[std::move(key)] = std::move(value);
}

std::string RecordedRequest::Header(std::string_view name) const {
  auto it = headers.find(LowerHeaderName(name));
  return it == headers.end() ? "" : it->second;
}

}  // namespace tresor::cli
