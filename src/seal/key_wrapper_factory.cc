#include "seal/key_wrapper_factory.h"

#include "seal/awskms_wrapper.h"
#include "seal/pkcs11_wrapper.h"
#include "seal/transit_wrapper.h"

namespace tresor::seal {

StatusOr<std::unique_ptr<KeyWrapper>> NewKeyWrapper(const SealBlock& block) {
  if (block.type == "shamir") return std::unique_ptr<KeyWrapper>();
  if (block.type == "transit") return NewTransitWrapper(block);
  if (block.type == "awskms") return NewAwsKmsWrapper(block);
  if (block.type == "pkcs11") return NewPkcs11Wrapper(block);
  return InvalidArgumentError("seal type \"" + block.type +
                              "\" is not supported; Tresor supports \"shamir\", \"transit\", "
                              "\"awskms\" and \"pkcs11\"");
}

}  // namespace tresor::seal
