#include "common/digest.h"

#include <openssl/evp.h>

#include <memory>

namespace tresor {

StatusOr<std::string> DigestByName(std::string_view name, std::string_view data) {
  std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md(
      EVP_MD_fetch(nullptr, std::string(name).c_str(), nullptr), EVP_MD_free);
  if (md == nullptr) return InvalidArgumentError("unknown digest " + std::string(name));
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), out, &size, md.get(), nullptr) != 1) {
    return InternalError("EVP_Digest failed");
  }
  return std::string(reinterpret_cast<char*>(out), size);
}

}  // namespace tresor
