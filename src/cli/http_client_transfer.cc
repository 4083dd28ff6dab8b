// BeastHttpClient::Download and BeastHttpClient::Upload: bodies of any size
// (snapshots) streamed in pieces, with a timeout per step. See http_client.h
// for the contracts.
#include <unistd.h>

#include <algorithm>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

#include "cli/http_client.h"
#include "cli/http_client_internal.h"
#include "cli/http_connection.h"

namespace tresor::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using internal::After;
using internal::Deadline;
using internal::error_code;
using internal::Lower;
using internal::RunUntil;

// One piece in memory at a time, each way.
constexpr std::size_t kPieceBytes = 256 * 1024;
// A non-2xx answer is an error message; more than this is not worth keeping.
constexpr std::size_t kMaxErrorBodyBytes = 1024 * 1024;
// The largest final answer to an upload (JSON), as for Send.
constexpr std::uint64_t kMaxUploadAnswerBytes = 64 * 1024 * 1024;
// How long an upload waits for 100 Continue before sending the body anyway
// (curl waits as long): a server that ignores Expect still gets the body.
constexpr std::chrono::seconds kContinueWait{1};

std::string StepError(const std::string& prefix, std::string_view step, error_code ec) {
  if (ec == asio::error::timed_out)
    return prefix + "Client.Timeout exceeded while " + std::string(step);
  return prefix + Lower(ec.message());
}

bool IsTruncation(error_code ec) {
  return ec == http::error::partial_message || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::ssl::error::stream_truncated;
}

template <class Stream>
StatusOr<int> ReceiveDownload(asio::io_context& ioc, Stream& stream,
                              http::request<http::empty_body>& request, const std::string& prefix,
                              std::chrono::nanoseconds step,
                              const std::function<Status(std::string_view)>& sink,
                              HttpResponse* other, const TransferProgress& progress) {
  error_code ec = RunUntil(ioc, After(step), [&](auto handler) {
    http::async_write(stream, request, std::move(handler));
  });
  if (ec) return UnavailableError(StepError(prefix, "sending the request", ec));

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  // No limit: the sink decides how much it takes. (Beast 1.74 compares a
  // Content-Length with boost::none as "too large", hence the maximum.)
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  ec = RunUntil(ioc, After(step), [&](auto handler) {
    http::async_read_header(stream, buffer, parser, std::move(handler));
  });
  if (ec) return UnavailableError(StepError(prefix, "awaiting the response", ec));
  const int status = static_cast<int>(parser.get().result_int());
  const bool success = status >= 200 && status < 300;
  std::optional<std::uint64_t> total;
  if (auto length = parser.content_length()) total = *length;

  std::vector<char> piece(kPieceBytes);
  std::string error_body;
  std::uint64_t received = 0;
  while (!parser.is_done() && error_body.size() < kMaxErrorBodyBytes) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    // Some, not all: each piece goes to the sink as soon as it arrives, so
    // a body that trickles (sys/monitor's log lines) is seen line by line.
    ec = RunUntil(ioc, After(step), [&](auto handler) {
      http::async_read_some(stream, buffer, parser, std::move(handler));
    });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      if (ec != asio::error::timed_out && IsTruncation(ec)) {
        return IOError(prefix +
                       "the response body is incomplete: the server closed the "
                       "connection before its end");
      }
      return UnavailableError(StepError(prefix, "reading the response body", ec));
    }
    const std::string_view got(piece.data(), piece.size() - parser.get().body().size);
    if (got.empty()) continue;
    if (success) {
      TRESOR_RETURN_IF_ERROR(sink(got));
      received += got.size();
      if (progress) progress(received, total);
    } else {
      error_body.append(got);
    }
  }
  if (!success && other != nullptr) {
    other->status = status;
    if (auto it = parser.get().find(http::field::location); it != parser.get().end()) {
      other->location = std::string(it->value());
    }
    other->raw_body = std::move(error_body);
    other->body = internal::ParseJsonBody(other->raw_body);
  }
  return status;
}

