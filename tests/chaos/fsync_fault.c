/* LD_PRELOAD shim for the chaos harness's FsyncFailure fault (faults.py).
 *
 * While the file named by TRESOR_FSYNC_FAULT_FLAG exists, every call that
 * asks for durability of a file under the directory TRESOR_FSYNC_FAULT_DIR
 * fails with EIO, and one line per failure is appended to "<flag>.count":
 *
 *   fsync, fdatasync, syncfs, sync_file_range, msync   (LMDB, libuv, Tresor)
 *   kernel AIO writes             libraft 0.15 writes its log segments with
 *                                 io_submit / io_getevents through syscall(),
 *                                 not libc: the completion event of a write
 *                                 reports -EIO, as for a real disk error (or,
 *                                 with "submit" in the flag file, io_submit
 *                                 itself fails)
 *   syscall(__NR_fsync / __NR_fdatasync, ...)
 *   pwritev2 with RWF_DSYNC / RWF_SYNC
 *   write, pwrite, writev, pwritev on a descriptor opened O_SYNC / O_DSYNC
 *
 * It fails the call; it cannot throw away what the kernel already holds in
 * its page cache the way a failing disk can, so a later read still sees the
 * data. Nothing is cached: the flag is tested and the descriptor's path read
 * from /proc/self/fd on every call, so a reused descriptor never carries a
 * stale answer (only the addresses of the real functions are kept).
 *
 * Built by the harness: cc -shared -fPIC -O2 -o fsync_fault.so fsync_fault.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* The next definition (libasan's interceptor or libc's), looked up once:
 * a dlsym on every write would take the loader's lock each time. */
