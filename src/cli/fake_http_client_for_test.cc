#include "cli/fake_http_client_for_test.h"

#include <map>
#include <vector>

#include "cli/http_wire.h"

namespace tresor::cli {
namespace {

std::string FakeServerKey(const Url& url) {
  return (url.tls ? "https://" : "http://") + url.HostPort();
}

// Live fake servers by FakeServerKey.
std::map<std::string, FakeServerForTest*>& FakeServers() {
  static auto* servers = new std::map<std::string, FakeServerForTest*>();
  return *servers;
}

// A port number for a new fake server's address. Addresses are never
// dialled; distinct ones let a test hold two servers at once.
int NextFakePort() {
  static int next = 20000;
  for (;;) {
    int port = next;
    next = next == 65535 ? 20000 : next + 1;
    if (FakeServers().count("http://127.0.0.1:" + std::to_string(port)) == 0) return port;
  }
}

}  // namespace

FakeServerForTest::FakeServerForTest(int expected_requests, Handler handler)
    : address_("http://127.0.0.1:" + std::to_string(NextFakePort())),
      expected_(expected_requests),
      handler_(std::move(handler)) {
  FakeServers()[address_] = this;
}

FakeServerForTest::~FakeServerForTest() { FakeServers().erase(address_); }

FakeServerForTest* FakeServerForTest::At(const Url& url) {
  auto it = FakeServers().find(FakeServerKey(url));
  return it == FakeServers().end() ? nullptr : it->second;
}

StatusOr<CannedResponse> FakeServerForTest::Answer(RecordedRequest request,
                                                   const std::string& error_prefix) {
  if (static_cast<int>(requests_.size()) >= expected_) {
    return UnavailableError(error_prefix + "the fake server at " + address_ + " expected only " +
                            std::to_string(expected_) + " requests");
  }
  CannedResponse response = handler_(request);
  requests_.push_back(std::move(request));
  return response;
}

FakeHttpClient::FakeHttpClient(ClientOptions options, Url url)
    : options_(std::move(options)), url_(std::move(url)) {}

StatusOr<std::unique_ptr<HttpClient>> FakeHttpClient::Create(ClientOptions options) {
  TRESOR_ASSIGN_OR_RETURN(Url url, ParseUrl(options.address));
  return std::unique_ptr<HttpClient>(new FakeHttpClient(std::move(options), std::move(url)));
}

RecordedRequest FakeHttpClient::NewRequest(std::string method, std::string target) const {
  RecordedRequest request;
  request.method = std::move(method);
  request.target = std::move(target);
  for (auto& [name, value] : internal::CommonHeaders(url_, options_, request.target)) {
    request.AddHeader(name, std::move(value));
  }
  return request;
}

StatusOr<HttpResponse> FakeHttpClient::Exchange(RecordedRequest request) {
  const std::string prefix = internal::ErrorPrefix(url_, request.method, request.target);
  FakeServerForTest* server = FakeServerForTest::At(url_);
  if (server == nullptr) {
    return UnavailableError(prefix + "dial tcp " + url_.HostPort() +
                            ": connect: connection refused");
  }
  TRESOR_ASSIGN_OR_RETURN(CannedResponse canned, server->Answer(std::move(request), prefix));
  HttpResponse response;
  response.status = canned.status;
  response.location = std::move(canned.location);
  response.raw_body = std::move(canned.body);
  response.body = internal::ParseJsonBody(response.raw_body);
  return response;
}

StatusOr<HttpResponse> FakeHttpClient::Send(std::string_view method, std::string_view path,
                                            const Json& body) {
  auto [verb, target] = internal::SendRequestLine(url_, method, path);
  RecordedRequest request = NewRequest(std::move(verb), std::move(target));
  if (!body.is_null()) {
    request.AddHeader("Content-Type", std::string(internal::JsonContentType(method)));
    request.body = body.dump();
  }
  return Exchange(std::move(request));
}

StatusOr<int> FakeHttpClient::Download(std::string_view path,
                                       const std::function<Status(std::string_view)>& sink,
                                       HttpResponse* error_response,
                                       const TransferProgress& progress) {
  TRESOR_ASSIGN_OR_RETURN(HttpResponse response,
                          Exchange(NewRequest("GET", url_.path_prefix + std::string(path))));
  if (response.status >= 200 && response.status < 300) {
    if (!response.raw_body.empty()) {
      TRESOR_RETURN_IF_ERROR(sink(response.raw_body));
      if (progress) progress(response.raw_body.size(), response.raw_body.size());
    }
    return response.status;
  }
  const int status = response.status;
  if (error_response != nullptr) *error_response = std::move(response);
  return status;
}

StatusOr<HttpResponse> FakeHttpClient::Upload(std::string_view method, std::string_view path,
                                              int fd, std::uint64_t size,
                                              const TransferProgress& progress) {
  RecordedRequest request = NewRequest(std::string(method), url_.path_prefix + std::string(path));
  request.AddHeader("Content-Type", "application/octet-stream");
  std::vector<char> piece(64 * 1024);
  for (std::uint64_t offset = 0; offset < size;) {
    TRESOR_ASSIGN_OR_RETURN(std::size_t n, internal::ReadPiece(fd, offset, size, piece));
    request.body.append(piece.data(), n);
    offset += n;
    if (progress) progress(offset, size);
  }
  return Exchange(std::move(request));
}

}  // namespace tresor::cli
