// sys/tools/random and sys/tools/hash: Vault's general-purpose tools, for
// clients that ask the server for random bytes or a digest. Both need a
// token whose policy allows the path (the default policy allows hash).
#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "common/path_segments.h"
#include "common/random.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

constexpr long long kMaxRandomBytes = 128 * 1024;  // Vault's limit

// The segments of `path` after `prefix` ("sys/tools/hash/sha2-512/256"
// -> {"sha2-512", "256"}).
std::vector<std::string> Tail(const std::string& path, std::string_view prefix) {
  if (path.size() <= prefix.size()) return {};
  return PathSegments(std::string_view(path).substr(prefix.size() + 1));
}

StatusOr<std::string> Format(std::string_view bytes, const std::optional<std::string>& format,
                             std::string_view fallback) {
  const std::string chosen = format.value_or(std::string(fallback));
  if (chosen == "hex") return HexEncode(bytes);
  if (chosen == "base64") return Base64Encode(bytes);
  return InvalidArgumentError("unsupported encoding format " + std::string(chosen) +
                              "; must be \"hex\" or \"base64\"");
}

Status RefuseUnusedFields(const FieldReader& fields) {
  if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
    return InvalidArgumentError(*unknown);
  }
  return Status::Ok();
}

// POST sys/tools/random[/<source>][/<bytes>]: {bytes, format, source}.
StatusOr<Response> HandleRandom(const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(auto bytes, fields.Int("bytes"));
  TRESOR_ASSIGN_OR_RETURN(auto format, fields.String("format"));
  TRESOR_ASSIGN_OR_RETURN(auto source, fields.String("source"));
  TRESOR_RETURN_IF_ERROR(RefuseUnusedFields(fields));
  for (const std::string& part : Tail(req.path, "sys/tools/random")) {
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      TRESOR_ASSIGN_OR_RETURN(long long n, engines::ParseIntegerText("bytes", part));
      bytes = n;
    } else {
      source = part;
    }
  }
  const std::string from = source.value_or("platform");
  if (from == "seal" || from == "all") {
    return InvalidArgumentError("source \"" + from +
                                "\" is not available: Tresor has no seal entropy source; use "
                                "\"platform\"");
  }
  if (from != "platform") {
    return InvalidArgumentError("unsupported entropy source " + from + "; must be \"platform\"");
  }
  const long long n = bytes.value_or(32);
  if (n < 1) return InvalidArgumentError("bytes must be greater than 0");
  if (n > kMaxRandomBytes) {
    return InvalidArgumentError("bytes cannot be greater than " + std::to_string(kMaxRandomBytes));
  }
  std::string random = RandomBytes(static_cast<std::size_t>(n));
  TRESOR_ASSIGN_OR_RETURN(std::string encoded, Format(random, format, "base64"));
  return Response::Data({{"random_bytes", std::move(encoded)}});
}

// Vault's algorithm names -> OpenSSL's digest names.
std::optional<std::string_view> OpenSslDigest(std::string_view algorithm) {
  static const std::pair<std::string_view, std::string_view> kNames[] = {
      {"sha2-224", "SHA224"},         {"sha2-256", "SHA256"},         {"sha2-384", "SHA384"},
      {"sha2-512", "SHA512"},         {"sha2-512/224", "SHA512-224"}, {"sha2-512/256", "SHA512-256"},
      {"sha3-224", "SHA3-224"},       {"sha3-256", "SHA3-256"},       {"sha3-384", "SHA3-384"},
      {"sha3-512", "SHA3-512"}};
  for (const auto& [vault, openssl] : kNames) {
    if (vault == algorithm) return openssl;
  }
  return std::nullopt;
}

// POST sys/tools/hash[/<algorithm>]: {input (base64), algorithm, format}.
StatusOr<Response> HandleHash(const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(auto input, fields.String("input"));
  TRESOR_ASSIGN_OR_RETURN(auto algorithm, fields.String("algorithm"));
  TRESOR_ASSIGN_OR_RETURN(auto format, fields.String("format"));
  TRESOR_RETURN_IF_ERROR(RefuseUnusedFields(fields));
  std::vector<std::string> tail = Tail(req.path, "sys/tools/hash");
  if (!tail.empty()) {
    // "sha2-512/256" arrives as two segments.
    std::string joined = tail[0];
    for (std::size_t i = 1; i < tail.size(); ++i) joined += "/" + tail[i];
    algorithm = joined;
  }
  if (!input.has_value()) return InvalidArgumentError("input must be specified (base64)");
  auto decoded = Base64Decode(*input);
  if (!decoded.ok()) return InvalidArgumentError("unable to decode input as base64");
  const std::string name = algorithm.value_or("sha2-256");
  auto openssl = OpenSslDigest(name);
  if (!openssl.has_value()) {
    return InvalidArgumentError("unsupported algorithm " + name +
                                "; use sha2-224, sha2-256, sha2-384, sha2-512, sha2-512/224, "
                                "sha2-512/256 or sha3-224, sha3-256, sha3-384, sha3-512");
  }
  TRESOR_ASSIGN_OR_RETURN(std::string sum, DigestByName(*openssl, *decoded));
  TRESOR_ASSIGN_OR_RETURN(std::string encoded, Format(sum, format, "hex"));
  return Response::Data({{"sum", std::move(encoded)}});
}

}  // namespace

void RegisterToolsHandlers(SysRouter& router) {
  SysRoute random{.handlers = {{Operation::kUpdate, HandleRandom}}};
  router.Add("sys/tools/random", random);
  router.AddPrefix("sys/tools/random/", random);
  SysRoute hash{.handlers = {{Operation::kUpdate, HandleHash}}};
  router.Add("sys/tools/hash", hash);
  router.AddPrefix("sys/tools/hash/", hash);
}

}  // namespace tresor::core