#define NEXT(name)                                                          \
  ({                                                                        \
    static __typeof__(&name) next_;                                         \
    __typeof__(&name) f_ = __atomic_load_n(&next_, __ATOMIC_ACQUIRE);       \
    if (f_ == NULL) {                                                       \
      f_ = (__typeof__(&name))dlsym(RTLD_NEXT, #name);                      \
      __atomic_store_n(&next_, f_, __ATOMIC_RELEASE);                       \
    }                                                                       \
    f_;                                                                     \
  })

static int flag_on(void) {
  const char *flag = getenv("TRESOR_FSYNC_FAULT_FLAG");
  return flag != NULL && access(flag, F_OK) == 0;
}

/* True when `path` is the fault directory or inside it. */
static int path_under_dir(const char *path) {
  const char *dir = getenv("TRESOR_FSYNC_FAULT_DIR");
  if (dir == NULL || *dir == '\0') return 0;
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/') n--;
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int fd_path(int fd, char *out, size_t size) {
  char link[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, out, size - 1);
  if (n < 0) return -1;
  out[n] = '\0';
  return 0;
}

/* Appends "<call> <path>\n" to <flag>.count: one line per injected failure
 * (O_APPEND keeps concurrent lines whole), so a test can prove the fault bit. */
static void count_failure(const char *call, const char *path) {
  const char *flag = getenv("TRESOR_FSYNC_FAULT_FLAG");
  char name[4096], line[4200];
  snprintf(name, sizeof name, "%s.count", flag);
  int fd = open(name, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  int len = snprintf(line, sizeof line, "%s %s\n", call, path);
  if (len > (int)sizeof line - 1) len = (int)sizeof line - 1;
  ssize_t ignored = syscall(SYS_write, fd, line, (size_t)len);
  (void)ignored;
  close(fd);
}

/* The fault decision for a descriptor: fail (and count) when the flag is on
 * and fd is a file under the fault directory. errno is left alone otherwise. */
static int should_fail_fd(const char *call, int fd) {
  int saved = errno;
  char path[4096];
  int fail = flag_on() && fd_path(fd, path, sizeof path) == 0 && path_under_dir(path);
  if (fail) count_failure(call, path);
  errno = saved;
  return fail;
}

/* Writes are durable at return only on O_SYNC / O_DSYNC descriptors (O_SYNC
 * includes the O_DSYNC bit). fcntl first: it is cheaper than the flag test,
 * and most writes (sockets, logs) stop there. */
static int should_fail_sync_write(const char *call, int fd) {
  int saved = errno;
  int flags = fcntl(fd, F_GETFL);
  errno = saved;
  return flags != -1 && (flags & O_DSYNC) && should_fail_fd(call, fd);
}

static long fail_eio(void) {
  errno = EIO;
  return -1;
}

int fsync(int fd) {
  if (should_fail_fd("fsync", fd)) return (int)fail_eio();
  return NEXT(fsync)(fd);
}

int fdatasync(int fd) {
  if (should_fail_fd("fdatasync", fd)) return (int)fail_eio();
  return NEXT(fdatasync)(fd);
}

int syncfs(int fd) {
  if (should_fail_fd("syncfs", fd)) return (int)fail_eio();
  return NEXT(syncfs)(fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags) {
  if (should_fail_fd("sync_file_range", fd)) return (int)fail_eio();
  return NEXT(sync_file_range)(fd, offset, nbytes, flags);
}

/* The mapping holding addr, from /proc/self/maps; 0 when it has no file. */
static int map_path(void *addr, char *out, size_t size) {
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL) return 0;
  char line[4200];
  int found = 0;
  while (!found && fgets(line, sizeof line, maps)) {
    uintptr_t start, end;
    int pathpos = 0;
    if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &pathpos) < 2) continue;
    if ((uintptr_t)addr < start || (uintptr_t)addr >= end) continue;
    line[strcspn(line, "\n")] = '\0';
    if (pathpos > 0 && line[pathpos] == '/') {
      snprintf(out, size, "%s", line + pathpos);
      found = 1;
    } else {
      break;
    }
  }
  fclose(maps);
  return found;
}

int msync(void *addr, size_t length, int flags) {
  int saved = errno;
  if (flag_on()) {
    char path[4096];
    /* A map we cannot name fails too: better a spurious failure than a
     * missed one while the flag is on. */
    int named = map_path(addr, path, sizeof path);
    if (!named || path_under_dir(path)) {
      count_failure("msync", named ? path : "(unnamed map)");
      return (int)fail_eio();
    }
  }
  errno = saved;
  return NEXT(msync)(addr, length, flags);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int iovcnt, off_t offset, int flags) {
  if ((flags & (RWF_DSYNC | RWF_SYNC)) ? should_fail_fd("pwritev2", fd)
                                       : should_fail_sync_write("pwritev2", fd))
    return fail_eio();
  return NEXT(pwritev2)(fd, iov, iovcnt, offset, flags);
}

/* Built with _FILE_OFFSET_BITS=64 (libuv, Python), callers link to the *64
 * names; they are separate symbols in glibc. */
ssize_t pwritev64v2(int fd, const struct iovec *iov, int iovcnt, off64_t offset, int flags) {
  if ((flags & (RWF_DSYNC | RWF_SYNC)) ? should_fail_fd("pwritev2", fd)
                                       : should_fail_sync_write("pwritev2", fd))
    return fail_eio();
  return NEXT(pwritev64v2)(fd, iov, iovcnt, offset, flags);
}

ssize_t write(int fd, const void *buf, size_t count) {
  if (should_fail_sync_write("write", fd)) return fail_eio();
  return NEXT(write)(fd, buf, count);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
  if (should_fail_sync_write("pwrite", fd)) return fail_eio();
  return NEXT(pwrite)(fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
  if (should_fail_sync_write("pwrite64", fd)) return fail_eio();
  return NEXT(pwrite64)(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
  if (should_fail_sync_write("writev", fd)) return fail_eio();
  return NEXT(writev)(fd, iov, iovcnt);
}

ssize_t pwritev(int fd, const struct iovec *iov, int iovcnt, off_t offset) {
  if (should_fail_sync_write("pwritev", fd)) return fail_eio();
  return NEXT(pwritev)(fd, iov, iovcnt, offset);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int iovcnt, off64_t offset) {
  if (should_fail_sync_write("pwritev", fd)) return fail_eio();
  return NEXT(pwritev64)(fd, iov, iovcnt, offset);
}

/* "submit" in the flag file: io_submit itself fails. Otherwise the write is
 * done and its completion event reports -EIO, which is how the kernel
 * reports a failed direct write to a real disk (io_submit only fails for
 * a request it cannot queue). */
static int fail_at_submit(void) {
  char mode[16] = "";
  const char *flag = getenv("TRESOR_FSYNC_FAULT_FLAG");
  int fd = flag ? open(flag, O_RDONLY | O_CLOEXEC) : -1;
  if (fd < 0) return 0;
  ssize_t n = read(fd, mode, sizeof mode - 1);
  close(fd);
  return n >= 6 && strncmp(mode, "submit", 6) == 0;
}

/* libraft issues io_setup, io_submit and io_getevents through syscall().
 * Every other call is forwarded with its six arguments. */
long syscall(long number, ...) {
  va_list ap;
  va_start(ap, number);
  long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
  long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
  va_end(ap);
  if (number == SYS_io_submit) {
    struct iocb **iocbs = (struct iocb **)a3;
    for (long i = 0; i < a2 && iocbs != NULL; i++) {
      if (iocbs[i] != NULL && flag_on() && fail_at_submit() &&
          should_fail_fd("io_submit", (int)iocbs[i]->aio_fildes))
        return fail_eio();
    }
  } else if (number == SYS_fsync || number == SYS_fdatasync) {
    if (should_fail_fd(number == SYS_fsync ? "fsync" : "fdatasync", (int)a1))
      return fail_eio();
  }
  long n = NEXT(syscall)(number, a1, a2, a3, a4, a5, a6);
  if ((number == SYS_io_getevents || number == SYS_io_pgetevents) && n > 0) {
    int saved = errno;
    struct io_event *events = (struct io_event *)a4;
    for (long i = 0; i < n; i++) {
      struct iocb *cb = (struct iocb *)(uintptr_t)events[i].obj;
      int writes = cb != NULL && (cb->aio_lio_opcode == IOCB_CMD_PWRITE ||
                                  cb->aio_lio_opcode == IOCB_CMD_PWRITEV ||
                                  cb->aio_lio_opcode == IOCB_CMD_FSYNC ||
                                  cb->aio_lio_opcode == IOCB_CMD_FDSYNC);
      if (writes && events[i].res >= 0 && flag_on() && !fail_at_submit() &&
          should_fail_fd("io_getevents", (int)cb->aio_fildes))
        events[i].res = -EIO;
    }
    errno = saved;
  }
  return n;
}
