// sys/storage/raft/* (join, bootstrap/challenge, bootstrap/answer,
// configuration, remove-peer, autopilot/state), sys/ha-status and
// sys/step-down. docs/ha.md describes the join protocol:
//
//   joining node                         active node
//   sys/storage/raft/join ------------>  bootstrap/challenge
//     {leader_api_addr}                   nonce sealed under the root key,
//                                         the stored root-key record (sealed
//                                         under the unseal key), seal config
//   (operator unseals with the cluster's keys: unseal key -> root key ->
//    nonce)
//                         ------------>  bootstrap/answer {nonce}
//                                         constant-time check, then the node
//                                         is added as a raft non-voter
//   raft replicates everything; the node unseals from its own copy.
//
// Only a holder of the unseal keys can answer, so a stranger cannot join.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include <nlohmann/json.hpp>

#include "common/aes_gcm.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/random.h"
#include "common/version.h"
#include "common/secure_memory.h"
#include "core/core.h"
#include "core/join_challenges.h"
#include "core/seal_records.h"
#include "core/sys_handlers.h"
#include "engines/field_reader.h"

namespace tresor::core {
namespace {

using engines::FieldReader;

constexpr std::chrono::seconds kReplicationWait{60};

// How long a join challenge waits for a new leader to finish becoming
// active (loading the mount table and policies takes milliseconds).
constexpr std::chrono::seconds kBecomingActiveWait{5};

std::string ChallengeAad(const std::string& server_id) { return "raft-challenge/" + server_id; }

StatusOr<std::string> RequiredString(FieldReader& fields, std::string_view name) {
  TRESOR_ASSIGN_OR_RETURN(auto value, fields.String(name));
  if (!value.has_value() || value->empty()) {
    return InvalidArgumentError(std::string(name) + " is required");
  }
  return *value;
}

storage::ClusterMembership* RaftOrNull(SysContext ctx) { return ctx.ha.cluster(); }

Status RequireRaft(SysContext ctx) {
  if (RaftOrNull(ctx) == nullptr) {
    return InvalidArgumentError("raft storage is not in use on this node; this endpoint needs "
                                "storage \"raft\"");
  }
  return Status::Ok();
}

// The node_id a raft id stands for (recorded when the node joined).
std::string NodeName(SysContext ctx, std::uint64_t raft_id) {
  storage::ClusterMembership* raft = RaftOrNull(ctx);
  if (raft != nullptr && raft_id == raft->self_id()) return raft->node_id();
  auto stored = ctx.lifecycle.Barrier().Get(kServerNamesPrefix + std::to_string(raft_id));
  if (stored.ok() && stored->has_value()) return **stored;
  return std::to_string(raft_id);
}

StatusOr<Response> HandleChallenge(SysContext ctx, std::shared_ptr<JoinChallenges> challenges,
                                   const Request& req) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  if (ctx.lifecycle.Sealed()) return SealedError();
  // A node that holds the lock but is still becoming active already
  // answers sys/health with 200 (it is not a standby), so a script that
  // joins on that answer may land in the gap: wait for it rather than
  // refuse.
  if (!ctx.ha.IsActive() && ctx.ha.LockHeld()) {
    PollUntil(ctx.clock, kBecomingActiveWait, std::chrono::milliseconds(10),
              [&ctx] { return ctx.ha.IsActive() || !ctx.ha.LockHeld(); });
  }
  if (!ctx.ha.IsActive()) {
    return FailedPreconditionError("this node is not the active node; join through the active one");
  }
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(std::string server_id, RequiredString(fields, "server_id"));
  std::string nonce = RandomBytes(32);
  TRESOR_ASSIGN_OR_RETURN(std::string sealed,
                          ctx.lifecycle.SealWithRootKey(nonce, ChallengeAad(server_id)));
  TRESOR_ASSIGN_OR_RETURN(std::string root_key_record, ctx.lifecycle.StoredRootKeyRecord());
  TRESOR_ASSIGN_OR_RETURN(SealStatus status, ctx.lifecycle.GetSealStatus());
  challenges->Issue(server_id, std::move(nonce));
  return Response::Data({{"challenge", Base64Encode(sealed)},
                         {"root_key_record", Base64Encode(root_key_record)},
                         {"seal_config",
                          {{"secret_shares", status.shares}, {"secret_threshold", status.threshold}}}});
}

StatusOr<Response> HandleAnswer(SysContext ctx, std::shared_ptr<JoinChallenges> challenges,
                                const Request& req) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  if (ctx.lifecycle.Sealed()) return SealedError();
  if (!ctx.ha.IsActive()) return FailedPreconditionError("this node is not the active node");
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(std::string server_id, RequiredString(fields, "server_id"));
  TRESOR_ASSIGN_OR_RETURN(std::string cluster_addr, RequiredString(fields, "cluster_addr"));
  TRESOR_ASSIGN_OR_RETURN(std::string answer_b64, RequiredString(fields, "answer"));
  auto answer = Base64Decode(answer_b64);
  if (!answer.ok()) return InvalidArgumentError("answer: expected base64");
  std::optional<std::string> nonce = challenges->Take(server_id);
  if (!nonce.has_value()) {
    return InvalidArgumentError("no pending join challenge for server_id \"" + server_id +
                                "\"; run sys/storage/raft/join again");
  }
  bool matches = ConstantTimeEquals(*answer, *nonce);
  SecureWipe(*nonce);
  if (!matches) {
    return PermissionDeniedError("the join answer does not match the challenge: the node was "
                                 "unsealed with keys of another cluster");
  }
  storage::ClusterMembership& raft = *RaftOrNull(ctx);
  std::uint64_t id = raft.IdFor(server_id);
  TRESOR_RETURN_IF_ERROR(
      ctx.lifecycle.Barrier().Put(kServerNamesPrefix + std::to_string(id), server_id));
  TRESOR_ASSIGN_OR_RETURN(std::string cluster_key, ctx.ha.ClusterKey());
  TRESOR_ASSIGN_OR_RETURN(std::string cluster_tls, ctx.ha.ClusterTlsRecord());
  // A node removed before, wiped and joining again under the same node_id
  // must not find its old removal notice.
  TRESOR_RETURN_IF_ERROR(
      ctx.lifecycle.Barrier().Delete(kRemovedMarkerPrefix + std::to_string(id)));
  TRESOR_RETURN_IF_ERROR(raft.AddServer(id, cluster_addr));
  spdlog::info("raft: {} joined as a non-voter at {}", server_id, cluster_addr);
  // The node proved it holds the unseal keys: it may have the key raft
  // connections are checked with, and the CA their TLS comes from.
  Response joined = Response::Data({{"joined", true},
                                    {"cluster_key", Base64Encode(cluster_key)},
                                    {"cluster_tls", Base64Encode(cluster_tls)}});
  SecureWipe(cluster_key);
  SecureWipe(cluster_tls);
  return joined;
}

