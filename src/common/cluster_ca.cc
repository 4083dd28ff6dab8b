#include "common/cluster_ca.h"

#include <openssl/bn.h>
#include <openssl/x509.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/encoding.h"
#include "common/random.h"
#include "common/x509_certs.h"

namespace tresor {
namespace {

constexpr std::size_t kMaxCas = 2;

std::int64_t UnixSeconds(SystemTime t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

std::string WriteRecord(const std::vector<ClusterCa>& cas) {
  nlohmann::json list = nlohmann::json::array();
  for (const ClusterCa& ca : cas) {
    list.push_back({{"cert", ca.cert_pem},
                    {"key", std::string(ca.key_pem.begin(), ca.key_pem.end())},
                    {"created", ca.created}});
  }
  return nlohmann::json{{"cas", list}}.dump();
}

StatusOr<ClusterCa> NewCa(SystemTime now) {
  // Each CA needs a name of its own: during a rotation two are trusted,
  // and OpenSSL finds a certificate's issuer by name.
  TRESOR_ASSIGN_OR_RETURN(CertKeyPair pair, CreateCa("tresor-cluster-ca-" + HexEncode(RandomBytes(8)),
                                                     kClusterCaValidDays));
  return ClusterCa{std::move(pair.cert_pem), std::move(pair.key_pem), UnixSeconds(now)};
}

}  // namespace

StatusOr<std::vector<ClusterCa>> ParseClusterCaRecord(std::string_view record) {
  std::vector<ClusterCa> cas;
  try {
    nlohmann::json json = nlohmann::json::parse(record);
    for (const nlohmann::json& entry : json.at("cas")) {
      ClusterCa ca;
      ca.cert_pem = entry.at("cert").get<std::string>();
      const std::string& key = entry.at("key").get_ref<const std::string&>();
      ca.key_pem.assign(key.begin(), key.end());
      ca.created = entry.at("created").get<std::int64_t>();
      cas.push_back(std::move(ca));
    }
  } catch (const std::exception&) {
    return CorruptionError("cluster TLS: the CA record in the barrier is malformed");
  }
  if (cas.empty()) return CorruptionError("cluster TLS: the CA record holds no CA");
  return cas;
}

std::size_t ClusterCaSigningIndex(const std::vector<ClusterCa>& cas, SystemTime now) {
  const std::int64_t activated_before = UnixSeconds(now - kCaActivationDelay);
  for (std::size_t i = 0; i < cas.size(); ++i) {
    if (cas[i].created <= activated_before) return i;
  }
  return cas.size() - 1;  // every CA is new: the oldest (only one, in practice)
}


StatusOr<std::string> NewClusterTlsRecord(SystemTime now) {
  TRESOR_ASSIGN_OR_RETURN(ClusterCa ca, NewCa(now));
  std::vector<ClusterCa> cas;
  cas.push_back(std::move(ca));
  return WriteRecord(cas);
}

StatusOr<std::string> RotateClusterTlsRecord(std::string_view record, SystemTime now) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<ClusterCa> cas, ParseClusterCaRecord(record));
  if (ClusterCaSigningIndex(cas, now) != 0) {
    const std::int64_t wait = cas[0].created + kCaActivationDelay.count() - UnixSeconds(now);
    return FailedPreconditionError(
        "a rotation of the cluster CA is still in progress: the newest CA signs node "
        "certificates in " +
        std::to_string(std::max<std::int64_t>(wait, 1)) + "s; rotate again after that");
  }
  TRESOR_ASSIGN_OR_RETURN(ClusterCa fresh, NewCa(now));
  cas.insert(cas.begin(), std::move(fresh));
  if (cas.size() > kMaxCas) cas.resize(kMaxCas);
  return WriteRecord(cas);
}

StatusOr<std::vector<ClusterCaInfo>> DescribeClusterTlsRecord(std::string_view record,
                                                              SystemTime now) {
  TRESOR_ASSIGN_OR_RETURN(std::vector<ClusterCa> cas, ParseClusterCaRecord(record));
  const std::size_t signing = ClusterCaSigningIndex(cas, now);
  std::vector<ClusterCaInfo> out;
  for (std::size_t i = 0; i < cas.size(); ++i) {
    ClusterCaInfo info;
    auto cert = ParseCertPem(cas[i].cert_pem);
    if (!cert.ok()) return CorruptionError("cluster TLS: a CA certificate in the record is malformed");
    BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert->get()), nullptr);
    char* hex = BN_bn2hex(bn);
    info.serial_hex = hex;
    OPENSSL_free(hex);
    BN_free(bn);
    info.created = SystemTime(std::chrono::seconds(cas[i].created));
    TRESOR_ASSIGN_OR_RETURN(info.not_after, CertNotAfter(cas[i].cert_pem));
    info.signing = i == signing;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace tresor
