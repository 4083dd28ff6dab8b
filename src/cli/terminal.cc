#include "cli/terminal.h"

#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/secure_memory.h"

namespace tresor::cli {
namespace {

constexpr size_t kMaxLine = 64 * 1024;
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP};
constexpr size_t kSignalCount = sizeof(kSignals) / sizeof(kSignals[0]);

// State the signal handler needs; set only while echo is off. The handler
// uses nothing but async-signal-safe calls (tcsetattr, sigaction, raise).
struct termios g_saved_termios;
volatile sig_atomic_t g_terminal_fd = -1;
struct sigaction g_previous_actions[kSignalCount];

void RestoreTerminalAndReraise(int signal_number) {
  if (g_terminal_fd >= 0) tcsetattr(g_terminal_fd, TCSANOW, &g_saved_termios);
  for (size_t i = 0; i < kSignalCount; ++i) {
    if (kSignals[i] == signal_number) sigaction(signal_number, &g_previous_actions[i], nullptr);
  }
  raise(signal_number);
}

// Reads bytes until a newline or end of input.
StatusOr<std::string> ReadLine(int fd) {
  std::string line;
  line.reserve(256);
  for (;;) {
    char c = 0;
    ssize_t n = read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      SecureWipe(line);
      return IOError(std::string("error reading input: ") + std::strerror(saved));
    }
    if (n == 0 || c == '\n') break;
    if (line.size() >= kMaxLine) {
      SecureWipe(line);
      return InvalidArgumentError("input line is too long");
    }
    if (line.size() == line.capacity()) {
      // Grow by hand so the old buffer is wiped rather than freed with the
      // partial secret in it.
      std::string bigger;
      bigger.reserve(line.capacity() * 2);
      bigger = line;
      SecureWipe(line);
      line = std::move(bigger);
    }
    line.push_back(c);
  }
  size_t begin = line.find_first_not_of(" \t\r\n");
  size_t end = line.find_last_not_of(" \t\r\n");
  std::string trimmed = begin == std::string::npos ? "" : line.substr(begin, end - begin + 1);
  SecureWipe(line);
  return trimmed;
}

}  // namespace

bool IsTerminal(int fd) { return isatty(fd) == 1; }

StatusOr<std::string> ReadSecretLine(int fd, std::string_view prompt, std::ostream& prompt_out) {
  if (!IsTerminal(fd)) return ReadLine(fd);

  prompt_out << prompt << std::flush;
  struct termios saved {};
  if (tcgetattr(fd, &saved) != 0) {
    return IOError(std::string("could not read terminal settings: ") + std::strerror(errno));
  }
  g_saved_termios = saved;
  g_terminal_fd = fd;
  struct sigaction action {};
  action.sa_handler = RestoreTerminalAndReraise;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < kSignalCount; ++i) sigaction(kSignals[i], &action, &g_previous_actions[i]);

  struct termios quiet = saved;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  quiet.c_lflag |= ECHONL;  // still show the newline the user types
  StatusOr<std::string> line = IOError("could not turn off terminal echo");
  if (tcsetattr(fd, TCSAFLUSH, &quiet) == 0) line = ReadLine(fd);

  tcsetattr(fd, TCSAFLUSH, &saved);
  g_terminal_fd = -1;
  for (size_t i = 0; i < kSignalCount; ++i) sigaction(kSignals[i], &g_previous_actions[i], nullptr);
  return line;
}

}  // namespace tresor::cli
