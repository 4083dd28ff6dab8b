#include "common/secure_memory.h"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

namespace tresor {
namespace {
std::atomic<bool> g_lock_memory{true};

// The system calls themselves, not libc's wrappers: AddressSanitizer
// intercepts mlock() and makes it a no-op, which would leave keys unlocked
// (and untestable) in the sanitizer build.
int LockPages(const void* p, std::size_t n) { return static_cast<int>(syscall(SYS_mlock, p, n)); }
int UnlockPages(const void* p, std::size_t n) {
  return static_cast<int>(syscall(SYS_munlock, p, n));
}
}  // namespace

void SecureWipe(void* p, std::size_t n) {
  if (p != nullptr && n > 0) OPENSSL_cleanse(p, n);
}

void SecureWipe(std::string& s) {
  // Wipe the full capacity: earlier, longer contents may linger past size().
  s.resize(s.capacity());
  SecureWipe(s.data(), s.size());
  s.clear();
}

void SetMemoryLockingEnabled(bool enabled) { g_lock_memory.store(enabled); }
bool MemoryLockingEnabled() { return g_lock_memory.load(); }

Status CheckMemoryLockingWorks() {
  char probe[64] = {};
  if (LockPages(probe, sizeof(probe)) != 0) {
    int err = errno;
    return FailedPreconditionError(
        std::string("cannot lock memory (") + std::strerror(err) +
        "); run with CAP_IPC_LOCK or a higher RLIMIT_MEMLOCK, or set disable_mlock = true");
  }
  UnlockPages(probe, sizeof(probe));
  return Status::Ok();
}

Status DisableCoreDumps() {
  struct rlimit none = {0, 0};
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    return InternalError(std::string("setrlimit(RLIMIT_CORE): ") + std::strerror(errno));
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return InternalError(std::string("prctl(PR_SET_DUMPABLE): ") + std::strerror(errno));
  }
  return Status::Ok();
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // The length is not secret (tokens and keys have public formats); only the
  // content comparison must not leak where the first difference is.
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

namespace internal {

void* SecureAllocate(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  void* p = std::malloc(bytes);
  if (p == nullptr) throw std::bad_alloc();
  // Best effort: a failure to lock was already reported at start by
  // CheckMemoryLockingWorks(); here it must not fail the operation.
  if (g_lock_memory.load()) {
    std::memset(p, 0, bytes);  // mlock wants initialised memory; keys overwrite it anyway.
    (void)LockPages(p, bytes);
  }
  return p;
}

void SecureDeallocate(void* p, std::size_t bytes) {
  if (p == nullptr) return;
  if (bytes == 0) bytes = 1;
  OPENSSL_cleanse(p, bytes);
  // munlock works by page; other live allocations may share the page, so the
  // page stays locked (harmless) rather than risk unlocking a live key.
  std::free(p);
}

}  // namespace internal
}  // namespace tresor
