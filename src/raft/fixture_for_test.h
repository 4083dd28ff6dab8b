// FsmClusterForTest: a cluster of raft servers on libraft's deterministic
// in-memory fixture (raft/fixture.h), each with its own StateStore and Fsm,
// so that tests drive the real state machine glue through elections,
// partitions, I/O faults and snapshot installs without sockets, threads or
// sleeps. For tests only; header-only so that it never ends up in the raft
// library (raft_test links it through fsm_fixture_test.cc).
//
// There is no event loop here, so nothing hands applied entries to the
// Fsm's Applier between steps as raft::Node does; StepUntilApplied drains
// every server's Applier once stepping stops, before a test reads any store
// or proposal result.
//
// Threads: one owner (the test's thread); not shared. The Appliers' threads
// write proposal results, read after a drain.
#pragma once

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "common/status.h"
#include "raft/command.h"
#include "raft/fsm.h"
#include "raft/libraft.h"  // Before fixture.h: raft.h must get C linkage.
#include "raft/state_store.h"
#include "raft/state_stream.h"
#include "raft/state_transfer.h"

extern "C" {  // Debian's fixture.h, like raft.h, has no guard of its own.
#include <raft/fixture.h>
}

namespace tresor::raft {

// One raft_apply request and what became of it.
struct ProposalForTest {
  struct raft_apply request {};
  bool done = false;  // The apply callback has run.
  int status = 0;     // libraft's status for the request (0 once applied).
  Status result;      // The entry's answer (a late one once StepUntilApplied drained).
  Fsm* fsm = nullptr;  // The proposing server's.

  // The log index libraft gave the entry (valid once Propose returned it).
  raft_index index() const { return request.index; }
};

class FsmClusterForTest {
 public:
  // libraft's fixture defaults (src/fixture.c), which the timings below use.
  static constexpr unsigned kElectionTimeoutMs = 1000;
  // Generous bound for anything the cluster should do "soon": several
  // election rounds of simulated time, still instant in real time.
  static constexpr unsigned kPatienceMs = 20 * kElectionTimeoutMs;

  // Opens one StateStore per server under dir/server<i> (dir must exist),
  // grows the fixture with their Fsms, bootstraps all n as voters and starts
  // them. Aborts on any setup failure: a test cannot run without its cluster.
  FsmClusterForTest(const std::string& dir, unsigned n)
      : fixture_(std::make_unique<raft_fixture>()) {
    TRESOR_CHECK(raft_fixture_initialize(fixture_.get()) == 0);
    for (unsigned i = 0; i < n; ++i) {
      auto store = StateStore::Open(dir + "/server" + std::to_string(i), kMapSizeBytes);
      TRESOR_CHECK(store.ok());
      stores_.push_back(std::move(store).value());
      fsms_.push_back(std::make_unique<Fsm>(*stores_.back()));
      TRESOR_CHECK(raft_fixture_grow(fixture_.get(), fsms_.back()->get()) == 0);
      fsms_.back()->SetRaft(raft_fixture_get(fixture_.get(), i));
      fsms_.back()->SetStateFetcher(
          [this, i](std::uint64_t min_index) { return FetchFromLeader(i, min_index); });
    }
    struct raft_configuration configuration;
    TRESOR_CHECK(raft_fixture_configuration(fixture_.get(), n, &configuration) == 0);
    int bootstrapped = raft_fixture_bootstrap(fixture_.get(), &configuration);
    raft_configuration_close(&configuration);
    TRESOR_CHECK(bootstrapped == 0);
    TRESOR_CHECK(raft_fixture_start(fixture_.get()) == 0);
  }

  // Closes the fixture first: raft_close may still call the Fsms and fail
  // pending proposals, which must therefore outlive it.
  ~FsmClusterForTest() { raft_fixture_close(fixture_.get()); }

  // What a node's state fetcher does over the cluster port
  // (raft/state_transfer.h), in memory: the leader's committed state,
  // through the state stream format, into server i's installer.
  StatusOr<std::uint64_t> FetchFromLeader(unsigned i, std::uint64_t min_index) {
    unsigned leader = raft_fixture_leader_index(fixture_.get());
    if (leader >= stores_.size() || leader == i) return UnavailableError("no leader");
    ++fetches_;
    StateStore& source = *stores_[leader];
    // No event loop commits the leader's group here (see the header).
    TRESOR_RETURN_IF_ERROR(source.Commit());
    TRESOR_ASSIGN_OR_RETURN(auto view, source.OpenView());
    if (view->applied_index() < min_index) return UnavailableError("leader behind");
    std::string stream;
    TRESOR_RETURN_IF_ERROR(WriteViewStream(*view, [&](std::string_view piece) {
      stream.append(piece);
      return Status::Ok();
    }));
    std::size_t offset = 0;
    return InstallStateStream(ReadExactFrom(stream, &offset), min_index, *stores_[i]);
  }
  // How many times a follower fetched the leader's state.
  int fetches() const { return fetches_; }

  FsmClusterForTest(const FsmClusterForTest&) = delete;
  FsmClusterForTest& operator=(const FsmClusterForTest&) = delete;

  struct raft_fixture* fixture() {
    return fixture_.get();
  }
  unsigned size() const { return static_cast<unsigned>(stores_.size()); }
  struct raft* Raft(unsigned i) {
    return raft_fixture_get(fixture_.get(), i);
  }
  StateStore& Store(unsigned i) { return *stores_.at(i); }
  Fsm& FsmOf(unsigned i) { return *fsms_.at(i); }

