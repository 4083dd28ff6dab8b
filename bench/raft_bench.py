#!/usr/bin/env python3
"""Raft benchmark of Tresor: write latency, throughput and failover of real nodes.

Starts real `tresor server` processes on loopback, each with its own data
directory under --workdir (on the disk being measured, not a tmpfs), and
measures:

  * KV v2 writes (tresor-loadgen kv2-write, 100-byte values) at 1, 16 and 64
    keep-alive connections on a single raft node;
  * the same on a 3-node cluster, through the active node and through a
    standby (which forwards every request to the active);
  * failover: a writer sends sequential writes through the standbys, the
    active is killed with SIGKILL, and the time from the kill to the first
    acknowledged write sent after it is recorded; the killed node is then
    restarted, unsealed, and waited for until it is a healthy standby again
    (polled, never slept for); 10 trials (--quick: 3), median and max;
  * the disk's own fsync latency in the same directory (fsync_probe.py);
  * the same cluster scenarios on a 3-member etcd 3.4 cluster (peers.py,
    fsync on, etcd's defaults), in the same run: kv2-write through the
    leader and through a follower (tresor-loadgen --protocol etcd, the v3
    JSON gateway) at the same connection counts, and the same failover
    trials (sequential puts through the followers, kill -9 of the leader,
    the killed member restarted and waited for until the cluster is
    healthy and it has caught up); the ratios Tresor/etcd.

Writes bench/results/raft.json and raft.md, and regenerates
docs/performance.md through render_performance.py (from every results
file). Run through `make bench` / `make bench-quick`.
Standard library only; the servers are driven through
tests/integration/harness.py (TresorServer, wait_for).
"""
import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "bench"))
sys.path.insert(0, os.path.join(REPO, "tests", "integration"))

import bench_results  # noqa: E402
import fsync_probe  # noqa: E402
import peers  # noqa: E402

# harness reads TRESOR_BINARY when imported: main() sets it first.
TresorServer = None
wait_for = None

CONNECTIONS = (1, 16, 64)
RETRY_PAUSE_S = 0.01
# Polls of cluster state give up after this long: a node that has not
# rejoined in two minutes is a failure worth reporting, not a data point.
STATE_TIMEOUT_S = 120
# A put that a follower forwards to a leader that just died is never
# answered: etcd 3.4 drops the proposal and the request waits for etcd's own
# request timeout (7 s with the default election timeout). The failover
# writer gives up on a put after this long, as a client with a deadline
# would, and sends the next one, so etcd's failover figure can include up to
# this much of waiting on a lost put (Tresor's standbys get a refused
# connection at once instead).
ETCD_PUT_TIMEOUT_S = 0.1
# Tresor scenario -> the etcd scenario measured the same way.
ETCD_SCENARIOS = {"3 nodes, via active": "3 nodes, via leader",
                  "3 nodes, via standby": "3 nodes, via follower"}


def load_harness(binary):
    global TresorServer, wait_for
    os.environ["TRESOR_BINARY"] = binary
    import harness
    harness.BINARY = binary  # in case harness was imported before (peers.py)
    TresorServer = harness.TresorServer
    wait_for = harness.wait_for


