#include "seal/seal_block.h"

namespace tresor::seal {

const std::vector<std::string_view>* SealOptionKeys(std::string_view type) {
  static const std::map<std::string_view, std::vector<std::string_view>> kKeys = {
      {"shamir", {}},
      {"transit",
       {"address", "token", "key_name", "mount_path", "namespace", "disable_renewal",
        "tls_ca_cert", "tls_client_cert", "tls_client_key", "tls_server_name",
        "tls_skip_verify"}},
      {"awskms",
       {"region", "kms_key_id", "endpoint", "access_key", "secret_key", "session_token"}},
      {"pkcs11",
       {"lib", "slot", "token_label", "pin", "key_label", "mechanism", "generate_key"}},
  };
  auto found = kKeys.find(type);
  return found == kKeys.end() ? nullptr : &found->second;
}

}  // namespace tresor::seal
