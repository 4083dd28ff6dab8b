#include "seal/key_wrapper_factory.h"

#include "seal/awskms_wrapper.h"
#include "seal/metered_key_wrapper.h"
#include "seal/pkcs11_wrapper.h"
#include "seal/transit_wrapper.h"

namespace tresor::seal {

namespace {

StatusOr<std::unique_ptr<KeyWrapper>> NewProvider(const SealBlock& block) {
  if (block.type == "transit") return NewTransitWrapper(block);
  if (block.type == "awskms") return NewAwsKmsWrapper(block);
  if (block.type == "pkcs11") return NewPkcs11Wrapper(block);
  return InvalidArgumentError("seal type \"" + block.type +
                              "\" is not supported; Tresor supports \"shamir\", \"transit\", "
                              "\"awskms\" and \"pkcs11\"");
}

}  // namespace

StatusOr<std::unique_ptr<KeyWrapper>> NewKeyWrapper(const SealBlock& block) {
  if (block.type == "shamir") return std::unique_ptr<KeyWrapper>();
  StatusOr<std::unique_ptr<KeyWrapper>> provider = NewProvider(block);
  if (!provider.ok()) return provider.status();
  return std::unique_ptr<KeyWrapper>(
      std::make_unique<MeteredKeyWrapper>(std::move(*provider), block.disabled));
}

}  // namespace tresor::seal
