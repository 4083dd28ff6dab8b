// sys/init, sys/seal-status, sys/unseal, sys/seal.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/version.h"
#include "core/core.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::OptionalBool;
using engines::OptionalInt;
using engines::OptionalString;
using engines::RefuseUnsupported;

constexpr std::size_t kShareBytes = 33;  // 32 bytes of key and Shamir's x
constexpr char kRecoveryWhy[] =
    "recovery keys exist only with an auto-unseal seal; this server uses Shamir unseal keys";

nlohmann::json SealStatusJson(const SealStatus& s, const CoreOptions& options) {
  nlohmann::json j = {{"type", s.type},
                      {"initialized", s.initialized},
                      {"sealed", s.sealed},
                      {"t", s.threshold},
                      {"n", s.shares},
                      {"progress", s.progress},
                      {"nonce", s.nonce},
                      {"version", kReportedVersion},
                      {"build_date", std::string(kBuildDate)},
                      {"migration", s.migration},
                      {"recovery_seal", s.recovery_seal},
                      {"storage_type", options.storage_type}};
  if (!s.sealed) {
    j["cluster_name"] = s.cluster_name;
    j["cluster_id"] = s.cluster_id;
  }
  return j;
}

StatusOr<Response> HandleInitRead(SysContext ctx, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(bool initialized, ctx.lifecycle.Initialized());
  return Response::Raw({{"initialized", initialized}});
}

// The share counts of sys/init: secret_* with Shamir; with an auto seal,
// recovery_* (secret_* may only say 1, the stored key the seal holds).
StatusOr<InitOptions> ReadInitCounts(SysContext ctx, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(auto shares, OptionalInt(req.data, "secret_shares"));
  TRESOR_ASSIGN_OR_RETURN(auto threshold, OptionalInt(req.data, "secret_threshold"));
  InitOptions options;
  if (!ctx.lifecycle.HasAutoSeal()) {
    for (const char* field :
         {"recovery_shares", "recovery_threshold", "recovery_pgp_keys", "stored_shares"}) {
      TRESOR_RETURN_IF_ERROR(RefuseUnsupported(req.data, field, kRecoveryWhy));
    }
    if (!shares.has_value() || !threshold.has_value()) {
      return InvalidArgumentError("secret_shares and secret_threshold are required");
    }
    TRESOR_RETURN_IF_ERROR(CheckShareCounts(*shares, *threshold));
    options.secret_shares = static_cast<int>(*shares);
    options.secret_threshold = static_cast<int>(*threshold);
    return options;
  }
  TRESOR_RETURN_IF_ERROR(RefuseUnsupported(req.data, "recovery_pgp_keys", kNoPgpSharesWhy));
  TRESOR_ASSIGN_OR_RETURN(auto stored, OptionalInt(req.data, "stored_shares"));
  for (const auto& [name, value] : {std::pair{"secret_shares", shares},
                                    {"secret_threshold", threshold}, {"stored_shares", stored}}) {
    if (value.has_value() && *value != 1 && *value != 0) {
      return InvalidArgumentError(std::string(name) + " must be 1 (or left out) with the seal \"" +
                                  ctx.lifecycle.ConfiguredSealType() +
                                  "\": it holds the root key; give recovery_shares and "
                                  "recovery_threshold for the recovery keys");
    }
  }
  TRESOR_ASSIGN_OR_RETURN(auto recovery_shares, OptionalInt(req.data, "recovery_shares"));
  TRESOR_ASSIGN_OR_RETURN(auto recovery_threshold, OptionalInt(req.data, "recovery_threshold"));
  if (!recovery_shares.has_value() || !recovery_threshold.has_value()) {
    return InvalidArgumentError("recovery_shares and recovery_threshold are required with the "
                                "seal \"" + ctx.lifecycle.ConfiguredSealType() + "\"");
  }
  TRESOR_RETURN_IF_ERROR(CheckShareCounts(*recovery_shares, *recovery_threshold));
  options.recovery_shares = static_cast<int>(*recovery_shares);
  options.recovery_threshold = static_cast<int>(*recovery_threshold);
  return options;
}

nlohmann::json EncodedShares(const std::vector<SecureBytes>& shares, bool base64) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& share : shares) {
    out.push_back(base64 ? Base64Encode(AsStringView(share)) : HexEncode(AsStringView(share)));
  }
  return out;
}

StatusOr<Response> HandleInitUpdate(SysContext ctx, const Request& req) {
  for (const char* field : {"pgp_keys", "root_token_pgp_key"}) {
    TRESOR_RETURN_IF_ERROR(RefuseUnsupported(req.data, field, kNoPgpSharesWhy));
  }
  TRESOR_ASSIGN_OR_RETURN(InitOptions options, ReadInitCounts(ctx, req));
  TRESOR_ASSIGN_OR_RETURN(InitResult result, ctx.lifecycle.Initialize(options));
  nlohmann::json body = {{"keys", EncodedShares(result.key_shares, false)},
                         {"keys_base64", EncodedShares(result.key_shares, true)},
                         {"root_token", result.root_token}};
  if (ctx.lifecycle.HasAutoSeal()) {
    body["recovery_keys"] = EncodedShares(result.recovery_shares, false);
    body["recovery_keys_base64"] = EncodedShares(result.recovery_shares, true);
  }
  return Response::Raw(std::move(body));
}

