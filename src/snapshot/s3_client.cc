#include "snapshot/s3_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/sha256.h"
#include "seal/http_call.h"

namespace tresor::snapshot {
namespace {

// RFC 3986 unreserved characters pass; everything else is %XX ('/' kept
// in object keys, as S3 expects).
std::string UriEncode(std::string_view text, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The text of the first <tag>...</tag> in xml, "" when absent.
std::string XmlValue(std::string_view xml, std::string_view tag, std::size_t* from = nullptr) {
  const std::string open = "<" + std::string(tag) + ">", close = "</" + std::string(tag) + ">";
  std::size_t start = xml.find(open, from != nullptr ? *from : 0);
  if (start == std::string_view::npos) return "";
  start += open.size();
  std::size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return "";
  if (from != nullptr) *from = end + close.size();
  return std::string(xml.substr(start, end - start));
}

std::string XmlUnescape(std::string text) {
  const std::pair<std::string_view, std::string_view> kEntities[] = {
      {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}, {"&amp;", "&"}};
  for (const auto& [entity, plain] : kEntities) {
    for (std::size_t at = text.find(entity); at != std::string::npos;
         at = text.find(entity, at + plain.size())) {
      text.replace(at, entity.size(), plain);
    }
  }
  return text;
}

// S3's refusal as a Status with its code and message.
Status S3Error(const seal::HttpResponse& response, std::string_view what) {
  std::string code = XmlValue(response.body, "Code");
  std::string message = XmlValue(response.body, "Message");
  std::string detail = "S3 " + std::string(what) + ": HTTP " + std::to_string(response.status) +
                       (code.empty() ? "" : " " + code) + (message.empty() ? "" : ": " + message);
  if (response.status == 403) return PermissionDeniedError(detail);
  if (response.status == 404) return NotFoundError(detail);
  if (response.status >= 500) return UnavailableError(detail);
  return InvalidArgumentError(detail);
}

bool HostSafeBucket(std::string_view bucket) {
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
          c == '-')) {
      return false;
    }
  }
  return !bucket.empty();
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::string S3Client::Url(const std::string& key) const {
  return "s3://" + location_.bucket + "/" + key;
}

std::string S3Client::ObjectUrl(const std::string& key, const std::string& query) const {
  const std::string scheme = location_.disable_tls ? "http://" : "https://";
  const std::string endpoint = location_.endpoint.empty()
                                   ? "s3." + location_.region + ".amazonaws.com"
                                   : location_.endpoint;
  std::string url;
  if (location_.force_path_style || !HostSafeBucket(location_.bucket)) {
    url = scheme + endpoint + "/" + UriEncode(location_.bucket, false) + "/" + UriEncode(key, true);
  } else {
    url = scheme + location_.bucket + "." + endpoint + "/" + UriEncode(key, true);
  }
  return query.empty() ? url : url + "?" + query;
}

namespace {

seal::HttpRequest Signed(const S3Location& location, std::string method, std::string url) {
  seal::HttpRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.timeout = std::chrono::seconds(300);
  request.sigv4 = seal::SigV4{location.region, "s3", location.access_key_id,
                              location.secret_access_key, location.session_token};
  if (request.sigv4->access_key.empty()) {
    // As the AWS tools: the server's environment.
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    request.sigv4->access_key = id != nullptr ? id : "";
    request.sigv4->secret_key = secret != nullptr ? secret : "";
    if (token != nullptr) request.sigv4->session_token = token;
  }
  return request;
}

// Sends a signed request. S3 wants the payload's SHA-256 in
// x-amz-content-sha256, and libcurl signs it as part of the request.
StatusOr<seal::HttpResponse> Send(seal::HttpRequest request) {
  request.headers.push_back("x-amz-content-sha256: " + Sha256Hex(request.body));
  return seal::HttpCall(request);
}

}  // namespace

Status S3Client::Upload(const std::string& file, const std::string& key) const {
  Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return IOError("cannot read " + file + ": " + std::strerror(errno));

  seal::HttpRequest create = Signed(location_, "POST", ObjectUrl(key, "uploads="));
  if (location_.server_side_encryption.empty() == false) {
    create.headers.push_back("x-amz-server-side-encryption: " + location_.server_side_encryption);
    if (!location_.kms_key.empty()) {
      create.headers.push_back("x-amz-server-side-encryption-aws-kms-key-id: " + location_.kms_key);
    }
  }
  TRESOR_ASSIGN_OR_RETURN(seal::HttpResponse created, Send(create));
  if (created.status != 200) return S3Error(created, "starting an upload");
  const std::string upload_id = XmlValue(created.body, "UploadId");
  if (upload_id.empty()) return UnavailableError("S3 starting an upload: no UploadId in the answer");
  const std::string id_query = "uploadId=" + UriEncode(upload_id, false);

  auto abort = [&](Status why) {
    // Best effort: an upload left unfinished is never an object, and S3's
    // lifecycle rules can reap its parts.
    Send(Signed(location_, "DELETE", ObjectUrl(key, id_query))).status().IgnoreError();
    return why;
  };
  std::string complete = "<CompleteMultipartUpload>";
  std::string part(kPartBytes, '\0');
  for (int number = 1;; ++number) {
    std::size_t filled = 0;
    while (filled < part.size()) {
      ssize_t n = ::read(fd.get(), part.data() + filled, part.size() - filled);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return abort(IOError("reading " + file + ": " + std::strerror(errno)));
      if (n == 0) break;
      filled += static_cast<std::size_t>(n);
    }
    if (filled == 0 && number > 1) break;
    seal::HttpRequest put = Signed(
        location_, "PUT", ObjectUrl(key, "partNumber=" + std::to_string(number) + "&" + id_query));
    put.body.assign(part.data(), filled);
    auto uploaded = Send(std::move(put));
    if (!uploaded.ok()) return abort(uploaded.status());
    if (uploaded->status != 200) return abort(S3Error(*uploaded, "uploading a part"));
    const std::string etag = uploaded->headers["etag"];
    complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + etag +
                "</ETag></Part>";
    if (filled < part.size()) break;
  }
  complete += "</CompleteMultipartUpload>";
  seal::HttpRequest finish = Signed(location_, "POST", ObjectUrl(key, id_query));
  finish.body = complete;
  finish.headers.push_back("Content-Type: application/xml");
  auto finished = Send(finish);
  if (!finished.ok()) return abort(finished.status());
  // S3 may answer 200 with an <Error> body to a completion that failed.
  if (finished->status != 200 || finished->body.find("<Error>") != std::string::npos) {
    return abort(S3Error(*finished, "completing an upload"));
  }
  return Status::Ok();
}

StatusOr<std::vector<std::string>> S3Client::List(const std::string& prefix) const {
  std::vector<std::string> keys;
  std::string token;
  for (;;) {
    std::string query = "list-type=2&prefix=" + UriEncode(prefix, false);
    if (!token.empty()) query = "continuation-token=" + UriEncode(token, false) + "&" + query;
    TRESOR_ASSIGN_OR_RETURN(seal::HttpResponse listed,
                            Send(Signed(location_, "GET", ObjectUrl("", query))));
    if (listed.status != 200) return S3Error(listed, "listing");
    std::size_t at = 0;
    for (;;) {
      std::string contents = XmlValue(listed.body, "Contents", &at);
      if (contents.empty()) break;
      keys.push_back(XmlUnescape(XmlValue(contents, "Key")));
    }
    if (XmlValue(listed.body, "IsTruncated") != "true") break;
    token = XmlUnescape(XmlValue(listed.body, "NextContinuationToken"));
    if (token.empty()) break;
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

Status S3Client::Remove(const std::string& key) const {
  TRESOR_ASSIGN_OR_RETURN(seal::HttpResponse removed,
                          Send(Signed(location_, "DELETE", ObjectUrl(key, ""))));
  if (removed.status != 204 && removed.status != 200) return S3Error(removed, "deleting");
  return Status::Ok();
}

Status S3Client::Download(const std::string& key, const std::string& file) const {
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return IOError("cannot create " + file + ": " + std::strerror(errno));
  seal::HttpRequest get = Signed(location_, "GET", ObjectUrl(key, ""));
  get.body_fd = fd;
  StatusOr<seal::HttpResponse> got = Send(std::move(get));
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  TRESOR_RETURN_IF_ERROR(got.status());
  if (got->status == 404) return NotFoundError("S3 has no object " + Url(key));
  if (got->status != 200) return S3Error(*got, "downloading");
  if (!synced) return IOError("cannot write " + file);
  return Status::Ok();
}

}  // namespace tresor::snapshot
