// Keyring: the barrier's data-encryption keys, one per term. Term numbers
// start at 1 and only grow; the active term (the one new values are encrypted
// under) is the highest. Older terms stay so that values written before a
// rotation still decrypt.
//
// The keyring is stored as JSON (base64 keys) sealed under the root key at
// physical path "core/keyring"; the barrier owns that step (see barrier.h and
// docs/barrier.md). This class only holds the terms and converts them to and
// from their JSON bytes, in SecureBytes, wiping every temporary string that
// held a key.
//
// Callers: barrier/ only.
// Threads: a value type with no internal locking; the barrier guards its
// keyring with its own mutex. Const methods may run concurrently.
#pragma once

#include <cstdint>
#include <map>
#include <string_view>

#include "common/clock.h"
#include "common/secure_memory.h"
#include "common/status.h"

namespace tresor::barrier {

inline constexpr std::size_t kKeySize = 32;

struct KeyTerm {
  std::uint32_t term = 0;
  SecureBytes key;  // kKeySize bytes of AES-256-GCM key.
  Clock::TimePoint install_time;
};

class Keyring {
 public:
  Keyring() = default;

  // Adds term ActiveTerm() + 1 (1 for an empty keyring) with a fresh random
  // key installed at clock.Now(). Returns the new term number, or
  // ResourceExhausted when the term counter would overflow.
  StatusOr<std::uint32_t> AddTerm(const Clock& clock);

  // The highest term number; 0 when the keyring is empty.
  std::uint32_t ActiveTerm() const;
  // The term with this number, or nullptr. The pointer stays valid until the
  // keyring is modified, moved or destroyed.
  const KeyTerm* Find(std::uint32_t term) const;
  // The active term. REQUIRES: !empty().
  const KeyTerm& Active() const;

  bool empty() const { return terms_.empty(); }
  std::size_t size() const { return terms_.size(); }

  // The keyring as JSON:
  //   {"version":1,"terms":[{"term":1,"key":"<base64>","install_time_ns":N},...]}
  // in ascending term order. The result is key material: keep it in
  // SecureBytes and seal it before it leaves memory.
  SecureBytes Serialize() const;

  // Parses the output of Serialize. Returns Corruption (without echoing any
  // input bytes) when the JSON is malformed, the version unknown, a term is 0
  // or repeated, or a key is not kKeySize bytes of base64; also when there
  // are no terms, because a stored keyring always has one.
  static StatusOr<Keyring> Deserialize(const SecureBytes& json);

 private:
  std::map<std::uint32_t, KeyTerm> terms_;
};

}  // namespace tresor::barrier