StatusOr<Response> HandleSealStatus(SysContext ctx, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(SealStatus status, ctx.lifecycle.GetSealStatus());
  return Response::Raw(SealStatusJson(status, ctx.options));
}

StatusOr<Response> HandleUnseal(SysContext ctx, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(auto migrate, OptionalBool(req.data, "migrate"));
  TRESOR_ASSIGN_OR_RETURN(auto reset, OptionalBool(req.data, "reset"));
  TRESOR_ASSIGN_OR_RETURN(auto key, OptionalString(req.data, "key"));
  StatusOr<SealStatus> status = SealStatus();
  if (reset.value_or(false)) {
    status = ctx.lifecycle.ResetUnsealProgress();
  } else if (!key.has_value() || key->empty()) {
    return InvalidArgumentError(
        "'key' must be specified in request body as JSON, or 'reset' set to true");
  } else {
    TRESOR_ASSIGN_OR_RETURN(SecureBytes share, DecodeShare(std::move(*key)));
    status = ctx.lifecycle.SubmitUnsealShare(share, migrate.value_or(false));
  }
  if (!status.ok()) return status.status();
  return Response::Raw(SealStatusJson(*status, ctx.options));
}

StatusOr<Response> HandleSeal(SysContext ctx, const Request&) {
  TRESOR_RETURN_IF_ERROR(ctx.lifecycle.Seal(/*by_operator=*/true));
  return Response::Empty();
}

}  // namespace

StatusOr<SecureBytes> DecodeShare(std::string key) {
  auto from_hex = HexDecode(key);
  auto decoded = from_hex.ok() && from_hex->size() == kShareBytes ? std::move(from_hex)
                                                                  : Base64Decode(key);
  if (!decoded.ok() && from_hex.ok()) decoded = std::move(from_hex);
  SecureWipe(key);
  if (!decoded.ok()) return InvalidArgumentError("'key' must be a valid hex or base64 string");
  SecureBytes share = ToSecureBytes(*decoded);
  SecureWipe(*decoded);
  return share;
}

StatusOr<ShareAndNonce> ReadShareAndNonce(const nlohmann::json& data) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(data, {"key", "nonce"}));
  TRESOR_ASSIGN_OR_RETURN(auto key, OptionalString(data, "key"));
  TRESOR_ASSIGN_OR_RETURN(auto nonce, OptionalString(data, "nonce"));
  if (!key.has_value() || key->empty()) {
    return InvalidArgumentError("'key' must be specified in request body as JSON");
  }
  TRESOR_ASSIGN_OR_RETURN(SecureBytes share, DecodeShare(std::move(*key)));
  if (share.size() != kShareBytes) {
    return InvalidArgumentError("key is not an unseal key share of this server: expected " +
                                std::to_string(kShareBytes) + " bytes, got " +
                                std::to_string(share.size()));
  }
  return ShareAndNonce{std::move(share), nonce.value_or("")};
}

Status RefuseUnknownFields(const nlohmann::json& data,
                           std::initializer_list<std::string_view> known) {
  auto warning = engines::UnknownFieldsWarning(data, known);
  if (!warning.has_value()) return Status::Ok();
  std::string message = *warning;
  const std::string ignored = "Endpoint ignored these unrecognized parameters";
  if (message.rfind(ignored, 0) == 0) {
    message = "unrecognized parameters" + message.substr(ignored.size());
  }
  return InvalidArgumentError(message + "; this endpoint refuses them rather than ignore them");
}

Status CheckShareCounts(long long shares, long long threshold) {
  if (shares < 0 || shares > 1000 || threshold < 0 || threshold > 1000) {
    return InvalidArgumentError(
        "secret_shares must be 1 to 255 and secret_threshold 1 to secret_shares");
  }
  return Status::Ok();
}

void RegisterSealHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  router.Add("sys/init", {.unauthenticated = true,
                          .handlers = {{Operation::kRead, std::bind(HandleInitRead, ctx, _1)},
                                       {Operation::kUpdate, std::bind(HandleInitUpdate, ctx, _1)}}});
  router.Add("sys/seal-status",
             {.unauthenticated = true,
              .handlers = {{Operation::kRead, std::bind(HandleSealStatus, ctx, _1)}}});
  router.Add("sys/unseal", {.unauthenticated = true,
                            .handlers = {{Operation::kUpdate, std::bind(HandleUnseal, ctx, _1)}}});
  router.Add("sys/seal", {.sudo = true,
                          .handlers = {{Operation::kUpdate, std::bind(HandleSeal, ctx, _1)}}});
}

void RegisterSysHandlers(SysRouter& router, SysContext context) {
  RegisterSealHandlers(router, context);
  RegisterHealthHandlers(router, context);
  RegisterRaftHandlers(router, context);
  RegisterClusterTlsHandlers(router, context);
  RegisterSnapshotHandlers(router, context);
  RegisterKeyHandlers(router, context);
  RegisterRekeyHandlers(router, context);
  RegisterGenerateRootHandlers(router, context);
  RegisterToolsHandlers(router);
}

}  // namespace tresor::core