// Runs on the joining node once it holds the cluster's root key: from its
// unseal shares (Shamir), or from its auto seal.
Status CompleteJoin(SysContext ctx, const std::string& leader, const std::string& challenge,
                    const SecureBytes& root_key) {
  storage::ClusterMembership& raft = *RaftOrNull(ctx);
  auto nonce = AesGcmOpenSecure(root_key, challenge, ChallengeAad(raft.node_id()));
  if (!nonce.ok()) return CorruptionError("the join challenge cannot be opened");
  if (!ctx.options.post_json) return InternalError("no client to reach the leader");
  auto answered = ctx.options.post_json(leader, "sys/storage/raft/bootstrap/answer",
                                        {{"server_id", raft.node_id()},
                                         {"cluster_addr", raft.cluster_address()},
                                         {"answer", Base64Encode(AsStringView(*nonce))}});
  if (!answered.ok()) {
    return answered.status().WithContext("the leader at " + leader + " refused the join");
  }
  std::string cluster_key;
  std::string cluster_tls;
  try {
    auto key = Base64Decode(answered->at("data").at("cluster_key").get<std::string>());
    auto tls = Base64Decode(answered->at("data").at("cluster_tls").get<std::string>());
    if (!key.ok() || !tls.ok()) throw std::runtime_error("bad base64");
    cluster_key = std::move(*key);
    cluster_tls = std::move(*tls);
  } catch (const std::exception&) {
    return UnavailableError("the leader at " + leader +
                            " answered the join without a cluster key and CA");
  }
  Status tls_set = raft.SetClusterTls(cluster_tls);
  SecureWipe(cluster_tls);
  TRESOR_RETURN_IF_ERROR(tls_set);
  raft.SetClusterKey(std::move(cluster_key));
  if (raft.IsPristine()) TRESOR_RETURN_IF_ERROR(raft.StartJoining());
  // Unsealing reads the keyring and the rest from this node's own copy.
  bool arrived = PollUntil(ctx.clock, kReplicationWait, std::chrono::milliseconds(20), [&ctx] {
    auto config = ctx.lifecycle.Physical().Get(kSealConfigKey);
    return config.ok() && config->has_value();
  });
  if (arrived) return Status::Ok();
  return UnavailableError("joined, but the cluster's data has not arrived within " +
                          std::to_string(kReplicationWait.count()) + "s; try unsealing again");
}