// An upload's exchange. The response is read alongside the body: the
// server may answer (307, 413, 100 Continue) before the body is complete.
template <class Stream>
class UploadExchange {
 public:
  UploadExchange(asio::io_context& ioc, Stream& stream, const std::string& prefix,
                 std::chrono::nanoseconds step)
      : ioc_(ioc), stream_(stream), prefix_(prefix), step_(step) {}

  StatusOr<HttpResponse> Run(http::request<http::empty_body>& request, int fd, std::uint64_t size,
                             const TransferProgress& progress) {
    http::request_serializer<http::empty_body> serializer(request);
    error_code ec = RunUntil(ioc_, After(step_), [&](auto handler) {
      http::async_write_header(stream_, serializer, std::move(handler));
    });
    if (ec) return UnavailableError(StepError(prefix_, "sending the request", ec));
    StartReadingHeader();
    WaitForHeader(std::min(After(kContinueWait), After(step_)));
    TRESOR_ASSIGN_OR_RETURN(bool answered, FinalAnswerArrived());

    std::vector<char> piece(std::min<std::uint64_t>(kPieceBytes, std::max<std::uint64_t>(size, 1)));
    for (std::uint64_t offset = 0; !answered && offset < size;) {
      TRESOR_ASSIGN_OR_RETURN(std::size_t n, internal::ReadPiece(fd, offset, size, piece));
      ec = RunUntil(ioc_, After(step_), [&](auto handler) {
        asio::async_write(stream_, asio::buffer(piece.data(), n), std::move(handler));
      });
      if (ec == asio::error::timed_out) {
        return UnavailableError(StepError(prefix_, "sending the request body", ec));
      }
      if (ec) {
        // The server may have answered and closed without reading the rest
        // (a 413, say): its answer is worth more than the write error.
        WaitForHeader(After(step_));
        TRESOR_ASSIGN_OR_RETURN(answered, FinalAnswerArrived());
        if (!answered) return UnavailableError(StepError(prefix_, "sending the request body", ec));
        break;
      }
      offset += n;
      if (progress) progress(offset, size);
      TRESOR_ASSIGN_OR_RETURN(answered, FinalAnswerArrived());
    }
    while (!answered) {
      WaitForHeader(After(step_));
      if (!header_result_) {
        return UnavailableError(
            StepError(prefix_, "awaiting the response", asio::error::timed_out));
      }
      TRESOR_ASSIGN_OR_RETURN(answered, FinalAnswerArrived());
    }
    return ReadFinalBody();
  }

 private:
  void StartReadingHeader() {
    parser_.emplace();
    parser_->body_limit(kMaxUploadAnswerBytes);
    header_result_.reset();
    http::async_read_header(stream_, buffer_, *parser_,
                            [this](error_code ec, std::size_t) { header_result_ = ec; });
  }

  // Runs the io_context (the body's writes included) until a header has
  // been read or `until`.
  void WaitForHeader(Deadline until) {
    ioc_.restart();
    while (!header_result_ && std::chrono::steady_clock::now() < until) {
      if (ioc_.run_one_until(until) == 0 && ioc_.stopped()) break;
    }
  }

  // Whether the final (non-1xx) header is here. A 100 Continue starts the
  // read of the next header. An error reading is Unavailable.
  StatusOr<bool> FinalAnswerArrived() {
    if (!header_result_) return false;
    if (*header_result_) {
      return UnavailableError(StepError(prefix_, "awaiting the response", *header_result_));
    }
    if (http::to_status_class(parser_->get().result()) == http::status_class::informational) {
      StartReadingHeader();
      return false;
    }
    return true;
  }

  StatusOr<HttpResponse> ReadFinalBody() {
    error_code ec;
    if (!parser_->is_done()) {
      ec = RunUntil(ioc_, After(step_), [&](auto handler) {
        http::async_read(stream_, buffer_, *parser_, std::move(handler));
      });
    }
    if (ec) return UnavailableError(StepError(prefix_, "reading the response", ec));
    HttpResponse response;
    response.status = static_cast<int>(parser_->get().result_int());
    if (auto it = parser_->get().find(http::field::location); it != parser_->get().end()) {
      response.location = std::string(it->value());
    }
    response.raw_body = std::move(parser_->get().body());
    response.body = internal::ParseJsonBody(response.raw_body);
    return response;
  }

