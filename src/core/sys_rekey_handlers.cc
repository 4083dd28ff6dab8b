// sys/rekey/init, update and verify (core/rekey.h), and the same under
// sys/rekey-recovery-key/ for the recovery keys of an auto seal.
// Unauthenticated, as in Vault: the unseal key shares are the authority.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::OptionalBool;
using engines::OptionalInt;
using engines::OptionalString;
using engines::RefuseUnsupported;

nlohmann::json RekeyStatusJson(const RekeyStatus& s) {
  return {{"started", s.started},
          {"nonce", s.nonce},
          {"t", s.t},
          {"n", s.n},
          {"progress", s.progress},
          {"required", s.required},
          {"pgp_fingerprints", nullptr},
          {"backup", false},
          {"verification_required", s.verification_required}};
}

nlohmann::json VerifyStatusJson(const RekeyVerifyStatus& s) {
  return {{"started", s.started}, {"nonce", s.nonce}, {"t", s.t}, {"n", s.n},
          {"progress", s.progress}};
}

StatusOr<Response> HandleRekeyRead(Rekey& rekey, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(RekeyStatus status, rekey.Status());
  return Response::Raw(RekeyStatusJson(status));
}

StatusOr<Response> HandleRekeyInit(Rekey& rekey, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RefuseUnknownFields(
      req.data, {"secret_shares", "secret_threshold", "require_verification", "pgp_keys", "backup",
                 "stored_shares"}));
  TRESOR_RETURN_IF_ERROR(RefuseUnsupported(req.data, "pgp_keys", kNoPgpSharesWhy));
  TRESOR_RETURN_IF_ERROR(RefuseUnsupported(
      req.data, "backup", "backing up key shares needs PGP-encrypted shares, which Tresor does "
                          "not make yet"));
  TRESOR_RETURN_IF_ERROR(RefuseUnsupported(
      req.data, "stored_shares", "stored shares exist only with an auto-unseal seal"));
  TRESOR_ASSIGN_OR_RETURN(auto shares, OptionalInt(req.data, "secret_shares"));
  TRESOR_ASSIGN_OR_RETURN(auto threshold, OptionalInt(req.data, "secret_threshold"));
  TRESOR_ASSIGN_OR_RETURN(auto verify, OptionalBool(req.data, "require_verification"));
  if (!shares.has_value() || !threshold.has_value()) {
    return InvalidArgumentError("secret_shares and secret_threshold are required");
  }
  TRESOR_RETURN_IF_ERROR(CheckShareCounts(*shares, *threshold));
  TRESOR_ASSIGN_OR_RETURN(RekeyStatus status,
                          rekey.Init(static_cast<int>(*shares), static_cast<int>(*threshold),
                                         verify.value_or(false)));
  return Response::Raw(RekeyStatusJson(status));
}

StatusOr<Response> HandleRekeyCancel(Rekey& rekey, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(auto nonce, OptionalString(req.data, "nonce"));
  if (nonce.has_value() && nonce->empty()) nonce.reset();
  TRESOR_RETURN_IF_ERROR(rekey.Cancel(nonce));
  return Response::Empty();
}

StatusOr<Response> HandleRekeyUpdate(Rekey& rekey, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(ShareAndNonce input, ReadShareAndNonce(req.data));
  TRESOR_ASSIGN_OR_RETURN(RekeyUpdateResult result, rekey.Update(input.share, input.nonce));
  if (!result.complete) {
    nlohmann::json j = RekeyStatusJson(result.status);
    j["complete"] = false;
    return Response::Raw(std::move(j));
  }
  nlohmann::json keys = nlohmann::json::array(), keys_b64 = nlohmann::json::array();
  for (const auto& share : result.keys) {
    keys.push_back(HexEncode(AsStringView(share)));
    keys_b64.push_back(Base64Encode(AsStringView(share)));
  }
  nlohmann::json j = {{"nonce", input.nonce},
                      {"complete", true},
                      {"keys", std::move(keys)},
                      {"keys_base64", std::move(keys_b64)},
                      {"pgp_fingerprints", nullptr},
                      {"backup", false},
                      {"verification_required", !result.verification_nonce.empty()}};
  if (!result.verification_nonce.empty()) j["verification_nonce"] = result.verification_nonce;
  return Response::Raw(std::move(j));
}

StatusOr<Response> HandleVerifyRead(Rekey& rekey, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(RekeyVerifyStatus status, rekey.VerifyStatus());
  return Response::Raw(VerifyStatusJson(status));
}

StatusOr<Response> HandleVerifyRestart(Rekey& rekey, const Request&) {
  TRESOR_ASSIGN_OR_RETURN(RekeyVerifyStatus status, rekey.VerifyRestart());
  return Response::Raw(VerifyStatusJson(status));
}

StatusOr<Response> HandleVerifyUpdate(Rekey& rekey, const Request& req) {
  TRESOR_ASSIGN_OR_RETURN(ShareAndNonce input, ReadShareAndNonce(req.data));
  TRESOR_ASSIGN_OR_RETURN(bool complete, rekey.VerifyUpdate(input.share, input.nonce));
  if (complete) return Response::Raw({{"nonce", input.nonce}, {"complete", true}});
  TRESOR_ASSIGN_OR_RETURN(RekeyVerifyStatus status, rekey.VerifyStatus());
  nlohmann::json j = VerifyStatusJson(status);
  j["complete"] = false;
  return Response::Raw(std::move(j));
}

}  // namespace

void RegisterRekeyHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  for (auto [prefix, rekey] : {std::pair<std::string, Rekey*>{"sys/rekey/", &ctx.rekey},
                               {"sys/rekey-recovery-key/", &ctx.rekey_recovery}}) {
    Rekey& r = *rekey;
    router.Add(prefix + "init",
               {.unauthenticated = true,
                .handlers = {{Operation::kRead, std::bind(HandleRekeyRead, std::ref(r), _1)},
                             {Operation::kUpdate, std::bind(HandleRekeyInit, std::ref(r), _1)},
                             {Operation::kDelete, std::bind(HandleRekeyCancel, std::ref(r), _1)}}});
    router.Add(prefix + "update",
               {.unauthenticated = true,
                .handlers = {{Operation::kUpdate, std::bind(HandleRekeyUpdate, std::ref(r), _1)}}});
    router.Add(prefix + "verify",
               {.unauthenticated = true,
                .handlers = {{Operation::kRead, std::bind(HandleVerifyRead, std::ref(r), _1)},
                             {Operation::kUpdate, std::bind(HandleVerifyUpdate, std::ref(r), _1)},
                             {Operation::kDelete, std::bind(HandleVerifyRestart, std::ref(r), _1)}}});
  }
}

}  // namespace tresor::core
