// TRESOR_CHECK: for broken invariants only (a bug, or key/raft state that can
// no longer be trusted). Logs and aborts rather than serve wrong data. Bad
// input from users or the network is never a CHECK; it is a Status.
#pragma once

#include <cstdio>
#include <cstdlib>

#define TRESOR_CHECK(cond)                                                        \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, \
                   #cond);                                                        \
      std::abort();                                                               \
    }                                                                             \
  } while (0)
