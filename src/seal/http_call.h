// One blocking HTTP(S) request through libcurl, for the seal providers that
// speak HTTP (transit, awskms): TLS options as Vault's seal blocks name them,
// and AWS Signature Version 4 by libcurl's own CURLOPT_AWS_SIGV4.
//
// Who calls it: seal/transit_wrapper.cc, seal/awskms_wrapper.cc.
// Threads: any; each call has its own curl handle.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace tresor::seal {

struct TlsOptions {
  std::string ca_cert;      // PEM file of the CA to trust; empty: the system's
  std::string client_cert;  // PEM client certificate, with client_key
  std::string client_key;
  std::string server_name;  // the name to verify instead of the URL's host
  bool skip_verify = false;
};

struct SigV4 {
  std::string region;
  std::string service;  // "kms"
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // sent as X-Amz-Security-Token when set
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  TlsOptions tls;
  std::optional<SigV4> sigv4;
  std::chrono::seconds timeout{10};
  // When >= 0, a 2xx answer's body is written to this file descriptor as it
  // arrives (a download of any size) instead of into HttpResponse::body.
  int body_fd = -1;
};

struct HttpResponse {
  long status = 0;
  std::string body;
  // Response headers, names lower-cased (the last of a repeated one).
  std::map<std::string, std::string> headers;
};

// Unavailable when the server cannot be reached or the transfer fails (with
// curl's reason); the response otherwise, whatever its status.
StatusOr<HttpResponse> HttpCall(const HttpRequest& request);

}  // namespace tresor::seal