// Vault's join options Tresor does not implement: refused when set, so a
// caller never believes one took effect.
Status RefuseUnsupportedJoinOptions(FieldReader& fields) {
  TRESOR_ASSIGN_OR_RETURN(auto retry, fields.Bool("retry"));
  if (retry.value_or(false)) {
    return InvalidArgumentError("retry is not supported on sys/storage/raft/join: put a "
                                "retry_join block in the node's config to keep retrying");
  }
  TRESOR_ASSIGN_OR_RETURN(auto non_voter, fields.Bool("non_voter"));
  if (non_voter.value_or(false)) {
    return InvalidArgumentError("non_voter is not supported: every node that joins becomes a "
                                "voter once it has caught up");
  }
  for (const char* name : {"leader_ca_cert", "leader_client_cert", "leader_client_key",
                           "auto_join", "auto_join_scheme", "auto_join_port"}) {
    const nlohmann::json& value = fields.Raw(name);
    const bool empty = value.is_null() || (value.is_string() && value.get<std::string>().empty()) ||
                       (value.is_number() && value.get<double>() == 0);
    if (!empty) {
      return InvalidArgumentError(std::string(name) +
                                  " is not supported: give leader_api_addr; TLS to the leader "
                                  "uses the system's CA store");
    }
  }
  if (auto unknown = fields.UnusedFieldsWarning(); unknown.has_value()) {
    return InvalidArgumentError(*unknown);
  }
  return Status::Ok();
}

StatusOr<Response> HandleJoin(SysContext ctx, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(std::string leader, RequiredString(fields, "leader_api_addr"));
  TRESOR_RETURN_IF_ERROR(RefuseUnsupportedJoinOptions(fields));
  if (leader.rfind("http://", 0) != 0 && leader.rfind("https://", 0) != 0) {
    return InvalidArgumentError("leader_api_addr must be a URL such as https://10.0.0.1:8200");
  }
  storage::ClusterMembership& raft = *RaftOrNull(ctx);
  TRESOR_ASSIGN_OR_RETURN(bool initialized, ctx.lifecycle.Initialized());
  if (initialized || !raft.IsPristine() || ctx.lifecycle.JoinPending()) {
    return InvalidArgumentError("this node is already initialized or part of a raft cluster; "
                                "only a new node can join (wipe its storage path to reuse it)");
  }
  if (!ctx.options.post_json) return InternalError("no client to reach the leader");
  auto answer = ctx.options.post_json(leader, "sys/storage/raft/bootstrap/challenge",
                                      {{"server_id", raft.node_id()},
                                       {"cluster_addr", raft.cluster_address()}});
  if (!answer.ok()) {
    return InvalidArgumentError("could not join the cluster at " + leader + ": " +
                                answer.status().message());
  }
  std::string challenge, root_key_record;
  SealConfig config;
  try {
    const nlohmann::json& data = answer->at("data");
    auto c = Base64Decode(data.at("challenge").get<std::string>());
    auto r = Base64Decode(data.at("root_key_record").get<std::string>());
    if (!c.ok() || !r.ok()) throw std::runtime_error("bad base64");
    challenge = *c;
    root_key_record = *r;
    config.secret_shares = data.at("seal_config").at("secret_shares").get<int>();
    config.secret_threshold = data.at("seal_config").at("secret_threshold").get<int>();
  } catch (const std::exception&) {
    return InvalidArgumentError("could not join the cluster at " + leader +
                                ": its answer is not a Tresor join challenge");
  }
  if (ctx.lifecycle.HasAutoSeal()) {
    // The node's own seal opens the cluster's root key: join now, and the
    // auto-unseal thread unseals once the cluster's data has arrived.
    auto root_key = ctx.lifecycle.UnwrapWithAutoSeal(root_key_record);
    if (!root_key.ok()) {
      return root_key.status().WithContext("could not join the cluster at " + leader +
                                           ": this node's seal does not open its root key");
    }
    TRESOR_RETURN_IF_ERROR(CompleteJoin(ctx, leader, challenge, *root_key));
    spdlog::info("raft: joined {}; unsealing through the seal", leader);
    return Response::Data({{"joined", true}});
  }
  ctx.lifecycle.BeginJoin(config, [ctx, leader, challenge, root_key_record](const SecureBytes& key) {
    auto root_key = AesGcmOpenSecure(key, root_key_record, Lifecycle::kRootKeyPath);
    if (!root_key.ok()) {
      return InvalidArgumentError("the key shares given do not combine into the unseal key of the "
                                  "cluster being joined; unseal progress has been reset");
    }
    return CompleteJoin(ctx, leader, challenge, *root_key);
  });
  spdlog::info("raft: join of {} prepared; unseal this node with the cluster's keys", leader);
  return Response::Data({{"joined", true}});
}

