// Handling of key material: a byte buffer that lives in locked memory (when
// the OS allows and the operator has not set disable_mlock) and is wiped when
// freed; a wipe the compiler cannot optimise away; constant-time comparison;
// and process hardening (no core dumps).
//
// Who calls it: seal/, barrier/, core/ for every key; server/ once at start.
// Threads: all functions are thread-safe. SetMemoryLockingEnabled() is meant
// to be called once, before any key is allocated.
#pragma once

#include <cstddef>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tresor {

// Overwrites n bytes at p with zeros; never elided by the optimiser.
void SecureWipe(void* p, std::size_t n);
// Wipes the whole capacity of s, then clears it.
void SecureWipe(std::string& s);

// Whether SecureAllocator mlocks its pages. Default true.
void SetMemoryLockingEnabled(bool enabled);
bool MemoryLockingEnabled();

// Checks that this process may lock memory (RLIMIT_MEMLOCK and privileges).
// Returns FailedPrecondition with advice (set disable_mlock) when it may not.
Status CheckMemoryLockingWorks();

// Refuses core dumps for this process (RLIMIT_CORE=0, PR_SET_DUMPABLE=0),
// so that key material never lands in a dump file.
Status DisableCoreDumps();

// True when a and b have equal length and content; the time taken does not
// depend on where they differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

namespace internal {
void* SecureAllocate(std::size_t bytes);
void SecureDeallocate(void* p, std::size_t bytes);
}  // namespace internal

// An allocator for containers of key material: locks the pages when enabled,
// wipes them before freeing.
template <typename T>
struct SecureAllocator {
  using value_type = T;
  SecureAllocator() = default;
  template <typename U>
  SecureAllocator(const SecureAllocator<U>&) {}  // NOLINT
  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(internal::SecureAllocate(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) { internal::SecureDeallocate(p, n * sizeof(T)); }
  template <typename U>
  bool operator==(const SecureAllocator<U>&) const { return true; }
};

// Key material: no small-buffer optimisation, so every byte is in memory the
// allocator owns and wipes.
using SecureBytes = std::vector<unsigned char, SecureAllocator<unsigned char>>;

inline SecureBytes ToSecureBytes(std::string_view s) {
  return SecureBytes(s.begin(), s.end());
}
inline std::string_view AsStringView(const SecureBytes& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), b.size());
}

}  // namespace tresor
