// A small S3 client on libcurl, for snapshot uploads (docs/snapshots.md,
// "Automated snapshots"): requests signed with AWS Signature Version 4 by
// libcurl itself (seal/http_call.h), no SDK.
//
//   Upload    a local file as an object, by multipart upload in parts of
//             kPartBytes read one at a time (memory bounded whatever the
//             size). The object exists only once CompleteMultipartUpload
//             succeeds; any failure aborts the upload, so no partial object
//             is ever left under the name.
//   List      the object keys under a prefix (ListObjectsV2, every page).
//   Remove    one object.
//   Download  an object into a local file, as it arrives.
//
// Addressing: virtual-host (https://bucket.endpoint/key), or path-style
// (https://endpoint/bucket/key) when asked or when the bucket name cannot
// be a host name. TLS is verified against the system's CAs unless
// disable_tls asks for plain HTTP.
//
// Threads: stateless but for its options; calls may run on any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace tresor::snapshot {

struct S3Location {
  std::string bucket;
  std::string region = "us-east-1";
  std::string endpoint;  // host[:port]; empty: s3.<region>.amazonaws.com
  bool disable_tls = false;
  bool force_path_style = false;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  // Server-side encryption of uploads: "AES256" (SSE-S3), "aws:kms"
  // (SSE-KMS, with kms_key or the bucket's default key), or none.
  std::string server_side_encryption;
  std::string kms_key;
};

class S3Client {
 public:
  static constexpr std::size_t kPartBytes = std::size_t{8} << 20;

  explicit S3Client(S3Location location) : location_(std::move(location)) {}

  // Errors: Unavailable (unreachable, or a 5xx), PermissionDenied (403),
  // NotFound (no such bucket), IOError reading the file, InvalidArgument
  // for other refusals; each with S3's own error code and message.
  Status Upload(const std::string& file, const std::string& key) const;
  StatusOr<std::vector<std::string>> List(const std::string& prefix) const;
  Status Remove(const std::string& key) const;
  // GetObject, streamed into `file` (created or truncated, 0600). NotFound
  // when there is no such object.
  Status Download(const std::string& key, const std::string& file) const;

  // How an object is named in status and logs: s3://bucket/key.
  std::string Url(const std::string& key) const;

 private:
  std::string ObjectUrl(const std::string& key, const std::string& query) const;

  S3Location location_;
};

}  // namespace tresor::snapshot