StatusOr<Response> HandleConfiguration(SysContext ctx, const Request&) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  storage::ClusterStatus status = RaftOrNull(ctx)->GetStatus();
  nlohmann::json servers = nlohmann::json::array();
  for (const storage::ClusterServer& server : status.servers) {
    servers.push_back({{"node_id", NodeName(ctx, server.id)},
                       {"address", server.address},
                       {"leader", server.id == status.leader_id},
                       {"voter", server.voter},
                       {"protocol_version", "3"}});
  }
  return Response::Data({{"config", {{"index", status.commit_index}, {"servers", servers}}}});
}

bool IsMember(const storage::ClusterStatus& status, std::uint64_t id) {
  for (const storage::ClusterServer& server : status.servers) {
    if (server.id == id) return true;
  }
  return false;
}

// A barrier entry follows what was written before it; once the peer stores
// the barrier, the same message told it the earlier entries are committed,
// so it applies them. A peer that is down does not answer: after a bounded
// wait it is removed anyway (it finds the marker only if it ever got it).
Status WaitUntilPeerHasCommitted(Clock& clock, storage::ClusterMembership& node, std::uint64_t id) {
  TRESOR_RETURN_IF_ERROR(node.Barrier());
  const std::uint64_t target = node.GetStatus().last_index;
  bool confirmed =
      PollUntil(clock, std::chrono::seconds(2), std::chrono::milliseconds(10), [&node, id, target] {
        for (const storage::ClusterServer& server : node.GetStatus().servers) {
          if (server.id == id && server.match_index >= target) return true;
        }
        return false;
      });
  if (confirmed) return Status::Ok();
  spdlog::warn("raft: peer {} did not confirm its removal notice; removing it anyway", id);
  return Status::Ok();
}

StatusOr<Response> HandleRemovePeer(SysContext ctx, const Request& req) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  TRESOR_ASSIGN_OR_RETURN(FieldReader fields, FieldReader::FromRequest(req));
  TRESOR_ASSIGN_OR_RETURN(std::string server_id, RequiredString(fields, "server_id"));
  storage::ClusterMembership& raft = *RaftOrNull(ctx);
  if (server_id == raft.node_id()) {
    return InvalidArgumentError("cannot remove the active node itself; step it down first and "
                                "remove it from the new active node");
  }
  std::uint64_t id = raft.IdFor(server_id);
  if (!IsMember(raft.GetStatus(), id)) {
    return InvalidArgumentError("no raft peer with server_id \"" + server_id + "\"");
  }
  // Tell the server first, through raft, so that it stops serving: once
  // removed it gets nothing more from the leader.
  std::string marker = kRemovedMarkerPrefix + std::to_string(id);
  TRESOR_RETURN_IF_ERROR(ctx.lifecycle.Barrier().Put(marker, server_id));
  TRESOR_RETURN_IF_ERROR(WaitUntilPeerHasCommitted(ctx.clock, raft, id));
  Status removed = raft.RemoveServer(id);
  if (!removed.ok()) {
    ctx.lifecycle.Barrier().Delete(marker).IgnoreError();  // nothing changed
    if (removed.code() == StatusCode::kNotFound) {
      return InvalidArgumentError("no raft peer with server_id \"" + server_id + "\"");
    }
    return removed;
  }
  spdlog::info("raft: removed {}", server_id);
  return Response::Empty();
}

// Vault autopilot's defaults: a server is healthy when the leader heard
// from it within 10 s and it trails the leader by at most 1000 entries.
constexpr std::int64_t kLastContactThresholdMs = 10000;
constexpr std::uint64_t kMaxTrailingLogs = 1000;

// A Go-style duration, as Vault prints last_contact: "0s", "87ms", "12.5s".
std::string GoDuration(std::int64_t ms) {
  if (ms == 0) return "0s";
  if (ms < 1000) return std::to_string(ms) + "ms";
  std::string seconds = std::to_string(ms / 1000);
  std::int64_t rest = ms % 1000;
  if (rest == 0) return seconds + "s";
  std::string fraction = std::to_string(1000 + rest).substr(1);  // zero-padded
  while (fraction.back() == '0') fraction.pop_back();
  return seconds + "." + fraction + "s";
}