  // Steps until the fixture sees a stable leader; its index, or size() when
  // none emerged within kPatienceMs.
  unsigned ElectLeader() {
    raft_fixture_step_until_has_leader(fixture_.get(), kPatienceMs);
    return raft_fixture_leader_index(fixture_.get());
  }

  // Steps until the fixture sees a stable leader other than server `old`
  // (the fixture keeps reporting a killed leader until it steps on); its
  // index, or size() when none emerged within kPatienceMs.
  unsigned ElectLeaderOtherThan(unsigned old) {
    raft_fixture_step_until(fixture_.get(), &HasLeaderOtherThan, &old, kPatienceMs);
    unsigned leader = raft_fixture_leader_index(fixture_.get());
    return leader == old ? size() : leader;
  }

  // Submits ops as one command entry through server i (normally the leader).
  // The returned proposal lives as long as the cluster; when libraft refuses
  // it (e.g. RAFT_NOTLEADER) it is already done with that status.
  ProposalForTest* Propose(unsigned i, const std::vector<StateOp>& ops) {
    return ProposeBytes(i, EncodeCommand(ops));
  }

  // As Propose, with a raw payload (for entries no Tresor would write).
  // REQUIRES: payload is not empty (raft_malloc(0) may return null).
  ProposalForTest* ProposeBytes(unsigned i, std::string_view payload) {
    TRESOR_CHECK(!payload.empty());
    proposals_.push_back(std::make_unique<ProposalForTest>());
    ProposalForTest* proposal = proposals_.back().get();
    proposal->request.data = proposal;
    proposal->fsm = fsms_.at(i).get();
    struct raft_buffer buffer;
    buffer.len = payload.size();
    buffer.base = raft_malloc(buffer.len);
    TRESOR_CHECK(buffer.base != nullptr);
    std::memcpy(buffer.base, payload.data(), payload.size());
    int rv = raft_apply(Raft(i), &proposal->request, &buffer, 1, &OnApplied);
    if (rv != 0) {
      raft_free(buffer.base);  // Ownership passes to libraft only on success.
      proposal->done = true;
      proposal->status = rv;
    }
    return proposal;
  }

  // Steps until server i (every server when i == size(), dead ones
  // included) has applied `index`, then drains every server's Applier.
  // True when the index was reached within max_msecs of simulated time and
  // every commit succeeded.
  bool StepUntilApplied(unsigned i, raft_index index, unsigned max_msecs = kPatienceMs) {
    bool reached = raft_fixture_step_until_applied(fixture_.get(), i, index, max_msecs);
    return CommitAll() && reached;
  }

  // Steps for msecs of simulated time, then drains every server's Applier.
  bool StepFor(unsigned msecs) {
    raft_fixture_step_until_elapsed(fixture_.get(), msecs);
    return CommitAll();
  }

  // Drains every server's Applier; false when any commit failed.
  bool CommitAll() {
    bool all_ok = true;
    for (auto& fsm : fsms_) all_ok = fsm->applier().Drain().ok() && all_ok;
    return all_ok;
  }

  // Cuts server i off from every other server in both directions (messages
  // are silently dropped, as on a saturated link), or heals that.
  void Isolate(unsigned i) { SetIsolated(i, true); }
  void Heal(unsigned i) { SetIsolated(i, false); }

  // Every committed key and value of server i's store (keys in these tests
  // are flat: no '/', so one listing of "" names them all).
  std::map<std::string, std::string> Contents(unsigned i) const {
    std::map<std::string, std::string> out;
    auto names = stores_.at(i)->ListPage("", "", 0);
    TRESOR_CHECK(names.ok());
    for (const std::string& name : *names) {
      auto value = stores_.at(i)->Get(name);
      TRESOR_CHECK(value.ok() && value->has_value());
      out[name] = **value;
    }
    return out;
  }

 private:
  static constexpr std::size_t kMapSizeBytes = 16 << 20;

  static bool HasLeaderOtherThan(struct raft_fixture* f, void* old) {
    unsigned leader = raft_fixture_leader_index(f);
    return leader < raft_fixture_n(f) && leader != *static_cast<unsigned*>(old);
  }

  static void OnApplied(struct raft_apply* request, int status, void* result) {
    auto* proposal = static_cast<ProposalForTest*>(request->data);
    proposal->done = true;
    proposal->status = status;
    if (status == 0 && !Fsm::AnsweredAtOnce(result)) {
      proposal->fsm->applier().AnswerLast([proposal](Status result) {
        proposal->result = std::move(result);
      });
    }
  }

  void SetIsolated(unsigned i, bool isolated) {
    for (unsigned j = 0; j < size(); ++j) {
      if (j == i) continue;
      if (isolated) {
        raft_fixture_saturate(fixture_.get(), i, j);
        raft_fixture_saturate(fixture_.get(), j, i);
      } else {
        raft_fixture_desaturate(fixture_.get(), i, j);
        raft_fixture_desaturate(fixture_.get(), j, i);
      }
    }
  }

  // Declared first so it is destroyed last: the Fsms and stores must be gone
  // only after raft_fixture_close (see the destructor), and the fixture
  // struct itself after that.
  std::unique_ptr<struct raft_fixture> fixture_;
  std::vector<std::unique_ptr<StateStore>> stores_;
  std::vector<std::unique_ptr<Fsm>> fsms_;
  int fetches_ = 0;
  std::vector<std::unique_ptr<ProposalForTest>> proposals_;
};

}  // namespace tresor::raft
