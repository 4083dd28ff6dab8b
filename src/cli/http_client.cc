#include "cli/http_client.h"

#include <openssl/ssl.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

#include "cli/http_client_internal.h"
#include "cli/http_connection.h"
#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

namespace http = boost::beast::http;
using internal::After;
namespace asio = boost::asio;
using internal::Deadline;
using internal::error_code;
using internal::Lower;
using internal::RunUntil;
namespace ssl = boost::asio::ssl;

constexpr uint64_t kMaxResponseBytes = 64 * 1024 * 1024;

// A response as read by ReadResponse, before JSON parsing.
struct RawResponse {
  int status = 0;
  std::string body;
  std::string location;
};

// Writes `request` and reads the response on a connected (and, for TLS,
// handshaken) stream. `failure` describes a network error for the caller.
template <typename Stream>
StatusOr<RawResponse> Exchange(asio::io_context& ioc, Stream& stream, Deadline deadline,
                               http::request<http::string_body>& request,
                               const std::string& failure_prefix) {
  error_code ec = RunUntil(
      ioc, deadline, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });
  if (ec == asio::error::timed_out) {
    return UnavailableError(failure_prefix + "Client.Timeout exceeded while sending the request");
  }
  if (ec) return UnavailableError(failure_prefix + Lower(ec.message()));

  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  ec = RunUntil(ioc, deadline, [&](auto handler) {
    http::async_read(stream, buffer, parser, std::move(handler));
  });
  if (ec == asio::error::timed_out) {
    return UnavailableError(failure_prefix + "Client.Timeout exceeded while awaiting the response");
  }
  if (ec) return UnavailableError(failure_prefix + Lower(ec.message()));
  http::response<http::string_body> response = parser.release();
  RawResponse raw;
  raw.status = static_cast<int>(response.result_int());
  raw.body = std::move(response.body());
  if (auto it = response.find(http::field::location); it != response.end()) {
    raw.location = std::string(it->value());
  }
  return raw;
}

}  // namespace

BeastHttpClient::BeastHttpClient(ClientOptions options, Url url, std::unique_ptr<ssl::context> tls)
    : options_(std::move(options)), url_(std::move(url)), tls_(std::move(tls)) {}

StatusOr<std::unique_ptr<HttpClient>> HttpClient::Create(ClientOptions options) {
  TRESOR_ASSIGN_OR_RETURN(Url url, ParseUrl(options.address));
  std::unique_ptr<ssl::context> tls;
  if (url.tls) {
    tls = std::make_unique<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = tls->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    error_code ec;
    if (options.tls_skip_verify) {
      tls->set_verify_mode(ssl::verify_none);
    } else {
      tls->set_verify_mode(ssl::verify_peer);
      if (!options.ca_cert.empty()) {
        tls->load_verify_file(options.ca_cert, ec);
        if (ec) return IOError("Error loading CA File: " + options.ca_cert + ": " + ec.message());
      }
      if (!options.ca_path.empty()) {
        tls->add_verify_path(options.ca_path, ec);
        if (ec) return IOError("Error loading CA Path: " + options.ca_path + ": " + ec.message());
      }
      if (options.ca_cert.empty() && options.ca_path.empty()) {
        tls->set_default_verify_paths(ec);
        if (ec) return IOError("Error loading the system CA store: " + ec.message());
      }
    }
    if (!options.client_cert.empty() || !options.client_key.empty()) {
      if (options.client_cert.empty() || options.client_key.empty()) {
        return InvalidArgumentError("both -client-cert and -client-key must be set");
      }
      tls->use_certificate_chain_file(options.client_cert, ec);
      if (ec) return IOError("Error loading client certificate " + options.client_cert);
      tls->use_private_key_file(options.client_key, ssl::context::pem, ec);
      if (ec) return IOError("Error loading client key " + options.client_key);
    }
  }
  return std::unique_ptr<HttpClient>(
      std::make_unique<BeastHttpClient>(std::move(options), std::move(url), std::move(tls)));
}