StatusOr<Response> HandleAutopilotState(SysContext ctx, const Request&) {
  TRESOR_RETURN_IF_ERROR(RequireRaft(ctx));
  storage::ClusterStatus status = RaftOrNull(ctx)->GetStatus();
  nlohmann::json servers = nlohmann::json::object();
  nlohmann::json voters = nlohmann::json::array();
  int voter_count = 0;
  int healthy_voters = 0;
  std::string leader_name;
  for (const storage::ClusterServer& server : status.servers) {
    std::string name = NodeName(ctx, server.id);
    bool is_leader = server.id == status.leader_id;
    if (is_leader) leader_name = name;
    bool in_touch = server.last_contact_ms >= 0 && server.last_contact_ms <= kLastContactThresholdMs;
    bool caught_up = server.match_index + kMaxTrailingLogs >= status.last_index;
    bool healthy = in_touch && caught_up;
    if (server.voter) {
      voters.push_back(name);
      ++voter_count;
      if (healthy) ++healthy_voters;
    }
    nlohmann::json entry = {{"id", name},
                            {"name", name},
                            {"address", server.address},
                            {"node_status", in_touch ? "alive" : "failed"},
                            {"status", is_leader ? "leader" : server.voter ? "voter" : "non-voter"},
                            {"node_type", server.voter ? "voter" : "non-voter"},
                            {"last_index", server.match_index},
                            {"last_term", status.term},
                            {"healthy", healthy}};
    if (server.last_contact_ms >= 0) entry["last_contact"] = GoDuration(server.last_contact_ms);
    servers[name] = std::move(entry);
  }
  // As Vault: how many voters may fail with a quorum left among the healthy.
  int quorum = voter_count / 2 + 1;
  int failure_tolerance = std::max(0, healthy_voters - quorum);
  return Response::Data({{"healthy", status.leader_id != 0 && healthy_voters == voter_count},
                         {"failure_tolerance", failure_tolerance},
                         {"leader", leader_name},
                         {"voters", voters},
                         {"servers", servers}});
}

StatusOr<Response> HandleHaStatus(SysContext ctx, const Request&) {
  nlohmann::json nodes = nlohmann::json::array();
  storage::ClusterMembership* raft = RaftOrNull(ctx);
  if (raft != nullptr) {
    storage::ClusterStatus status = raft->GetStatus();
    LeaderInfo leader = ctx.ha.Leader();
    for (const storage::ClusterServer& server : status.servers) {
      bool active = server.id == status.leader_id;
      nodes.push_back({{"hostname", NodeName(ctx, server.id)},
                       {"api_address", active ? leader.leader_address : ""},
                       {"cluster_address", "https://" + server.address},
                       {"active_node", active},
                       {"version", kReportedVersion}});
    }
  }
  return Response::Data({{"nodes", nodes}});
}

StatusOr<Response> HandleStepDown(SysContext ctx, const Request&) {
  TRESOR_RETURN_IF_ERROR(ctx.ha.StepDown());
  return Response::Empty();
}

}  // namespace

void RegisterRaftHandlers(SysRouter& router, SysContext ctx) {
  using std::placeholders::_1;
  auto challenges = std::make_shared<JoinChallenges>(ctx.clock);
  router.Add("sys/storage/raft/join",
             {.unauthenticated = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleJoin, ctx, _1)}}});
  router.Add("sys/storage/raft/bootstrap/challenge",
             {.unauthenticated = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleChallenge, ctx, challenges, _1)}}});
  router.Add("sys/storage/raft/bootstrap/answer",
             {.unauthenticated = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleAnswer, ctx, challenges, _1)}}});
  router.Add("sys/storage/raft/configuration",
             {.sudo = true, .handlers = {{Operation::kRead, std::bind(HandleConfiguration, ctx, _1)}}});
  router.Add("sys/storage/raft/remove-peer",
             {.sudo = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleRemovePeer, ctx, _1)}}});
  router.Add("sys/storage/raft/autopilot/state",
             {.handlers = {{Operation::kRead, std::bind(HandleAutopilotState, ctx, _1)}}});
  router.Add("sys/ha-status",
             {.handlers = {{Operation::kRead, std::bind(HandleHaStatus, ctx, _1)}}});
  router.Add("sys/step-down",
             {.sudo = true,
              .handlers = {{Operation::kUpdate, std::bind(HandleStepDown, ctx, _1)}}});
}

}  // namespace tresor::core
