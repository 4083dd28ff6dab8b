#include "common/x509_certs.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/random.h"

namespace tresor {
namespace {

std::string SslError(std::string_view what) {
  unsigned long code = ERR_get_error();
  char buf[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, buf, sizeof(buf));
  ERR_clear_error();
  return std::string(what) + ": " + buf;
}

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

StatusOr<PkeyPtr> NewKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return InternalError(SslError("generating a key"));
  return key;
}

Status AddExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return InternalError(SslError("making a certificate extension"));
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  return Status::Ok();
}

// A certificate for `key` named `common_name`, signed by issuer_key (the
// issuer is the certificate itself when issuer is null, i.e. a CA).
StatusOr<CertKeyPair> MakeCert(EVP_PKEY* key, std::string_view common_name, X509* issuer,
                               EVP_PKEY* issuer_key, CertUse use, int valid_days) {
  const bool ca = issuer == nullptr;
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::string serial = RandomBytes(16);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(serial.data()), 16, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(valid_days) * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.data()),
                             static_cast<int>(common_name.size()), -1, 0);
  X509* signer = ca ? cert.get() : issuer;
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  TRESOR_RETURN_IF_ERROR(AddExtension(cert.get(), signer, NID_basic_constraints,
                                      ca ? "critical,CA:TRUE" : "critical,CA:FALSE"));
  TRESOR_RETURN_IF_ERROR(AddExtension(
      cert.get(), signer, NID_key_usage,
      ca ? "critical,keyCertSign,digitalSignature" : "critical,digitalSignature"));
  TRESOR_RETURN_IF_ERROR(
      AddExtension(cert.get(), signer, NID_ext_key_usage,
                   use == CertUse::kClient ? "clientAuth" : "serverAuth,clientAuth"));
  if (X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) {
    return InternalError(SslError("signing a certificate"));
  }
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return InternalError(SslError("writing a certificate"));
  }
  CertKeyPair pair;
  char* data = nullptr;
  long size = BIO_get_mem_data(cert_bio.get(), &data);
  pair.cert_pem.assign(data, static_cast<std::size_t>(size));
  size = BIO_get_mem_data(key_bio.get(), &data);
  pair.key_pem.assign(data, data + size);
  OPENSSL_cleanse(data, static_cast<std::size_t>(size));
  return pair;
}

}  // namespace

void X509Free::operator()(X509* cert) const { X509_free(cert); }
void PkeyFree::operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }

StatusOr<X509Ptr> ParseCertPem(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return InvalidArgumentError(SslError("reading a certificate"));
  return cert;
}

StatusOr<PkeyPtr> ParseKeyPem(const SecureBytes& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return InvalidArgumentError(SslError("reading a private key"));
  return key;
}

std::string CommonNameOf(X509* cert) {
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buf, sizeof(buf));
  return buf;
}

StatusOr<CertKeyPair> CreateCa(std::string_view common_name, int valid_days) {
  TRESOR_ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  return MakeCert(key.get(), common_name, nullptr, key.get(), CertUse::kServerAndClient,
                  valid_days);
}

StatusOr<CertKeyPair> IssueCert(const CertKeyPair& ca, std::string_view common_name, CertUse use,
                                int valid_days) {
  TRESOR_ASSIGN_OR_RETURN(X509Ptr ca_cert, ParseCertPem(ca.cert_pem));
  TRESOR_ASSIGN_OR_RETURN(PkeyPtr ca_key, ParseKeyPem(ca.key_pem));
  TRESOR_ASSIGN_OR_RETURN(PkeyPtr key, NewKey());
  return MakeCert(key.get(), common_name, ca_cert.get(), ca_key.get(), use, valid_days);
}

StatusOr<std::string> CertCommonName(std::string_view cert_pem) {
  TRESOR_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertPem(cert_pem));
  return CommonNameOf(cert.get());
}

StatusOr<std::chrono::system_clock::time_point> CertNotAfter(std::string_view cert_pem) {
  TRESOR_ASSIGN_OR_RETURN(X509Ptr cert, ParseCertPem(cert_pem));
  tm when{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &when) != 1) {
    return InvalidArgumentError("the certificate's notAfter cannot be read");
  }
  return std::chrono::system_clock::from_time_t(timegm(&when));
}

}  // namespace tresor
