// Real crashes: a child process writes to a FileBackend as fast as it can
// and reports every acknowledged write through a pipe; the parent kill -9s
// it at a random moment, reopens the directory and checks that every
// acknowledged write is there and nothing torn or invented is.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <map>
#include <random>

#include "storage/file/file_backend.h"
#include "common/temp_dir_for_test.h"

namespace tresor::storage {
namespace {

using State = std::map<std::string, std::string>;
constexpr std::uint32_t kChildFailed = 0xFFFFFFFF;

std::uint64_t Mix(std::uint64_t x) {  // splitmix64: a deterministic scramble.
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::string KeyFor(std::uint64_t n) {
  std::uint64_t h = Mix(n);
  return "c/" + std::to_string(h % 3) + "/k" + std::to_string((h >> 8) % 8);
}

// Long enough that a write takes several pages: a torn copy would show.
std::string ValueFor(std::uint64_t index, int part) {
  std::string head = "op" + std::to_string(index) + "." + std::to_string(part) + ":";
  std::size_t length = Mix(index * 7 + part) % 40000;
  std::string value = head;
  for (std::size_t i = 0; i < length; ++i) value += static_cast<char>('a' + (index + i) % 26);
  return value;
}

// Operation number `index` of the one deterministic program both processes
// know: a put, a delete, or a batch of three.
std::vector<Operation> ProgramStep(std::uint64_t index) {
  switch (Mix(index) % 5) {
    case 0:
    case 1:
      return {Operation::Put(KeyFor(index * 3), ValueFor(index, 0))};
    case 2:
      return {Operation::Delete(KeyFor(index * 3))};
    default:
      return {Operation::Put(KeyFor(index * 3), ValueFor(index, 0)),
              Operation::Delete(KeyFor(index * 3 + 1)),
              Operation::Put(KeyFor(index * 3 + 2), ValueFor(index, 2))};
  }
}

void Apply(State& state, const std::vector<Operation>& ops) {
  for (const Operation& op : ops) {
    if (op.type == Operation::Type::kPut) {
      state[op.key] = op.value;
    } else {
      state.erase(op.key);
    }
  }
}

// Runs in the child: never returns.
[[noreturn]] void RunWriter(const std::string& dir, std::uint64_t first_index, int ack_fd) {
  auto backend = FileBackend::Open(dir);
  std::uint32_t failed = kChildFailed;
  if (!backend.ok()) {
    (void)!write(ack_fd, &failed, sizeof(failed));
    _exit(1);
  }
  for (std::uint64_t index = first_index;; ++index) {
    std::vector<Operation> ops = ProgramStep(index);
    Status status = ops.size() > 1 ? (*backend)->Batch(ops)
                    : ops[0].type == Operation::Type::kPut
                        ? (*backend)->Put(ops[0].key, ops[0].value)
                        : (*backend)->Delete(ops[0].key);
    auto ack = static_cast<std::uint32_t>(index);
    if (!status.ok()) ack = failed;
    if (write(ack_fd, &ack, sizeof(ack)) != sizeof(ack) || !status.ok()) _exit(1);
  }
}

// Reads one 4-byte ack; false at end of file.
bool ReadAck(int fd, std::uint32_t* ack) {
  std::size_t got = 0;
  auto* bytes = reinterpret_cast<char*>(ack);
  while (got < sizeof(*ack)) {
    ssize_t n = read(fd, bytes + got, sizeof(*ack) - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<std::size_t>(n);
  }
  return true;
}

State ReadAll(Backend& backend) {
  State state;
  auto keys = ListRecursive(backend, "");
  EXPECT_TRUE(keys.ok()) << keys.status().ToString();
  if (!keys.ok()) return state;
  for (const std::string& key : *keys) {
    auto value = backend.Get(key);
    EXPECT_TRUE(value.ok() && value->has_value()) << key << ": " << value.status().ToString();
    if (value.ok() && value->has_value()) state[key] = **value;
  }
  return state;
}

TEST(FileBackendCrash, KillNineNeverLosesAnAcknowledgedWrite) {
  TempDirForTest tmp;
  const unsigned seed = std::random_device()();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  State state;  // What the directory holds after `applied` ops.
  std::uint64_t applied = 0;
  int rounds_with_inflight_applied = 0;
  for (int round = 0; round < 30; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      RunWriter(tmp.path(), applied, fds[1]);
    }
    close(fds[1]);
    // Kill after a random number of acknowledgements: the child is then in
    // the middle of its next operation (or just about to start it).
    const int wanted = 1 + static_cast<int>(rng() % 25);
    std::uint64_t acked = 0;
    std::uint32_t ack = 0;
    for (int i = 0; i < wanted; ++i) {
      ASSERT_TRUE(ReadAck(fds[0], &ack)) << "child died early in round " << round;
      ASSERT_NE(ack, kChildFailed) << "child write failed in round " << round;
      ASSERT_EQ(ack, applied + acked);
      ++acked;
    }
    ASSERT_EQ(kill(child, SIGKILL), 0);
    int wait_status = 0;
    ASSERT_EQ(waitpid(child, &wait_status, 0), child);
    // Acks already in the pipe when the child died count too.
    while (ReadAck(fds[0], &ack)) {
      ASSERT_NE(ack, kChildFailed);
      ASSERT_EQ(ack, applied + acked);
      ++acked;
    }
    close(fds[0]);

    State acked_state = state;
    for (std::uint64_t i = 0; i < acked; ++i) Apply(acked_state, ProgramStep(applied + i));
    State with_inflight = acked_state;
    Apply(with_inflight, ProgramStep(applied + acked));

    auto backend = FileBackend::Open(tmp.path());
    ASSERT_TRUE(backend.ok()) << backend.status().ToString();
    State found = ReadAll(**backend);
    if (found == acked_state) {
      applied += acked;
      state = std::move(acked_state);
    } else {
      // The one operation in flight at the kill may have completed, whole.
      ASSERT_EQ(found, with_inflight) << "round " << round << " after " << acked << " acks";
      applied += acked + 1;
      state = std::move(with_inflight);
      ++rounds_with_inflight_applied;
    }
  }
  // Recorded, not asserted: whether the kill landed after an unacknowledged
  // completion is up to the scheduler.
  RecordProperty("rounds_with_inflight_applied", rounds_with_inflight_applied);
  EXPECT_GT(applied, 12u);
}

}  // namespace
}  // namespace tresor::storage
