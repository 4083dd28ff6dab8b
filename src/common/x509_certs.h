// X.509 certificates made in memory (OpenSSL): a self-signed CA and the
// certificates it issues. The DR channel (core/replication/dr_tls.h) and the
// cluster port's TLS (raft/cluster_tls.h) trust only CAs made here, pinned,
// never the system's. Keys are P-256; certificates are signed with SHA-256.
//
// Threads: stateless, thread-safe.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "common/secure_memory.h"
#include "common/status.h"

typedef struct x509_st X509;
typedef struct evp_pkey_st EVP_PKEY;

namespace tresor {

struct X509Free {
  void operator()(X509* cert) const;
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const;
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// A PEM certificate or private key parsed for OpenSSL (TLS contexts).
// InvalidArgument with OpenSSL's reason when it does not parse.
StatusOr<X509Ptr> ParseCertPem(std::string_view pem);
StatusOr<PkeyPtr> ParseKeyPem(const SecureBytes& pem);
// A certificate's subject common name ("" without one).
std::string CommonNameOf(X509* cert);

// A certificate and its private key, PEM.
struct CertKeyPair {
  std::string cert_pem;
  SecureBytes key_pem;
};

// What a certificate may be used for (its extended key usage).
enum class CertUse {
  kClient,           // TLS client only
  kServerAndClient,  // either side of a TLS connection
};

// A new self-signed CA named `common_name`, valid from an hour ago (clock
// skew between nodes) for `valid_days`. The CA itself may also serve as a
// TLS identity (server and client), as the DR primary's does.
StatusOr<CertKeyPair> CreateCa(std::string_view common_name, int valid_days);

// A certificate for a fresh key, named `common_name`, signed by `ca`, valid
// from an hour ago for `valid_days`.
StatusOr<CertKeyPair> IssueCert(const CertKeyPair& ca, std::string_view common_name, CertUse use,
                                int valid_days);

// The subject common name of a PEM certificate.
StatusOr<std::string> CertCommonName(std::string_view cert_pem);

// When a PEM certificate stops being valid.
StatusOr<std::chrono::system_clock::time_point> CertNotAfter(std::string_view cert_pem);

}  // namespace tresor
