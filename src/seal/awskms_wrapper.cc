#include "seal/awskms_wrapper.h"

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/encoding.h"
#include "common/random.h"
#include "seal/http_call.h"
#include "seal/seal_options.h"

namespace tresor::seal {
namespace {

constexpr std::size_t kDataKeyBytes = 32;
constexpr char kAwsKmsAad[] = "tresor-awskms-root-key";

class AwsKmsWrapper final : public KeyWrapper {
 public:
  AwsKmsWrapper(std::string endpoint, std::string key_id, SigV4 sigv4)
      : endpoint_(std::move(endpoint)), key_id_(std::move(key_id)), sigv4_(std::move(sigv4)) {}

  ~AwsKmsWrapper() override {
    std::fill(sigv4_.secret_key.begin(), sigv4_.secret_key.end(), '\0');
    std::fill(sigv4_.session_token.begin(), sigv4_.session_token.end(), '\0');
  }

  std::string Type() const override { return "awskms"; }

  StatusOr<std::string> Wrap(const SecureBytes& key) override {
    SecureBytes data_key = RandomSecureBytes(kDataKeyBytes);
    TRESOR_ASSIGN_OR_RETURN(std::string sealed, AesGcmSeal(data_key, key, kAwsKmsAad));
    std::string plaintext = Base64Encode(AsStringView(data_key));
    auto answer = Call("Encrypt", {{"KeyId", key_id_}, {"Plaintext", plaintext}});
    std::fill(plaintext.begin(), plaintext.end(), '\0');
    if (!answer.ok()) return answer.status();
    std::string wrapped_key;
    try {
      wrapped_key = answer->at("CiphertextBlob").get<std::string>();
    } catch (const std::exception&) {
      return UnavailableError("the KMS Encrypt answer has no CiphertextBlob");
    }
    return nlohmann::json{{"kms_key_id", answer->value("KeyId", key_id_)},
                          {"wrapped_key", wrapped_key},
                          {"ciphertext", Base64Encode(sealed)}}
        .dump();
  }

  StatusOr<SecureBytes> Unwrap(std::string_view blob) override {
    std::string wrapped_key, sealed;
    try {
      auto j = nlohmann::json::parse(blob);
      wrapped_key = j.at("wrapped_key").get<std::string>();
      auto decoded = Base64Decode(j.at("ciphertext").get<std::string>());
      if (!decoded.ok()) throw std::runtime_error("base64");
      sealed = std::move(*decoded);
    } catch (const std::exception&) {
      return InvalidArgumentError("the stored root key was not wrapped by an awskms seal");
    }
    TRESOR_ASSIGN_OR_RETURN(nlohmann::json answer,
                            Call("Decrypt", {{"KeyId", key_id_}, {"CiphertextBlob", wrapped_key}}));
    std::string* plaintext = nullptr;
    try {
      plaintext = &answer.at("Plaintext").get_ref<std::string&>();
    } catch (const std::exception&) {
      return UnavailableError("the KMS Decrypt answer has no Plaintext");
    }
    auto data_key = Base64Decode(*plaintext);
    std::fill(plaintext->begin(), plaintext->end(), '\0');
    if (!data_key.ok() || data_key->size() != kDataKeyBytes) {
      return UnavailableError("KMS answered a data key of the wrong size");
    }
    SecureBytes key_bytes = ToSecureBytes(*data_key);
    std::fill(data_key->begin(), data_key->end(), '\0');
    auto root = AesGcmOpenSecure(key_bytes, sealed, kAwsKmsAad);
    if (!root.ok()) return InvalidArgumentError("the data key KMS returned does not open the root key");
    return root;
  }

 private:
  StatusOr<nlohmann::json> Call(const std::string& action, const nlohmann::json& body) {
    HttpRequest request;
    request.url = endpoint_ + "/";
    request.headers = {"Content-Type: application/x-amz-json-1.1",
                       "X-Amz-Target: TrentService." + action};
    request.body = body.dump();
    request.sigv4 = sigv4_;
    auto response = HttpCall(request);
    std::fill(request.body.begin(), request.body.end(), '\0');
    if (!response.ok()) return response.status();
    std::string reason = "HTTP " + std::to_string(response->status);
    nlohmann::json parsed;
    try {
      parsed = nlohmann::json::parse(response->body);
      if (parsed.contains("__type")) reason += " " + parsed["__type"].get<std::string>();
      if (parsed.contains("message")) reason += ": " + parsed["message"].get<std::string>();
      if (parsed.contains("Message")) reason += ": " + parsed["Message"].get<std::string>();
    } catch (const std::exception&) {
    }
    if (response->status == 400 || response->status == 403) {
      return PermissionDeniedError("AWS KMS at " + endpoint_ + " refused " + action + " (" +
                                   reason + ")");
    }
    if (response->status != 200) {
      return UnavailableError("AWS KMS at " + endpoint_ + " failed " + action + " (" + reason + ")");
    }
    if (!parsed.is_object()) return UnavailableError("AWS KMS answered something not JSON");
    return parsed;
  }

  const std::string endpoint_;
  const std::string key_id_;
  SigV4 sigv4_;
};

}  // namespace

StatusOr<std::unique_ptr<KeyWrapper>> NewAwsKmsWrapper(const SealBlock& block) {
  SigV4 sigv4;
  sigv4.service = "kms";
  sigv4.region = OptionOrEnv(block, "region", "AWS_REGION",
                             OptionOrEnv(block, "region", "AWS_DEFAULT_REGION", "us-east-1"));
  sigv4.access_key = OptionOrEnv(block, "access_key", "AWS_ACCESS_KEY_ID");
  sigv4.secret_key = OptionOrEnv(block, "secret_key", "AWS_SECRET_ACCESS_KEY");
  sigv4.session_token = OptionOrEnv(block, "session_token", "AWS_SESSION_TOKEN");
  std::string key_id = OptionOrEnv(block, "kms_key_id", "VAULT_AWSKMS_SEAL_KEY_ID");
  std::string endpoint = OptionOrEnv(block, "endpoint", "AWS_KMS_ENDPOINT",
                                     "https://kms." + sigv4.region + ".amazonaws.com");
  if (key_id.empty()) return InvalidArgumentError("seal \"awskms\": kms_key_id is required");
  if (sigv4.access_key.empty() || sigv4.secret_key.empty()) {
    return InvalidArgumentError(
        "seal \"awskms\": access_key and secret_key are required (or AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY): Tresor does not read instance metadata or credential files");
  }
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  return std::unique_ptr<KeyWrapper>(
      std::make_unique<AwsKmsWrapper>(std::move(endpoint), std::move(key_id), std::move(sigv4)));
}

}  // namespace tresor::seal