def log(message):
    print(f"[raft_bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- cluster helpers ---------------------------------------------------------

def is_active(node):
    if node.proc is None:
        return False
    try:
        r = node.api("GET", "sys/leader", timeout=5)
    except OSError:
        return False
    return r.status == 200 and r.json.get("is_self") is True


def active_of(nodes):
    return next((n for n in nodes if is_active(n)), None)


def ensure_kv2_at_secret(node, token):
    """Mounts KV v2 at secret/ unless it is there already (a non-dev server
    may start without it)."""
    r = node.api("GET", "sys/mounts/secret", token=token)
    if r.status == 200:
        options = (r.json.get("data") or r.json).get("options") or {}
        if str(options.get("version")) != "2":
            raise RuntimeError(f"secret/ is mounted but not KV v2: {r}")
        return
    r = node.api("POST", "sys/mounts/secret", {"type": "kv", "options": {"version": "2"}},
                 token=token)
    if r.status not in (200, 204):
        raise RuntimeError(f"mounting secret/ failed: {r}")


def voter_count(node, token):
    r = node.api("GET", "sys/storage/raft/configuration", token=token, timeout=5)
    if r.status != 200:
        return 0
    return sum(1 for s in r.json["data"]["config"]["servers"] if s["voter"])


def autopilot_healthy(active, token, voters):
    """True when the active's autopilot state says the cluster is healthy
    with `voters` voters."""
    try:
        r = active.api("GET", "sys/storage/raft/autopilot/state", token=token, timeout=5)
    except OSError:
        return False
    if r.status != 200:
        return False
    data = r.json.get("data") or {}
    return data.get("healthy") is not False and len(data.get("voters") or []) == voters


def is_healthy_standby(node, active, token, voters):
    """node answers sys/health as a standby (429), names `active` as the
    leader, has applied every entry the active had committed just before,
    and the active reports a healthy cluster of `voters` voters."""
    try:
        committed = active.api("GET", "sys/leader", timeout=5).json["raft_committed_index"]
        if node.api("GET", "sys/health", timeout=5).status != 429:
            return False
        leader = node.api("GET", "sys/leader", timeout=5).json
    except (OSError, KeyError, TypeError, ValueError):
        return False
    return (leader.get("leader_address") == active.address and
            leader.get("raft_applied_index", -1) >= committed and
            autopilot_healthy(active, token, voters))


def start_single(workdir):
    os.makedirs(workdir, exist_ok=True)
    node = TresorServer(storage="raft", workdir=workdir)
    try:
        node.start()
        init = node.init(1, 1)
        node.unseal(init["keys"])
        wait_for(lambda: is_active(node), timeout=STATE_TIMEOUT_S,
                 what="the node to become active")
        ensure_kv2_at_secret(node, init["root_token"])
    except BaseException:
        kill_all([node])
        raise
    return node, init["root_token"]


def start_cluster(workdir, size=3):
    """Starts `size` nodes, initialises the first, joins and unseals the
    others; returns (nodes, unseal keys, root token) once every node is a
    voter and autopilot reports the cluster healthy."""
    nodes = []
    for i in range(size):
        path = os.path.join(workdir, f"node{i + 1}")
        os.makedirs(path, exist_ok=True)
        nodes.append(TresorServer(storage="raft", workdir=path))
    try:
        return form_cluster(nodes)
    except BaseException:
        kill_all(nodes)
        raise


def form_cluster(nodes):
    """start_cluster's work on nodes that are created but not started."""
    size = len(nodes)
    for n in nodes:
        n.start()
    first = nodes[0]
    init = first.init(1, 1)
    keys, root = init["keys"], init["root_token"]
    first.unseal(keys)
    wait_for(lambda: is_active(first), timeout=STATE_TIMEOUT_S, what="node1 to become active")
    ensure_kv2_at_secret(first, root)
    for n in nodes[1:]:
        r = n.api("POST", "sys/storage/raft/join", {"leader_api_addr": first.address})
        if r.status != 200:
            raise RuntimeError(f"join failed: {r}")
        n.unseal(keys)
    wait_for(lambda: voter_count(first, root) == size, timeout=STATE_TIMEOUT_S,
             what="every node to be a voter")
    wait_for(lambda: all(is_healthy_standby(n, first, root, size) for n in nodes[1:]),
             timeout=STATE_TIMEOUT_S, what="every standby to be healthy")
    return nodes, keys, root


def kill_all(nodes):
    for n in nodes:
        if n.proc is not None:
            n.kill()


# --- measurements ------------------------------------------------------------

def run_loadgen(loadgen, node, token, connections, duration, prefix, protocol="vault"):
    """tresor-loadgen kv2-write against node (a TresorServer, or an Etcd
    member with protocol "etcd"); its JSON result."""
    if protocol == "etcd":
        cmd = [loadgen, "--addr", node.client_url, "--protocol", "etcd"]
    else:
        cmd = [loadgen, "--addr", node.address, "--token", token]
    cmd += ["--connections", str(connections), "--duration", str(duration),
            "--workload", "kv2-write", "--value-size", "100", "--key-prefix", prefix, "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 180)
    if out.returncode != 0:
        raise RuntimeError(f"tresor-loadgen failed ({out.returncode}): {out.stderr.strip()}")
    return json.loads(out.stdout)


def write_series(loadgen, node, token, scenario, duration, results, protocol="vault"):
    for c in CONNECTIONS:
        prefix = f"{scenario.replace(' ', '-').replace(',', '')}-{c}"
        r = run_loadgen(loadgen, node, token, c, duration, prefix, protocol)
        r["scenario"] = scenario
        results.append(r)
        system = "etcd " if protocol == "etcd" else ""
        log(f"{system + scenario:<33} {c:>3} conn  {r['throughput_rps']:8.1f} req/s  "
            f"p50 {r['latency_ms']['p50']:7.2f} ms  p99 {r['latency_ms']['p99']:7.2f} ms  "
            f"errors {r['errors']}")


class SequentialWriter(threading.Thread):
    """Writes one thing after another through `targets` in turn (the next
    target after each attempt) and records when each acknowledged write was
    sent and acknowledged. Subclasses say how to write (write_once) and what
    to release at the end (close)."""

    def __init__(self, targets):
        super().__init__(daemon=True)
        self.targets = targets
        self.acks = []  # (sent_at, acked_at), monotonic seconds
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def write_once(self, target, i):
        """Sends write number i through target; True when acknowledged."""
        raise NotImplementedError

    def close(self):
        pass

    def run(self):
        i = 0
        try:
            while not self.stopping.is_set():
                target = self.targets[i % len(self.targets)]
                sent_at = time.monotonic()
                if self.write_once(target, i):
                    with self.lock:
                        self.acks.append((sent_at, time.monotonic()))
                else:
                    # While nothing leads, every attempt fails at once; a
                    # 10 ms pause keeps this loop from taking a core from
                    # the nodes electing a leader (and bounds the
                    # resolution).
                    self.stopping.wait(RETRY_PAUSE_S)
                i += 1
        finally:
            self.close()

    def ack_count(self):
        with self.lock:
            return len(self.acks)

    def first_ack_sent_after(self, t):
        with self.lock:
            return next((acked for sent, acked in self.acks if sent >= t), None)

    def stop(self):
        self.stopping.set()
        self.join()


class TresorWriter(SequentialWriter):
    """KV v2 writes of secret/data/<prefix>/<i> with `token`."""

    def __init__(self, targets, token, prefix):
        super().__init__(targets)
        self.token = token
        self.prefix = prefix

    def write_once(self, target, i):
        try:
            r = target.api("POST", f"secret/data/{self.prefix}/{i}", {"data": {"i": i}},
                           token=self.token, timeout=10)
            return r.status == 200
        except (OSError, urllib.error.URLError):
            return False


def failover_trials(nodes, keys, root, trials):
    results = []
    for trial in range(1, trials + 1):
        active = wait_for(lambda: active_of(nodes), timeout=STATE_TIMEOUT_S,
                          what="an active node")
        standbys = [n for n in nodes if n is not active]
        wait_for(lambda: all(is_healthy_standby(n, active, root, len(nodes)) for n in standbys),
                 timeout=STATE_TIMEOUT_S, what="a healthy cluster before the kill")
        writer = TresorWriter(standbys, root, f"failover-{trial}")
        writer.start()
        wait_for(lambda: writer.ack_count() >= 10, timeout=STATE_TIMEOUT_S,
                 what="writes through the standbys")
        killed_at = time.monotonic()
        active.kill()
        first_ack = wait_for(lambda: writer.first_ack_sent_after(killed_at),
                             timeout=STATE_TIMEOUT_S, interval=0.005,
                             what="the first write after the kill")
        writer.stop()
        failover_s = first_ack - killed_at
        new_active = wait_for(lambda: active_of(standbys), timeout=STATE_TIMEOUT_S,
                              what="the new active node")
        restarted_at = time.monotonic()
        active.start()
        active.unseal(keys)
        wait_for(lambda: is_healthy_standby(active, new_active, root, len(nodes)),
                 timeout=STATE_TIMEOUT_S, what="the killed node to be a healthy standby")
        rejoin_s = time.monotonic() - restarted_at
        results.append({"trial": trial, "failover_s": failover_s, "rejoin_s": rejoin_s,
                        "writes_acknowledged": writer.ack_count()})
        log(f"failover trial {trial}/{trials}: first acknowledged write {failover_s:.3f} s "
            f"after kill -9; restarted node healthy standby after {rejoin_s:.3f} s")
    return results


# --- etcd --------------------------------------------------------------------

def loadgen_speaks_etcd(loadgen):
    """Whether this tresor-loadgen has --protocol (etcd): None if so, else
    why not."""
    out = subprocess.run([loadgen, "--help"], capture_output=True, text=True)
    if "--protocol" in out.stdout + out.stderr:
        return None
    return f"{os.path.basename(loadgen)} has no --protocol option (an older build)"


class EtcdSequentialWriter(SequentialWriter):
    """Puts of <prefix>/<i> through the v3 JSON gateway of each target (one
    keep-alive connection each, reopened after a failure), giving up on a
    put after ETCD_PUT_TIMEOUT_S and counting those in `timeouts`."""

    VALUE = b"x" * 16

    def __init__(self, targets, prefix):
        super().__init__(targets)
        self.prefix = prefix
        self.timeouts = 0
        self.connections = {}

    def connection(self, member):
        conn = self.connections.get(member.name)
        if conn is None:
            conn = http.client.HTTPConnection(member.client_url[len("http://"):],
                                              timeout=ETCD_PUT_TIMEOUT_S)
            self.connections[member.name] = conn
        return conn

    def write_once(self, target, i):
        try:
            return target.put(f"{self.prefix}/{i}".encode(), self.VALUE,
                              conn=self.connection(target))
        except (OSError, http.client.HTTPException) as e:
            if isinstance(e, TimeoutError) or "timed out" in str(e):
                self.timeouts += 1
            conn = self.connections.pop(target.name, None)
            if conn is not None:
                conn.close()
            return False

    def close(self):
        for conn in self.connections.values():
            conn.close()


def etcd_caught_up(cluster, member, index):
    """The cluster is healthy and member has applied at least index."""
    if not cluster.healthy():
        return False
    s = member.status()
    return s is not None and s["raft_applied_index"] >= index


def etcd_failover_trials(cluster, trials):
    """failover_trials on an etcd cluster: the leader is killed with
    SIGKILL while a sequential writer puts through the followers; the time
    from the kill to the first acknowledged put sent after it; then the
    killed member is restarted and waited for until the cluster is healthy
    and it has applied everything the leader had before its restart."""
    results = []
    for trial in range(1, trials + 1):
        wait_for(cluster.healthy, timeout=STATE_TIMEOUT_S,
                 what="a healthy etcd cluster before the kill")
        leader = wait_for(cluster.leader, timeout=STATE_TIMEOUT_S, what="an etcd leader")
        followers = [m for m in cluster.members if m is not leader]
        writer = EtcdSequentialWriter(followers, f"failover-{trial}")
        writer.start()
        try:
            wait_for(lambda: writer.ack_count() >= 10, timeout=STATE_TIMEOUT_S,
                     what="puts through the etcd followers")
            killed_at = time.monotonic()
            cluster.kill(leader)
            first_ack = wait_for(lambda: writer.first_ack_sent_after(killed_at),
                                 timeout=STATE_TIMEOUT_S, interval=0.005,
                                 what="the first etcd put after the kill")
        finally:
            writer.stop()
        failover_s = first_ack - killed_at
        new_leader = wait_for(cluster.leader, timeout=STATE_TIMEOUT_S,
                              what="the new etcd leader")
        index = new_leader.status()["raft_index"]
        restarted_at = time.monotonic()
        cluster.restart(leader)
        wait_for(lambda: etcd_caught_up(cluster, leader, index), timeout=STATE_TIMEOUT_S,
                 what="the killed etcd member to rejoin")
        rejoin_s = time.monotonic() - restarted_at
        results.append({"trial": trial, "failover_s": failover_s, "rejoin_s": rejoin_s,
                        "writes_acknowledged": writer.ack_count(),
                        "puts_timed_out": writer.timeouts})
        log(f"etcd failover trial {trial}/{trials}: first acknowledged put {failover_s:.3f} s "
            f"after kill -9 ({writer.timeouts} puts timed out); restarted member caught up "
            f"in a healthy cluster after {rejoin_s:.3f} s")
    return results


def failover_summary(trial_results):
    failovers = [t["failover_s"] for t in trial_results]
    rejoins = [t["rejoin_s"] for t in trial_results]
    return {"trials": trial_results,
            "median_s": statistics.median(failovers), "max_s": max(failovers),
            "rejoin_median_s": statistics.median(rejoins), "rejoin_max_s": max(rejoins)}


def etcd_phase(loadgen, workdir, duration, trials):
    """The etcd 3-member cluster: write series (unless this tresor-loadgen
    cannot speak etcd) and failover trials."""
    out = {"version": peers.etcd_version(), "members": 3, "writes": []}
    skipped = loadgen_speaks_etcd(loadgen)
    cluster = peers.EtcdCluster(os.path.join(workdir, "etcd-cluster"), size=3).start()
    try:
        if skipped:
            out["writes_skipped"] = skipped
            log(f"etcd writes not measured: {skipped}")
        else:
            leader = wait_for(cluster.leader, timeout=STATE_TIMEOUT_S, what="an etcd leader")
            follower = next(m for m in cluster.members if m is not leader)
            write_series(loadgen, leader, None, "3 nodes, via leader", duration, out["writes"],
                         protocol="etcd")
            write_series(loadgen, follower, None, "3 nodes, via follower", duration,
                         out["writes"], protocol="etcd")
        out["failover"] = failover_summary(etcd_failover_trials(cluster, trials))
    finally:
        cluster.stop()
    return out


def etcd_ratios(results):
    """Tresor/etcd of each write row measured on both, and of failover."""
    etcd = results.get("etcd")
    if not etcd:
        return {}
    writes = {}
    for r in results["writes"]:
        peer = ETCD_SCENARIOS.get(r["scenario"])
        e = next((w for w in etcd["writes"] if w["scenario"] == peer and
                  w["connections"] == r["connections"]), None)
        if e is not None and e["throughput_rps"]:
            writes[f"{r['scenario']}, {r['connections']} conn"] = \
                r["throughput_rps"] / e["throughput_rps"]
    fo, efo = results["failover"], etcd["failover"]
    return {"writes_rps_tresor_over_etcd": writes,
            "failover_median_tresor_over_etcd": fo["median_s"] / efo["median_s"],
            "failover_max_tresor_over_etcd": fo["max_s"] / efo["max_s"]}


# --- reports -----------------------------------------------------------------

def fmt(value, digits=2):
    return f"{value:.{digits}f}"


def markdown_tables(results):
    lines = []
    f = results["fsync"]
    lines += ["### Disk fsync (4 KiB append + fdatasync, 200 samples, in the data directory)",
              "",
              "| p50 ms | p99 ms | max ms |",
              "|---:|---:|---:|",
              f"| {fmt(f['p50_ms'], 3)} | {fmt(f['p99_ms'], 3)} | {fmt(f['max_ms'], 3)} |",
              ""]
    lines += ["### KV v2 writes (tresor-loadgen kv2-write, 100-byte values, "
              f"{results['duration_s']:g} s per row)",
              "",
              "| scenario | connections | req/s | p50 ms | p99 ms | p99.9 ms | max ms | errors |",
              "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results["writes"]:
        lat = r["latency_ms"]
        lines.append(f"| {r['scenario']} | {r['connections']} | {fmt(r['throughput_rps'], 1)} | "
                     f"{fmt(lat['p50'])} | {fmt(lat['p99'])} | {fmt(lat['p99_9'])} | "
                     f"{fmt(lat['max'])} | {r['errors']} |")
    lines.append("")
    errors = [r for r in results["writes"] if r["errors"]]
    for r in errors:
        lines.append(f"First error of {r['scenario']}, {r['connections']} connections: "
                     f"`{r['first_error'][:200]}`")
    if errors:
        lines.append("")
    ratio = results["ratios"]
    lines += ["### Write latency against the disk",
              "",
              "| measure | value | target |",
              "|---|---:|---|",
              f"| p99 of 1 writer on a single node / disk fsync p99 | "
              f"{fmt(ratio['single_p99_1conn_over_fsync_p99'])}x | within 3x |",
              f"| p50 of 1 writer on a single node / disk fsync p50 | "
              f"{fmt(ratio['single_p50_1conn_over_fsync_p50'])}x | |",
              ""]
    fo = results["failover"]
    lines += [f"### Failover (3 nodes, kill -9 of the active, {len(fo['trials'])} trials)",
              "",
              "Failover: from the kill to the first acknowledged write sent after it, by a "
              "sequential writer through the standbys. Rejoin: from restarting the killed node "
              "(it comes back sealed and is unsealed) to it being a healthy standby again.",
              "",
              "| | median s | max s | target |",
              "|---|---:|---:|---|",
              f"| failover | {fmt(fo['median_s'], 3)} | {fmt(fo['max_s'], 3)} | "
              "median < 1.5 s, max < 3 s |",
              f"| rejoin | {fmt(fo['rejoin_median_s'], 3)} | {fmt(fo['rejoin_max_s'], 3)} | |",
              "",
              "| trial | failover s | rejoin s |",
              "|---:|---:|---:|"]
    for t in fo["trials"]:
        lines.append(f"| {t['trial']} | {fmt(t['failover_s'], 3)} | {fmt(t['rejoin_s'], 3)} |")
    lines.append("")
    if results.get("etcd"):
        lines += etcd_tables(results)
    return "\n".join(lines)


def etcd_tables(results):
    """The Tresor-against-etcd tables (a results file without "etcd", from
    before the etcd cluster was measured, has none)."""
    e = results["etcd"]
    lines = [f"### Against etcd {e['version']} (3 members, same run)",
             "",
             "etcd: 3 members on loopback (static bootstrap, each in its own directory on "
             "the same disk, WAL fsynced on every commit, etcd's defaults: 100 ms heartbeat, "
             "1 s election timeout). Writes: tresor-loadgen --protocol etcd, `POST "
             "/v3/kv/put` of a unique key with a 100-byte value through the v3 JSON "
             "gateway, through the leader or through a follower (which forwards to the "
             "leader, as a Tresor standby forwards to the active). Tresor/etcd above 1 "
             "means Tresor is faster.",
             ""]
    if e.get("writes_skipped"):
        lines += [f"Writes not measured in this run: {e['writes_skipped']}.", ""]
    else:
        lines += ["| workload | connections | Tresor req/s | etcd req/s | Tresor/etcd | "
                  "Tresor p50 ms | Tresor p99 ms | etcd p50 ms | etcd p99 ms | "
                  "errors (Tresor / etcd) |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for r in results["writes"]:
            peer = ETCD_SCENARIOS.get(r["scenario"])
            w = next((x for x in e["writes"] if x["scenario"] == peer and
                      x["connections"] == r["connections"]), None)
            if w is None:
                continue
            tl, el = r["latency_ms"], w["latency_ms"]
            ratio = r["throughput_rps"] / w["throughput_rps"] if w["throughput_rps"] else None
            lines.append(f"| kv2-write, {r['scenario'].replace('3 nodes, ', '')} / "
                         f"{peer.replace('3 nodes, ', '')} | {r['connections']} | "
                         f"{fmt(r['throughput_rps'], 1)} | {fmt(w['throughput_rps'], 1)} | "
                         f"{'n/a' if ratio is None else fmt(ratio) + 'x'} | "
                         f"{fmt(tl['p50'])} | {fmt(tl['p99'])} | {fmt(el['p50'])} | "
                         f"{fmt(el['p99'])} | {r['errors']} / {w['errors']} |")
        lines.append("")
        errors = [w for w in e["writes"] if w["errors"]]
        for w in errors:
            lines.append(f"First error of etcd {w['scenario']}, {w['connections']} "
                         f"connections: `{(w.get('first_error') or '')[:200]}`")
        if errors:
            lines.append("")
    fo, efo = results["failover"], e["failover"]
    lines += [f"Failover, {len(efo['trials'])} trials each: the same experiment on both "
              "(sequential writes through the other nodes, kill -9 of the leader, time to "
              "the first acknowledged write sent after the kill; then the killed node is "
              "restarted, and rejoin is the time until the cluster is healthy and it has "
              "caught up; Tresor's node comes back sealed, so its rejoin includes the "
              "unseal). A put that an etcd follower forwards to the dead leader is never "
              "answered (etcd drops it and waits for its 7 s request timeout), so the etcd "
              f"writer gives up on a put after {ETCD_PUT_TIMEOUT_S:g} s and sends the next: "
              f"etcd's figure may include up to {ETCD_PUT_TIMEOUT_S:g} s of that wait. "
              "Tresor/etcd below 1 means Tresor recovers faster.",
              "",
              "| | Tresor median s | Tresor max s | etcd median s | etcd max s | "
              "Tresor/etcd (median) | Tresor/etcd (max) |",
              "|---|---:|---:|---:|---:|---:|---:|",
              f"| failover | {fmt(fo['median_s'], 3)} | {fmt(fo['max_s'], 3)} | "
              f"{fmt(efo['median_s'], 3)} | {fmt(efo['max_s'], 3)} | "
              f"{fmt(fo['median_s'] / efo['median_s'])}x | {fmt(fo['max_s'] / efo['max_s'])}x |",
              f"| rejoin | {fmt(fo['rejoin_median_s'], 3)} | {fmt(fo['rejoin_max_s'], 3)} | "
              f"{fmt(efo['rejoin_median_s'], 3)} | {fmt(efo['rejoin_max_s'], 3)} | "
              f"{fmt(fo['rejoin_median_s'] / efo['rejoin_median_s'])}x | "
              f"{fmt(fo['rejoin_max_s'] / efo['rejoin_max_s'])}x |",
              "",
              "| etcd trial | failover s | puts timed out | rejoin s |",
              "|---:|---:|---:|---:|"]
    for t in efo["trials"]:
        lines.append(f"| {t['trial']} | {fmt(t['failover_s'], 3)} | {t['puts_timed_out']} | "
                     f"{fmt(t['rejoin_s'], 3)} |")
    lines.append("")
    return lines


# --- main --------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"),
                        help="where tresor and tresor-loadgen were built")
    parser.add_argument("--workdir", help="servers' data directories (default: "
                        "<build-dir>/bench-work, wiped before and after)")
    parser.add_argument("--duration", type=float, help="seconds per load run (10; quick 1.5)")
    parser.add_argument("--trials", type=int, help="failover trials (10; quick 3)")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip-etcd", action="store_true",
                        help="leave out the etcd cluster (its results are then absent)")
    parser.add_argument("--results-dir", default=os.path.join(REPO, "bench", "results"))
    parser.add_argument("--doc", default=os.path.join(REPO, "docs", "performance.md"))
    parser.add_argument("--command", help="the command to record as having produced the run")
    args = parser.parse_args()

    duration = args.duration or (1.5 if args.quick else 10.0)
    trials = args.trials or (3 if args.quick else 10)
    build_dir = os.path.abspath(args.build_dir)
    binary = os.path.join(build_dir, "tresor")
    loadgen = os.path.join(build_dir, "tresor-loadgen")
    for path in (binary, loadgen):
        if not os.access(path, os.X_OK):
            sys.exit(f"raft_bench: {path} is missing: build it first (make bench does)")
    if not args.skip_etcd and shutil.which("etcd") is None:
        sys.exit("raft_bench: etcd is missing: run scripts/install-bench-deps")
    load_harness(binary)
    workdir = os.path.abspath(args.workdir or os.path.join(build_dir, "bench-work"))
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    results = bench_results.new_results(bench_results.command_line(args.command), args.quick,
                                        workdir, build_dir, duration_s=duration, writes=[])
    started = time.monotonic()
    log(f"fsync probe in {workdir}")
    results["fsync"] = fsync_probe.probe(workdir)
    log(f"disk fsync p50 {results['fsync']['p50_ms']:.3f} ms, "
        f"p99 {results['fsync']['p99_ms']:.3f} ms")

    log("single node")
    node, root = start_single(os.path.join(workdir, "single"))
    try:
        write_series(loadgen, node, root, "single node", duration, results["writes"])
    finally:
        kill_all([node])

    log("3-node cluster")
    nodes, keys, root = start_cluster(os.path.join(workdir, "cluster"))
    try:
        active = active_of(nodes)
        standby = next(n for n in nodes if n is not active)
        write_series(loadgen, active, root, "3 nodes, via active", duration, results["writes"])
        write_series(loadgen, standby, root, "3 nodes, via standby", duration,
                     results["writes"])
        trial_results = failover_trials(nodes, keys, root, trials)
    finally:
        kill_all(nodes)

    results["failover"] = failover_summary(trial_results)
    if not args.skip_etcd:
        log("etcd 3-member cluster")
        results["etcd"] = etcd_phase(loadgen, workdir, duration, trials)
    single_1 = next(r for r in results["writes"]
                    if r["scenario"] == "single node" and r["connections"] == 1)
    results["ratios"] = {
        "single_p99_1conn_over_fsync_p99":
            single_1["latency_ms"]["p99"] / results["fsync"]["p99_ms"],
        "single_p50_1conn_over_fsync_p50":
            single_1["latency_ms"]["p50"] / results["fsync"]["p50_ms"],
        **etcd_ratios(results),
    }
    bench_results.finish_results(results, started)
    bench_results.save_results(args.results_dir, "raft", results, "Raft benchmark",
                               markdown_tables(results), args.doc)
    shutil.rmtree(workdir, ignore_errors=True)
    log(f"done in {results['wall_time_s']:.0f} s: {args.results_dir}/raft.json, raft.md, "
        f"{os.path.relpath(args.doc, REPO)}")


if __name__ == "__main__":
    main()
