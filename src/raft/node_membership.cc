// raft::Node's membership changes (node.h): joining, removing, promoting
// non-voters and handing leadership over, apart from node.cc because libraft
// takes them one at a time and they share the retry below.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "raft/node.h"
#include "raft/raft_status.h"

namespace tresor::raft {

namespace {

// A configuration change in flight, answered from libraft's callback.
struct PendingChange {
  struct raft_change req {};
  std::promise<int> done;
};

void OnChanged(struct raft_change* req, int status) {
  auto* change = static_cast<PendingChange*>(req->data);
  change->done.set_value(status);
  delete change;
}

}  // namespace

Status Node::ChangeOnLoop(std::function<int(struct raft_change*, raft_change_cb)> start,
                          std::string_view what) {
  // libraft runs one configuration change at a time and refuses another
  // with RAFT_CANTCHANGE ("a configuration change is already in progress").
  // Two causes, both temporary: a leader elected a moment ago does not know
  // yet that the last change committed (an entry of its own term committed,
  // the barrier, settles it), or an earlier change is still running, such
  // as the promoter making a previous joiner a voter while it catches up.
  // So ask again, after a barrier and a short pause, for a bounded time.
  constexpr auto kChangeWindow = std::chrono::seconds(10);
  const auto deadline = std::chrono::steady_clock::now() + kChangeWindow;
  auto pause = std::chrono::milliseconds(20);
  for (;;) {
    int refused = 0;
    Status changed = ChangeOnLoopOnce(start, what, &refused);
    if (refused != RAFT_CANTCHANGE || std::chrono::steady_clock::now() >= deadline) return changed;
    TRESOR_RETURN_IF_ERROR(Barrier());
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(320));
  }
}

Status Node::ChangeOnLoopOnce(const std::function<int(struct raft_change*, raft_change_cb)>& start,
                              std::string_view what, int* refused) {
  *refused = 0;
  auto* change = new PendingChange;
  change->req.data = change;
  std::future<int> answer = change->done.get_future();
  Status posted = RunOnLoop([this, change, &start, what, refused]() -> Status {
    if (raft_state(&raft_) != RAFT_LEADER) {
      delete change;
      return FailedPreconditionError("not the raft leader");
    }
    int rv = start(&change->req, &OnChanged);
    if (rv != 0) {
      *refused = rv;
      delete change;
      return FromRaft(rv, what, raft_errmsg(&raft_));
    }
    return Status::Ok();
  });
  if (!posted.ok()) return posted;
  int rv = answer.get();
  return rv == 0 ? Status::Ok() : FromRaft(rv, what, nullptr);
}


Status Node::AddServer(std::uint64_t id, const std::string& address) {
  if (id == 0 || address.empty())
    return InvalidArgumentError("raft: a server needs an id and an address");
  bool staging = false;  // set on the raft thread, read after it answered
  Status added = ChangeOnLoop(
      [this, id, address, &staging](struct raft_change* req, raft_change_cb cb) {
        if ((staging = direct_staging_)) return RAFT_BUSY;
        return raft_add(&raft_, req, id, address.c_str(), cb);
      },
      "raft: adding a server");
  if (staging) {
    return FailedPreconditionError(
        "raft: a snapshot restore is in progress on the leader; join again once it has "
        "finished");
  }
  TRESOR_RETURN_IF_ERROR(added);
  // A spare does not replicate; a standby does, and the promoter makes it
  // a voter once it has caught up.
  return ChangeOnLoop(
      [this, id](struct raft_change* req, raft_change_cb cb) {
        return raft_assign(&raft_, req, id, RAFT_STANDBY, cb);
      },
      "raft: making the server a non-voter");
}

Status Node::RemoveServer(std::uint64_t id) {
  NodeStatus now = GetStatus();
  bool known = false;
  for (const ServerInfo& server : now.configuration) known = known || server.id == id;
  if (!known) return NotFoundError("no raft peer with that id");
  return ChangeOnLoop([this, id](struct raft_change* req,
                                 raft_change_cb cb) { return raft_remove(&raft_, req, id, cb); },
                      "raft: removing a server");
}

void Node::PromoteNonVoters() {
  TryDeferredStart();
  if (promoting_ || raft_state(&raft_) != RAFT_LEADER) return;
  for (unsigned i = 0; i < raft_.configuration.n; ++i) {
    const struct raft_server& server = raft_.configuration.servers[i];
    if (server.role != RAFT_STANDBY) continue;
    auto* req = new raft_change();
    req->data = this;
    // libraft replicates to the server until it has caught up, and only
    // then commits it as a voter; a server that cannot keep up stays a
    // non-voter and is tried again on the next tick.
    int rv = raft_assign(&raft_, req, server.id, RAFT_VOTER, [](struct raft_change* r, int status) {
      Node* self = static_cast<Node*>(r->data);
      self->promoting_ = false;
      if (status != 0) spdlog::info("raft: promotion to voter deferred: {}", raft_strerror(status));
      delete r;
    });
    if (rv != 0) {
      delete req;
      return;
    }
    promoting_ = true;
    return;
  }
}

Status Node::TransferLeadership(std::uint64_t id) {
  struct PendingTransfer {
    struct raft_transfer req {};
    std::promise<void> done;
  };
  auto* transfer = new PendingTransfer;
  transfer->req.data = transfer;
  std::future<void> finished = transfer->done.get_future();
  Status posted = RunOnLoop([this, transfer, id]() -> Status {
    if (raft_state(&raft_) != RAFT_LEADER) {
      delete transfer;
      return FailedPreconditionError("not the raft leader");
    }
    // The new leader is elected with disrupt_leader, which voters grant
    // despite hearing from us: our lease ends now.
    lease_until_ns_ = 0;
    int rv = raft_transfer(&raft_, &transfer->req, id, [](struct raft_transfer* req) {
      auto* self = static_cast<PendingTransfer*>(req->data);
      self->done.set_value();
      delete self;
    });
    if (rv != 0) {
      delete transfer;
      return FromRaft(rv, "raft: leadership transfer", raft_errmsg(&raft_));
    }
    return Status::Ok();
  });
  if (!posted.ok()) return posted;
  finished.get();
  if (GetStatus().role == Role::kLeader && raft_state(&raft_) == RAFT_LEADER) {
    return UnavailableError("raft: leadership transfer did not complete; this node still leads");
  }
  return Status::Ok();
}

}  // namespace tresor::raft
