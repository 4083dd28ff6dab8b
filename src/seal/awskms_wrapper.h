// `seal "awskms"`: envelope encryption with AWS KMS. Each Wrap makes a fresh
// 256-bit data key, seals the root key under it with AES-256-GCM, and has
// KMS encrypt the data key (the KMS JSON API, `TrentService.Encrypt` and
// `Decrypt`, signed with Signature Version 4 by libcurl). The stored blob
// holds both ciphertexts; KMS never sees the root key.
//
// Options (environment fallbacks as Vault's): region (AWS_REGION,
// AWS_DEFAULT_REGION; default us-east-1), kms_key_id
// (VAULT_AWSKMS_SEAL_KEY_ID), endpoint (AWS_KMS_ENDPOINT; default
// https://kms.<region>.amazonaws.com), access_key (AWS_ACCESS_KEY_ID),
// secret_key (AWS_SECRET_ACCESS_KEY), session_token (AWS_SESSION_TOKEN).
// Credentials must be given: Tresor does not read instance metadata or
// shared credential files.
//
// Threads: thread-safe (no state beyond the options).
#pragma once

#include <memory>

#include "seal/key_wrapper.h"
#include "seal/seal_block.h"

namespace tresor::seal {

StatusOr<std::unique_ptr<KeyWrapper>> NewAwsKmsWrapper(const SealBlock& block);

}  // namespace tresor::seal
