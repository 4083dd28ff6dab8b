#include "http/response_writer.h"

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include "http/status_mapping.h"

namespace tresor::http {
namespace {

namespace beast_http = boost::beast::http;
using nlohmann::json;

bool IsEmpty(const json& value) { return value.is_null() || (value.is_object() && value.empty()); }

json Envelope(const core::Response& response, const std::string& request_id) {
  json body = json::object();
  body["request_id"] = request_id;
  body["lease_id"] = response.lease_id;
  body["renewable"] = response.renewable;
  body["lease_duration"] = response.lease_duration;
  body["data"] = response.data;
  body["wrap_info"] = response.wrap_info.is_null() ? json(nullptr) : response.wrap_info;
  body["warnings"] = response.warnings.empty() ? json(nullptr) : json(response.warnings);
  body["auth"] = response.auth;
  return body;
}

// Serialises without throwing on invalid UTF-8 (an engine may store bytes).
std::string Dump(const json& body) {
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool StatusForbidsBody(int status) { return status == 204 || status == 304 || status < 200; }

}  // namespace

HttpResponse BuildHttpResponse(const StatusOr<core::Response>& result,
                               const ResponseContext& context) {
  int status = 200;
  std::string body;
  const std::map<std::string, std::string>* extra_headers = nullptr;

  if (!result.ok()) {
    status = HttpStatusForCode(result.status().code());
    // An error without a message is Vault's bare 404 ({"errors":[]}) for a
    // missing secret or an empty LIST.
    json errors = json::array();
    if (!result.status().message().empty()) errors.push_back(result.status().message());
    body = Dump(json{{"errors", errors}});
  } else {
    const core::Response& response = *result;
    extra_headers = &response.headers;
    switch (response.shape) {
      case core::Response::Shape::kRaw:
        if (response.data.is_null()) {
          status = 204;
        } else {
          body = Dump(response.data);
        }
        break;
      case core::Response::Shape::kEnvelope:
      case core::Response::Shape::kEnvelopeWithTopLevelData: {
        if (IsEmpty(response.data) && IsEmpty(response.auth) && IsEmpty(response.wrap_info) &&
            response.warnings.empty()) {
          status = 204;
          // An explicit code (say 200) still wants the envelope written.
          if (response.http_status == 0 || StatusForbidsBody(response.http_status)) break;
        }
        json envelope = Envelope(response, context.request_id);
        if (response.shape == core::Response::Shape::kEnvelopeWithTopLevelData &&
            response.data.is_object()) {
          for (const auto& [key, value] : response.data.items()) {
            if (!envelope.contains(key)) envelope[key] = value;
          }
        }
        body = Dump(envelope);
        break;
      }
    }
    if (response.http_status != 0) status = response.http_status;
  }
  if (StatusForbidsBody(status)) body.clear();

  HttpResponse http_response{static_cast<beast_http::status>(status), context.http_version};
  http_response.set(beast_http::field::content_type, "application/json");
  http_response.set(beast_http::field::cache_control, "no-store");
  if (extra_headers != nullptr) {
    for (const auto& [name, value] : *extra_headers) http_response.set(name, value);
  }
  http_response.keep_alive(context.keep_alive);
  if (context.head_only) {
    // The length GET would have sent, with no body (RFC 9110, 9.3.2).
    if (!StatusForbidsBody(status)) http_response.content_length(body.size());
  } else {
    http_response.body() = std::move(body);
    http_response.prepare_payload();
  }
  return http_response;
}

StreamingResponseHeader BuildStreamingResponseHeader(const core::Response& response,
                                                     const ResponseContext& context) {
  const int status = response.http_status != 0 ? response.http_status : 200;
  StreamingResponseHeader header{static_cast<beast_http::status>(status), context.http_version};
  header.set(beast_http::field::content_type,
             response.content_type.empty() ? "application/octet-stream" : response.content_type);
  header.set(beast_http::field::cache_control, "no-store");
  for (const auto& [name, value] : response.headers) header.set(name, value);
  const bool http10 = context.http_version < 11;
  header.keep_alive(context.keep_alive && !http10);
  if (!context.head_only && !http10) header.chunked(true);
  return header;
}

}  // namespace tresor::http
