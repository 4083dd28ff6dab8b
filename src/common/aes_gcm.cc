#include "common/aes_gcm.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace tresor {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// EVP takes int lengths; larger inputs go through in chunks of this size.
constexpr std::size_t kMaxChunk = std::size_t{1} << 30;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Status CheckKey(const SecureBytes& key) {
  if (key.size() != kAesGcmKeySize) {
    return InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  }
  return Status::Ok();
}

Status AuthFailure() { return CorruptionError("ciphertext failed authentication"); }

// Feeds aad (encrypt == true) or decrypt-side aad into ctx, in int-sized chunks.
bool UpdateAad(EVP_CIPHER_CTX* ctx, std::string_view aad, bool encrypt) {
  while (!aad.empty()) {
    std::size_t n = std::min(aad.size(), kMaxChunk);
    int out_len = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, nullptr, &out_len, Bytes(aad), static_cast<int>(n))
                     : EVP_DecryptUpdate(ctx, nullptr, &out_len, Bytes(aad), static_cast<int>(n));
    if (ok != 1) return false;
    aad.remove_prefix(n);
  }
  return true;
}

// Encrypts `in` into `out` (same length) in int-sized chunks. GCM is a stream
// mode, so every Update writes exactly as many bytes as it reads.
bool UpdateData(EVP_CIPHER_CTX* ctx, const unsigned char* in, std::size_t size, unsigned char* out,
                bool encrypt) {
  std::size_t done = 0;
  while (done < size) {
    std::size_t n = std::min(size - done, kMaxChunk);
    int out_len = 0;
    int ok = encrypt ? EVP_EncryptUpdate(ctx, out + done, &out_len, in + done, static_cast<int>(n))
                     : EVP_DecryptUpdate(ctx, out + done, &out_len, in + done, static_cast<int>(n));
    if (ok != 1 || out_len != static_cast<int>(n)) return false;
    done += n;
  }
  return true;
}

StatusOr<std::string> Seal(const SecureBytes& key, const unsigned char* plaintext, std::size_t size,
                           std::string_view aad) {
  TRESOR_RETURN_IF_ERROR(CheckKey(key));
  std::string out(kAesGcmNonceSize + size + kAesGcmTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  unsigned char* ciphertext = nonce + kAesGcmNonceSize;
  unsigned char* tag = ciphertext + size;
  if (RAND_bytes(nonce, static_cast<int>(kAesGcmNonceSize)) != 1) {
    return InternalError("RAND_bytes failed to produce a nonce");
  }
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int final_len = 0;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) != 1 ||
      !UpdateAad(ctx.get(), aad, /*encrypt=*/true) ||
      !UpdateData(ctx.get(), plaintext, size, ciphertext, /*encrypt=*/true) ||
      EVP_EncryptFinal_ex(ctx.get(), tag, &final_len) != 1 || final_len != 0 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAesGcmTagSize), tag) !=
          1) {
    return InternalError("AES-256-GCM encryption failed");
  }
  return out;
}

// Decrypts sealed into out, which the caller sized to sealed.size() -
// kAesGcmOverhead. On failure out may hold unauthenticated bytes: the caller
// must wipe it and never return it.
bool OpenInto(const SecureBytes& key, std::string_view sealed, std::string_view aad,
              unsigned char* out) {
  const unsigned char* nonce = Bytes(sealed);
  const unsigned char* ciphertext = nonce + kAesGcmNonceSize;
  std::size_t size = sealed.size() - kAesGcmOverhead;
  // EVP_CTRL_GCM_SET_TAG takes a non-const pointer; copy the tag.
  unsigned char tag[kAesGcmTagSize];
  std::copy_n(ciphertext + size, kAesGcmTagSize, tag);
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int final_len = 0;
  return ctx != nullptr &&
         EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.data(), nonce) == 1 &&
         UpdateAad(ctx.get(), aad, /*encrypt=*/false) &&
         UpdateData(ctx.get(), ciphertext, size, out, /*encrypt=*/false) &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAesGcmTagSize),
                             tag) == 1 &&
         // The tag check happens here; 1 means authentic.
         EVP_DecryptFinal_ex(ctx.get(), out + size, &final_len) == 1 && final_len == 0;
}

}  // namespace

StatusOr<std::string> AesGcmSeal(const SecureBytes& key, std::string_view plaintext,
                                 std::string_view aad) {
  return Seal(key, Bytes(plaintext), plaintext.size(), aad);
}

StatusOr<std::string> AesGcmSeal(const SecureBytes& key, const SecureBytes& plaintext,
                                 std::string_view aad) {
  return Seal(key, plaintext.data(), plaintext.size(), aad);
}

StatusOr<std::string> AesGcmOpen(const SecureBytes& key, std::string_view sealed,
                                 std::string_view aad) {
  TRESOR_RETURN_IF_ERROR(CheckKey(key));
  if (sealed.size() < kAesGcmOverhead) return AuthFailure();
  std::string out(sealed.size() - kAesGcmOverhead, '\0');
  if (!OpenInto(key, sealed, aad, reinterpret_cast<unsigned char*>(out.data()))) {
    SecureWipe(out);
    return AuthFailure();
  }
  return out;
}

StatusOr<SecureBytes> AesGcmOpenSecure(const SecureBytes& key, std::string_view sealed,
                                       std::string_view aad) {
  TRESOR_RETURN_IF_ERROR(CheckKey(key));
  if (sealed.size() < kAesGcmOverhead) return AuthFailure();
  // SecureBytes wipes itself when freed, including on the failure path.
  SecureBytes out(sealed.size() - kAesGcmOverhead);
  if (!OpenInto(key, sealed, aad, out.data())) return AuthFailure();
  return out;
}

}  // namespace tresor
