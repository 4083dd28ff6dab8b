#include "seal/pkcs11_wrapper.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "common/encoding.h"
#include "common/random.h"
#include "seal/seal_options.h"

namespace tresor::seal {
namespace {

constexpr std::size_t kIvBytes = 12;
constexpr char kPkcs11Aad[] = "tresor-pkcs11-root-key";

std::string Rv(CK_RV rv) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "CKR 0x%lx", static_cast<unsigned long>(rv));
  return buf;
}

Status Check(CK_RV rv, const std::string& what) {
  if (rv == CKR_OK) return Status::Ok();
  if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_INVALID) {
    return PermissionDeniedError("pkcs11 seal: " + what + " refused the PIN (" + Rv(rv) + ")");
  }
  return UnavailableError("pkcs11 seal: " + what + " failed (" + Rv(rv) + ")");
}

std::string TrimLabel(const unsigned char* label, std::size_t n) {
  std::string s(reinterpret_cast<const char*>(label), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

class Pkcs11Wrapper final : public KeyWrapper {
 public:
  ~Pkcs11Wrapper() override {
    std::fill(pin_.begin(), pin_.end(), '\0');
    if (functions_ != nullptr) {
      if (session_ != CK_INVALID_HANDLE) functions_->C_CloseSession(session_);
      functions_->C_Finalize(nullptr);
    }
    if (module_ != nullptr) dlclose(module_);
  }

  Status Open(const SealBlock& block) {
    std::string lib = OptionOrEnv(block, "lib", "VAULT_HSM_LIB");
    std::string slot = OptionOrEnv(block, "slot", "VAULT_HSM_SLOT");
    std::string token_label = OptionOrEnv(block, "token_label", "VAULT_HSM_TOKEN_LABEL");
    std::string pin = OptionOrEnv(block, "pin", "VAULT_HSM_PIN");
    key_label_ = OptionOrEnv(block, "key_label", "VAULT_HSM_KEY_LABEL");
    std::string mechanism = OptionOrEnv(block, "mechanism", "VAULT_HSM_MECHANISM", "0x1087");
    bool generate = OptionIsTrue(block, "generate_key", "VAULT_HSM_GENERATE_KEY");
    if (lib.empty()) return InvalidArgumentError("seal \"pkcs11\": lib is required");
    if (pin.empty()) return InvalidArgumentError("seal \"pkcs11\": pin is required");
    if (key_label_.empty()) return InvalidArgumentError("seal \"pkcs11\": key_label is required");
    if (slot.empty() == token_label.empty()) {
      return InvalidArgumentError("seal \"pkcs11\": give exactly one of slot and token_label");
    }
    if (mechanism != "0x1087" && mechanism != "4231" && mechanism != "CKM_AES_GCM") {
      return InvalidArgumentError("seal \"pkcs11\": mechanism " + mechanism +
                                  " is not supported: Tresor wraps with CKM_AES_GCM (0x1087)");
    }
    slot_ = slot;
    token_label_ = token_label;
    pin_ = std::move(pin);
    generate_ = generate;
    module_ = dlopen(lib.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (module_ == nullptr) {
      return UnavailableError("pkcs11 seal: cannot load the module " + lib + ": " + dlerror());
    }
    auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(module_, "C_GetFunctionList"));
    if (get_list == nullptr || get_list(&functions_) != CKR_OK || functions_ == nullptr) {
      return UnavailableError("pkcs11 seal: " + lib + " is not a PKCS#11 module");
    }
    CK_C_INITIALIZE_ARGS args{};
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = functions_->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) return Check(rv, "C_Initialize");
    return Status::Ok();
  }

  std::string Type() const override { return "pkcs11"; }

  // Opens the session, logs in and finds (or makes) the key, the first time
  // the seal is used and again after a failure: a token that is missing or
  // a PIN that is refused leaves the node sealed and retrying, not down.
  // REQUIRES: mu_ held.
  Status ConnectLocked() {
    if (key_ != CK_INVALID_HANDLE) return Status::Ok();
    if (session_ != CK_INVALID_HANDLE) {
      functions_->C_CloseSession(session_);
      session_ = CK_INVALID_HANDLE;
    }
    TRESOR_ASSIGN_OR_RETURN(CK_SLOT_ID slot_id, FindSlot(slot_, token_label_));
    TRESOR_RETURN_IF_ERROR(Check(
        functions_->C_OpenSession(slot_id, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                                  &session_),
        "C_OpenSession"));
    CK_RV rv = functions_->C_Login(session_, CKU_USER,
                                   reinterpret_cast<CK_UTF8CHAR_PTR>(pin_.data()), pin_.size());
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return Check(rv, "C_Login");
    TRESOR_ASSIGN_OR_RETURN(bool found, FindKey());
    if (!found && !generate_) {
      key_ = CK_INVALID_HANDLE;
      return FailedPreconditionError("pkcs11 seal: no key labelled \"" + key_label_ +
                                     "\" on the token; create one, or set generate_key = true");
    }
    if (!found) TRESOR_RETURN_IF_ERROR(GenerateKey());
    return Status::Ok();
  }

  StatusOr<std::string> Wrap(const SecureBytes& key) override {
    std::string iv = RandomBytes(kIvBytes);
    std::lock_guard lock(mu_);
    TRESOR_RETURN_IF_ERROR(ConnectLocked());
    TRESOR_RETURN_IF_ERROR(ReconnectOnFailure(Begin(iv, /*encrypt=*/true)));
    std::vector<unsigned char> out(key.size() + 16);
    CK_ULONG out_len = out.size();
    TRESOR_RETURN_IF_ERROR(ReconnectOnFailure(
        Check(functions_->C_Encrypt(session_, const_cast<unsigned char*>(key.data()), key.size(),
                                    out.data(), &out_len),
              "C_Encrypt")));
    out.resize(out_len);
    return nlohmann::json{
        {"key_label", key_label_},
        {"mechanism", "0x1087"},
        {"iv", Base64Encode(iv)},
        {"ciphertext", Base64Encode(std::string_view(reinterpret_cast<char*>(out.data()), out.size()))}}
        .dump();
  }

  StatusOr<SecureBytes> Unwrap(std::string_view blob) override {
    std::string iv, ciphertext;
    try {
      auto j = nlohmann::json::parse(blob);
      auto i = Base64Decode(j.at("iv").get<std::string>());
      auto c = Base64Decode(j.at("ciphertext").get<std::string>());
      if (!i.ok() || !c.ok() || i->size() != kIvBytes) throw std::runtime_error("base64");
      iv = std::move(*i);
      ciphertext = std::move(*c);
    } catch (const std::exception&) {
      return InvalidArgumentError("the stored root key was not wrapped by a pkcs11 seal");
    }
    std::lock_guard lock(mu_);
    TRESOR_RETURN_IF_ERROR(ConnectLocked());
    TRESOR_RETURN_IF_ERROR(ReconnectOnFailure(Begin(iv, /*encrypt=*/false)));
    SecureBytes out(ciphertext.size());
    CK_ULONG out_len = out.size();
    CK_RV rv = functions_->C_Decrypt(session_, reinterpret_cast<unsigned char*>(ciphertext.data()),
                                     ciphertext.size(), out.data(), &out_len);
    if (rv == CKR_ENCRYPTED_DATA_INVALID || rv == CKR_ENCRYPTED_DATA_LEN_RANGE) {
      return InvalidArgumentError("pkcs11 seal: the stored root key does not decrypt with the key "
                                  "labelled \"" + key_label_ + "\"");
    }
    TRESOR_RETURN_IF_ERROR(ReconnectOnFailure(Check(rv, "C_Decrypt")));
    out.resize(out_len);
    return out;
  }

  // A device or session failure (a token pulled out, an HSM restarted)
  // makes the next call open a new session instead of failing for ever.
  // REQUIRES: mu_ held.
  Status ReconnectOnFailure(Status status) {
    if (status.code() == StatusCode::kUnavailable) key_ = CK_INVALID_HANDLE;
    return status;
  }

 private:
  StatusOr<CK_SLOT_ID> FindSlot(const std::string& slot, const std::string& token_label) {
    if (!slot.empty()) {
      try {
        return static_cast<CK_SLOT_ID>(std::stoul(slot, nullptr, 0));
      } catch (const std::exception&) {
        return InvalidArgumentError("seal \"pkcs11\": slot must be a number");
      }
    }
    CK_ULONG count = 0;
    TRESOR_RETURN_IF_ERROR(Check(functions_->C_GetSlotList(CK_TRUE, nullptr, &count), "C_GetSlotList"));
    std::vector<CK_SLOT_ID> slots(count);
    TRESOR_RETURN_IF_ERROR(Check(functions_->C_GetSlotList(CK_TRUE, slots.data(), &count), "C_GetSlotList"));
    for (CK_ULONG i = 0; i < count; ++i) {
      CK_TOKEN_INFO info{};
      if (functions_->C_GetTokenInfo(slots[i], &info) != CKR_OK) continue;
      if (TrimLabel(info.label, sizeof info.label) == token_label) return slots[i];
    }
    return UnavailableError("pkcs11 seal: no token labelled \"" + token_label + "\"");
  }

  StatusOr<bool> FindKey() {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE query[] = {{CKA_CLASS, &cls, sizeof cls},
                            {CKA_LABEL, key_label_.data(), key_label_.size()}};
    TRESOR_RETURN_IF_ERROR(Check(functions_->C_FindObjectsInit(session_, query, 2), "C_FindObjectsInit"));
    CK_ULONG found = 0;
    CK_RV rv = functions_->C_FindObjects(session_, &key_, 1, &found);
    functions_->C_FindObjectsFinal(session_);
    TRESOR_RETURN_IF_ERROR(Check(rv, "C_FindObjects"));
    return found == 1;
  }

  Status GenerateKey() {
    CK_MECHANISM mechanism{CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE type = CKK_AES;
    CK_ULONG length = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE attributes[] = {{CKA_CLASS, &cls, sizeof cls},
                                 {CKA_KEY_TYPE, &type, sizeof type},
                                 {CKA_VALUE_LEN, &length, sizeof length},
                                 {CKA_LABEL, key_label_.data(), key_label_.size()},
                                 {CKA_TOKEN, &yes, sizeof yes},
                                 {CKA_PRIVATE, &yes, sizeof yes},
                                 {CKA_SENSITIVE, &yes, sizeof yes},
                                 {CKA_EXTRACTABLE, &no, sizeof no},
                                 {CKA_ENCRYPT, &yes, sizeof yes},
                                 {CKA_DECRYPT, &yes, sizeof yes}};
    return Check(functions_->C_GenerateKey(session_, &mechanism, attributes,
                                           sizeof attributes / sizeof attributes[0], &key_),
                 "C_GenerateKey");
  }

  // REQUIRES: mu_ held.
  Status Begin(std::string& iv, bool encrypt) {
    std::string aad = kPkcs11Aad;
    CK_GCM_PARAMS params{};
    params.pIv = reinterpret_cast<unsigned char*>(iv.data());
    params.ulIvLen = iv.size();
    params.ulIvBits = iv.size() * 8;
    params.pAAD = reinterpret_cast<unsigned char*>(aad.data());
    params.ulAADLen = aad.size();
    params.ulTagBits = 128;
    CK_MECHANISM mechanism{CKM_AES_GCM, &params, sizeof params};
    return encrypt ? Check(functions_->C_EncryptInit(session_, &mechanism, key_), "C_EncryptInit")
                   : Check(functions_->C_DecryptInit(session_, &mechanism, key_), "C_DecryptInit");
  }

  void* module_ = nullptr;
  CK_FUNCTION_LIST_PTR functions_ = nullptr;
  CK_SESSION_HANDLE session_ = CK_INVALID_HANDLE;
  CK_OBJECT_HANDLE key_ = CK_INVALID_HANDLE;
  std::string key_label_;
  std::string slot_, token_label_, pin_;
  bool generate_ = false;
  std::mutex mu_;  // one operation at a time on session_; guards the handles
};

}  // namespace

StatusOr<std::unique_ptr<KeyWrapper>> NewPkcs11Wrapper(const SealBlock& block) {
  auto wrapper = std::make_unique<Pkcs11Wrapper>();
  TRESOR_RETURN_IF_ERROR(wrapper->Open(block));
  return std::unique_ptr<KeyWrapper>(std::move(wrapper));
}

}  // namespace tresor::seal