StatusOr<HttpResponse> BeastHttpClient::Send(std::string_view method, std::string_view path,
                                             const Json& body) {
  auto [verb, target] = internal::SendRequestLine(url_, method, path);
  // Bodies carry unseal keys and secrets: every exit below wipes this copy.
  std::string body_text = body.is_null() ? "" : body.dump();
  Url url = url_;
  for (int redirects = 0;; ++redirects) {
    StatusOr<HttpResponse> response = SendOnce(url, verb, target, body_text);
    if (!response.ok()) {
      SecureWipe(body_text);
      return response;
    }
    StatusOr<bool> follow = NextHop(*response, redirects, url, target);
    if (!follow.ok() || !*follow) SecureWipe(body_text);
    if (!follow.ok()) return follow.status();
    if (!*follow) return response;
  }
}

StatusOr<HttpResponse> BeastHttpClient::SendOnce(const Url& url, std::string_view method,
                                                 const std::string& target,
                                                 const std::string& body) {
  const std::string prefix = internal::ErrorPrefix(url, method, target);
  const Deadline deadline = After(options_.timeout);
  const Deadline connect_deadline = std::min(deadline, After(options_.connect_timeout));

  http::request<http::string_body> request;
  internal::SetRequestLine(request, url, method, target, options_);
  if (!body.empty()) {
    request.set(http::field::content_type, internal::JsonContentType(method));
    request.body() = body;
  }
  request.prepare_payload();

  asio::io_context ioc;
  StatusOr<RawResponse> raw = internal::WithConnection<RawResponse>(
      ioc, url, options_, tls_.get(), prefix, connect_deadline, deadline,
      [&](auto& stream) { return Exchange(ioc, stream, deadline, request, prefix); });
  if (!request.body().empty()) SecureWipe(request.body());
  if (!raw.ok()) return raw.status();

  HttpResponse response;
  response.status = raw->status;
  response.location = std::move(raw->location);
  response.raw_body = std::move(raw->body);
  response.body = internal::ParseJsonBody(response.raw_body);
  return response;
}

StatusOr<Json> HttpClient::Call(std::string_view method, std::string_view path, const Json& body) {
  TRESOR_ASSIGN_OR_RETURN(HttpResponse response, Send(method, path, body));
  if (response.status >= 200 && response.status < 300) return std::move(response.body);
  std::string verb = method == "LIST" ? "GET" : std::string(method);
  std::string shown_path = std::string(path) + (method == "LIST" ? "?list=true" : "");
  return ApiErrorStatus(verb, url().Format(shown_path), response);
}

std::string FormatApiError(std::string_view method, std::string_view url,
                           const HttpResponse& response) {
  std::string out = "Error making API request.\n\nURL: " + std::string(method) + " " +
                    std::string(url) + "\nCode: " + std::to_string(response.status) + ". ";
  std::vector<std::string> errors;
  if (response.body.is_object()) {
    auto it = response.body.find("errors");
    if (it != response.body.end() && it->is_array()) {
      for (const Json& error : *it) {
        errors.push_back(error.is_string() ? error.get<std::string>() : error.dump());
      }
    }
  }
  if (errors.empty()) {
    out += "Raw Message:\n\n" + response.raw_body;
    return out;
  }
  out += "Errors:\n\n";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) out += "\n";
    out += "* " + errors[i];
  }
  return out;
}

Status ApiErrorStatus(std::string_view method, std::string_view url, const HttpResponse& response) {
  StatusCode code = StatusCode::kInternal;
  switch (response.status) {
    case 400:
      code = StatusCode::kInvalidArgument;
      break;
    case 403:
      code = StatusCode::kPermissionDenied;
      break;
    case 404:
      code = StatusCode::kNotFound;
      break;
    case 405:
      code = StatusCode::kUnsupportedOperation;
      break;
    case 413:
      code = StatusCode::kTooLarge;
      break;
    case 503:
      code = StatusCode::kUnavailable;
      break;
    default:
      break;
  }
  return Status(code, FormatApiError(method, url, response));
}

}  // namespace tresor::cli