  asio::io_context& ioc_;
  Stream& stream_;
  const std::string& prefix_;
  const std::chrono::nanoseconds step_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  std::optional<error_code> header_result_;  // set when the header read ends
};

}  // namespace

StatusOr<bool> BeastHttpClient::NextHop(const HttpResponse& response, int redirects, Url& url,
                                        std::string& target) const {
  const bool redirect =
      (response.status == 307 || response.status == 308) && !response.location.empty();
  if (!redirect || redirects == internal::kMaxRedirects) return false;
  TRESOR_ASSIGN_OR_RETURN(auto next, internal::ParseRedirect(response.location));
  if (next.first.tls != url_.tls) {
    return UnavailableError("refusing redirect from " + url_.Format("") + " to " +
                            next.first.Format("") + ": the scheme differs");
  }
  url = std::move(next.first);
  target = std::move(next.second);
  return true;
}

StatusOr<int> BeastHttpClient::Download(std::string_view path,
                                        const std::function<Status(std::string_view)>& sink,
                                        HttpResponse* error_response,
                                        const TransferProgress& progress) {
  Url url = url_;
  std::string target = url_.path_prefix + std::string(path);
  for (int redirects = 0;; ++redirects) {
    HttpResponse other;
    TRESOR_ASSIGN_OR_RETURN(int status, DownloadOnce(url, target, sink, &other, progress));
    if (status >= 200 && status < 300) return status;
    TRESOR_ASSIGN_OR_RETURN(bool follow, NextHop(other, redirects, url, target));
    if (!follow) {
      if (error_response != nullptr) *error_response = std::move(other);
      return status;
    }
  }
}

StatusOr<int> BeastHttpClient::DownloadOnce(const Url& url, const std::string& target,
                                            const std::function<Status(std::string_view)>& sink,
                                            HttpResponse* other, const TransferProgress& progress) {
  const std::string prefix = internal::ErrorPrefix(url, "GET", target);
  http::request<http::empty_body> request;
  internal::SetRequestLine(request, url, "GET", target, options_);
  request.prepare_payload();
  asio::io_context ioc;
  const Deadline connect_deadline = After(std::min(options_.timeout, options_.connect_timeout));
  return internal::WithConnection<int>(ioc, url, options_, tls_.get(), prefix, connect_deadline,
                                       After(options_.timeout), [&](auto& stream) {
                                         return ReceiveDownload(ioc, stream, request, prefix,
                                                                options_.timeout, sink, other,
                                                                progress);
                                       });
}

StatusOr<HttpResponse> BeastHttpClient::Upload(std::string_view method, std::string_view path,
                                               int fd, std::uint64_t size,
                                               const TransferProgress& progress) {
  Url url = url_;
  std::string target = url_.path_prefix + std::string(path);
  for (int redirects = 0;; ++redirects) {
    TRESOR_ASSIGN_OR_RETURN(HttpResponse response,
                            UploadOnce(url, method, target, fd, size, progress));
    TRESOR_ASSIGN_OR_RETURN(bool follow, NextHop(response, redirects, url, target));
    if (!follow) return response;
  }
}

StatusOr<HttpResponse> BeastHttpClient::UploadOnce(const Url& url, std::string_view method,
                                                   const std::string& target, int fd,
                                                   std::uint64_t size,
                                                   const TransferProgress& progress) {
  const std::string prefix = internal::ErrorPrefix(url, method, target);
  http::request<http::empty_body> request;
  internal::SetRequestLine(request, url, method, target, options_);
  request.set(http::field::content_type, "application/octet-stream");
  if (size > 0) request.set(http::field::expect, "100-continue");
  request.content_length(size);
  asio::io_context ioc;
  const Deadline connect_deadline = After(std::min(options_.timeout, options_.connect_timeout));
  return internal::WithConnection<HttpResponse>(
      ioc, url, options_, tls_.get(), prefix, connect_deadline, After(options_.timeout),
      [&](auto& stream) {
        UploadExchange<std::remove_reference_t<decltype(stream)>> exchange(ioc, stream, prefix,
                                                                           options_.timeout);
        return exchange.Run(request, fd, size, progress);
      });
}

}  // namespace tresor::cli
