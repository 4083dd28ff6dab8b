#include "seal/http_call.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cerrno>

#include <memory>
#include <mutex>

namespace tresor::seal {
namespace {

// Where an answer's body goes: the file of a download (2xx only: an error's
// body is its explanation), or memory.
struct BodyTarget {
  CURL* handle;
  int fd;
  std::string* body;
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* out) {
  auto* target = static_cast<BodyTarget*>(out);
  long status = 0;
  curl_easy_getinfo(target->handle, CURLINFO_RESPONSE_CODE, &status);
  if (target->fd < 0 || status < 200 || status > 299) {
    target->body->append(data, size * count);
    return size * count;
  }
  for (std::size_t done = 0; done < size * count;) {
    ssize_t n = ::write(target->fd, data + done, size * count - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return 0;  // curl fails the transfer
    done += static_cast<std::size_t>(n);
  }
  return size * count;
}

std::size_t CollectHeader(char* data, std::size_t size, std::size_t count, void* out) {
  std::string_view line(data, size * count);
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    (*static_cast<std::map<std::string, std::string>*>(out))[name] = std::string(value);
  }
  return size * count;
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

StatusOr<HttpResponse> HttpCall(const HttpRequest& request) {
  GlobalInit();
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return InternalError("curl_easy_init failed");
  CURL* h = curl.get();
  HttpResponse response;
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) headers = curl_slist_append(headers, header.c_str());
  std::string token_header;
  if (request.sigv4.has_value() && !request.sigv4->session_token.empty()) {
    token_header = "X-Amz-Security-Token: " + request.sigv4->session_token;
    headers = curl_slist_append(headers, token_header.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                         curl_slist_free_all);
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  if (request.method != "GET") {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  BodyTarget body_target{h, request.body_fd, &response.body};
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &body_target);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, CollectHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  const TlsOptions& tls = request.tls;
  if (!tls.ca_cert.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_cert.c_str());
  if (!tls.client_cert.empty()) curl_easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert.c_str());
  if (!tls.client_key.empty()) curl_easy_setopt(h, CURLOPT_SSLKEY, tls.client_key.c_str());
  if (tls.skip_verify) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  // tls_server_name: connect to the URL's host and port, but ask for (and
  // verify) the certificate of server_name, by renaming the URL's host and
  // pointing that name at the real address.
  std::string url = request.url, connect_to;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> connect_list(nullptr,
                                                                          curl_slist_free_all);
  if (!tls.server_name.empty()) {
    std::unique_ptr<CURLU, decltype(&curl_url_cleanup)> parsed(curl_url(), curl_url_cleanup);
    char* host = nullptr;
    char* port = nullptr;
    bool ok = curl_url_set(parsed.get(), CURLUPART_URL, request.url.c_str(), 0) == CURLUE_OK &&
              curl_url_get(parsed.get(), CURLUPART_HOST, &host, 0) == CURLUE_OK &&
              curl_url_get(parsed.get(), CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK &&
              curl_url_set(parsed.get(), CURLUPART_HOST, tls.server_name.c_str(), 0) == CURLUE_OK;
    if (ok) connect_to = tls.server_name + ":" + port + ":" + host + ":" + port;
    char* renamed = nullptr;
    ok = ok && curl_url_get(parsed.get(), CURLUPART_URL, &renamed, 0) == CURLUE_OK;
    if (ok) url = renamed;
    curl_free(host);
    curl_free(port);
    curl_free(renamed);
    if (!ok) return InvalidArgumentError("cannot parse the URL " + request.url);
    connect_list.reset(curl_slist_append(nullptr, connect_to.c_str()));
    curl_easy_setopt(h, CURLOPT_CONNECT_TO, connect_list.get());
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  }
  std::string sigv4_provider, user_pwd;
  if (request.sigv4.has_value()) {
    const SigV4& sig = *request.sigv4;
    sigv4_provider = "aws:amz:" + sig.region + ":" + sig.service;
    user_pwd = sig.access_key + ":" + sig.secret_key;
    curl_easy_setopt(h, CURLOPT_AWS_SIGV4, sigv4_provider.c_str());
    curl_easy_setopt(h, CURLOPT_USERPWD, user_pwd.c_str());
  }
  CURLcode code = curl_easy_perform(h);
  if (!user_pwd.empty()) std::fill(user_pwd.begin(), user_pwd.end(), '\0');
  if (code != CURLE_OK) {
    return UnavailableError(std::string("cannot reach ") + request.url + ": " +
                            curl_easy_strerror(code));
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

}  // namespace tresor::seal
