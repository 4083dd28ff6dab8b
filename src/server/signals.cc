#include "server/signals.h"

#include <pthread.h>
#include <signal.h>

namespace tresor::server {
namespace {
sigset_t ServerSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

void BlockServerSignals() {
  sigset_t set = ServerSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

Signal WaitForSignal() {
  sigset_t set = ServerSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) return Signal::kReload;
    return Signal::kTerminate;
  }
}

}  // namespace tresor::server
