#!/usr/bin/env python3
"""The peers the benchmark suite measures Tresor against, each a real server
started by the benchmark on loopback free ports in a directory the caller
gives, waited for by polling (harness.wait_for, never a fixed sleep), and
stopped by stop() (or by leaving a `with` block):

  * Etcd: one etcd 3.4 member; EtcdCluster: 3 members (static bootstrap),
    with leader(), kill(), restart() and healthy() for failover trials;
  * Postgres: PostgreSQL 15 with a `kv` table, and pgbench() to load it;
  * Nginx: nginx serving a static 200-byte JSON body, the HTTP ceiling of
    the machine (what a do-nothing server answers at).

Every peer keeps durability on the way its own documentation recommends
for production (etcd: fsync of its WAL, the default; PostgreSQL: fsync,
synchronous_commit and full_page_writes on), so that a ratio against
Tresor (which fsyncs every write) compares like with like.

`python3 bench/peers.py --selftest` starts each peer, writes and reads once
on each, and stops them. Standard library only.
"""
import argparse
import base64
import glob
import http.client
import json
import os
import random
import re
import shutil
import signal
import string
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

ETCD_QUOTA_BYTES = 8 * 1024 ** 3
PG_BIN = "/usr/lib/postgresql/15/bin"
START_TIMEOUT_S = 60
NGINX_BODY_BYTES = 200
PG_HOT_KEYS = 1000


def _harness():
    """tests/integration/harness.py, imported on first use (it reads
    TRESOR_BINARY when imported: raft_bench.load_harness sets it first)."""
    path = os.path.join(REPO, "tests", "integration")
    if path not in sys.path:
        sys.path.insert(0, path)
    import harness
    return harness


def free_port():
    return _harness().free_port()


def wait_for(condition, timeout=START_TIMEOUT_S, interval=0.02, what="condition"):
    return _harness().wait_for(condition, timeout=timeout, interval=interval, what=what)


def b64(data):
    return base64.b64encode(data).decode()


def percentile(ordered, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not ordered:
        return 0.0
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


class Peer:
    """What every peer shares: used as a context manager, entering starts it
    (unless it already runs) and leaving stops it. Peers run as one child
    process `self.proc` logging to `self.log` unless they say otherwise."""

    def is_running(self):
        return self.proc is not None

    def end_process(self, sig):
        """Sends sig to the process if it still runs, reaps it and closes
        its log."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
            self.proc = None
            self.log.close()

    def __enter__(self):
        if not self.is_running():
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()


# --- etcd --------------------------------------------------------------------

class Etcd(Peer):
    """One etcd 3.4 member on loopback, its data in data_dir, logging to
    data_dir + '.log'. etcd's defaults otherwise: the WAL is fsynced on
    every commit (no --unsafe-no-fsync), heartbeat 100 ms, election timeout
    1000 ms; --quota-backend-bytes is raised to 8 GiB so that large loads
    do not raise the space alarm. `initial_cluster` (name=peer URL,...)
    makes it a member of a static cluster; alone by default."""

    def __init__(self, data_dir, name="bench", peer_port=None, initial_cluster=None,
                 quota_bytes=ETCD_QUOTA_BYTES):
        self.data_dir = data_dir
        self.name = name
        self.client_url = f"http://127.0.0.1:{free_port()}"
        self.peer_url = f"http://127.0.0.1:{peer_port or free_port()}"
        self.initial_cluster = initial_cluster
        self.quota_bytes = quota_bytes
        self.proc = None
        self.log = None

    def start(self, wait=True):
        """Starts the member; with wait, returns once /health says true (a
        member of a cluster is healthy only once a quorum has a leader)."""
        self.log = open(self.data_dir + ".log", "ab")
        cmd = ["etcd", "--name", self.name, "--data-dir", self.data_dir,
               "--listen-client-urls", self.client_url, "--advertise-client-urls",
               self.client_url, "--listen-peer-urls", self.peer_url,
               "--initial-advertise-peer-urls", self.peer_url,
               "--initial-cluster", self.initial_cluster or f"{self.name}={self.peer_url}",
               "--quota-backend-bytes", str(self.quota_bytes)]
        if self.initial_cluster:
            cmd += ["--initial-cluster-state", "new", "--initial-cluster-token", "bench"]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        if wait:
            try:
                wait_for(self.healthy, timeout=START_TIMEOUT_S, what="etcd to be healthy")
            except BaseException:
                self.stop()
                raise
        return self

    def healthy(self):
        if self.proc is None:
            return False
        if self.proc.poll() is not None:
            raise RuntimeError(f"etcd exited with {self.proc.returncode}; see "
                               f"{self.data_dir}.log")
        try:
            status, body = self.post("/health", None, method="GET", timeout=5)
        except OSError:
            return False
        return status == 200 and json.loads(body).get("health") == "true"

    def post(self, path, body, method="POST", conn=None, timeout=60):
        own = conn is None
        if own:
            conn = http.client.HTTPConnection(self.client_url[len("http://"):],
                                              timeout=timeout)
        try:
            data = json.dumps(body) if body is not None else None
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            if own:
                conn.close()

    def status(self, timeout=5):
        """POST /v3/maintenance/status: {"member_id", "leader", "raft_index",
        "raft_term", "raft_applied_index"} (ids as decimal strings, as the
        JSON gateway writes uint64), or None when it does not answer."""
        try:
            status, body = self.post("/v3/maintenance/status", {}, timeout=timeout)
        except OSError:
            return None
        if status != 200:
            return None
        r = json.loads(body)
        return {"member_id": r.get("header", {}).get("member_id"), "leader": r.get("leader"),
                "raft_index": int(r.get("raftIndex", 0)), "raft_term": int(r.get("raftTerm", 0)),
                "raft_applied_index": int(r.get("raftAppliedIndex", 0))}

    def put(self, key, value, conn=None, timeout=60):
        """One put through the JSON gateway; True when acknowledged."""
        status, _ = self.post("/v3/kv/put", {"key": b64(key), "value": b64(value)}, conn=conn,
                              timeout=timeout)
        return status == 200

    def get(self, key):
        """The value of key (a linearizable range read), or None."""
        status, body = self.post("/v3/kv/range", {"key": b64(key)})
        if status != 200:
            raise RuntimeError(f"etcd range failed ({status}): {body[:300]!r}")
        kvs = json.loads(body).get("kvs") or []
        return base64.b64decode(kvs[0]["value"]) if kvs else None

    def count(self, prefix):
        """Number of keys under prefix (a range read, count only)."""
        end = prefix[:-1] + bytes([prefix[-1] + 1])
        status, body = self.post("/v3/kv/range", {"key": b64(prefix), "range_end": b64(end),
                                                  "count_only": True})
        if status != 200:
            raise RuntimeError(f"etcd range failed ({status}): {body[:300]!r}")
        return int(json.loads(body).get("count", 0))

    def kill(self):
        """SIGKILL (a crash: nothing flushed that was not fsynced)."""
        self.end_process(signal.SIGKILL)

    def stop(self):
        self.end_process(signal.SIGTERM)



def etcd_version():
    out = subprocess.run(["etcd", "--version"], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        if line.startswith("etcd Version:"):
            return line.split(":", 1)[1].strip()
    return "unknown"


class EtcdCluster(Peer):
    """`size` etcd 3.4 members (m1..mN) on loopback, bootstrapped from a
    static --initial-cluster, each with its data in workdir/mI and fsync on
    (etcd's defaults: 100 ms heartbeat, 1000 ms election timeout). Every
    member forwards writes it gets to the leader. start() returns once
    healthy()."""

    def __init__(self, workdir, size=3):
        self.workdir = workdir
        os.makedirs(workdir, exist_ok=True)
        names = [f"m{i + 1}" for i in range(size)]
        peer_ports = [free_port() for _ in names]
        initial = ",".join(f"{n}=http://127.0.0.1:{p}" for n, p in zip(names, peer_ports))
        self.members = [Etcd(os.path.join(workdir, n), name=n, peer_port=p,
                             initial_cluster=initial) for n, p in zip(names, peer_ports)]

    def start(self):
        try:
            for m in self.members:
                m.start(wait=False)
            wait_for(self.healthy, timeout=START_TIMEOUT_S, what="the etcd cluster to be healthy")
        except BaseException:
            self.stop()
            raise
        return self

    def client_urls(self):
        return [m.client_url for m in self.members]

    def leader(self):
        """The running member that is the leader by its own status (its
        member id is the leader id it reports), or None."""
        for m in self.members:
            if m.proc is None:
                continue
            s = m.status()
            if s and s["leader"] and s["leader"] != "0" and s["leader"] == s["member_id"]:
                return m
        return None

    def followers(self):
        leader = self.leader()
        return [m for m in self.members if m is not leader and m.proc is not None]

    def healthy(self):
        """Every member is running, answers /health true, and all report the
        same leader."""
        leaders = set()
        for m in self.members:
            if m.proc is None or not m.healthy():
                return False
            s = m.status()
            if s is None or not s["leader"] or s["leader"] == "0":
                return False
            leaders.add(s["leader"])
        return len(leaders) == 1

    def kill(self, member):
        member.kill()

    def restart(self, member):
        """Starts a stopped or killed member again on its data directory
        (it rejoins; the caller polls healthy())."""
        member.start(wait=False)

    def is_running(self):
        return any(m.proc is not None for m in self.members)

    def stop(self):
        for m in self.members:
            m.stop()



# --- PostgreSQL --------------------------------------------------------------

def _as_postgres(cmd):
    """cmd run as the `postgres` OS user when we are root (PostgreSQL
    refuses to run as root)."""
    return (["runuser", "-u", "postgres", "--"] + cmd) if os.geteuid() == 0 else cmd


class Postgres(Peer):
    """PostgreSQL 15 initialised in workdir/postgres/data (initdb, trust
    authentication on loopback), listening on 127.0.0.1:<free port> with its
    unix socket in workdir/postgres. Durability as PostgreSQL's docs
    require for no data loss: fsync=on, synchronous_commit=on (each commit
    waits for its WAL flush), full_page_writes=on; max_connections 200;
    other settings are the defaults. Holds a table `kv (k text primary
    key, v text not null)` in the database `postgres`."""

    def __init__(self, workdir):
        self.workdir = os.path.join(workdir, "postgres")
        self.data_dir = os.path.join(self.workdir, "data")
        self.log_path = os.path.join(self.workdir, "server.log")
        self.port = None
        self.running = False

    def start(self):
        os.makedirs(self.workdir, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.workdir, "postgres", "postgres")
        try:
            if not os.path.exists(os.path.join(self.data_dir, "PG_VERSION")):
                self._run(_as_postgres([f"{PG_BIN}/initdb", "-D", self.data_dir, "-U",
                                        "postgres", "--auth=trust", "-E", "UTF8",
                                        "--no-locale"]))
            self.port = free_port()
            with open(os.path.join(self.data_dir, "postgresql.auto.conf"), "a") as f:
                f.write(f"listen_addresses = '127.0.0.1'\n"
                        f"port = {self.port}\n"
                        f"unix_socket_directories = '{self.workdir}'\n"
                        "fsync = on\nsynchronous_commit = on\nfull_page_writes = on\n"
                        "max_connections = 200\n")
            self._run(_as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data_dir, "-l",
                                    self.log_path, "-w", "-t", str(START_TIMEOUT_S),
                                    "start"]))
            self.running = True
            wait_for(lambda: self.psql("SELECT 1", check=False).returncode == 0,
                     what="PostgreSQL to accept connections")
            self.psql("CREATE TABLE IF NOT EXISTS kv (k text PRIMARY KEY, v text NOT NULL)")
        except BaseException:
            self.stop()
            raise
        return self

    @staticmethod
    def _run(cmd):
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"{os.path.basename(cmd[4] if cmd[0] == 'runuser' else cmd[0])}"
                               f" failed ({out.returncode}): "
                               f"{(out.stdout + out.stderr).strip()[-2000:]}")
        return out

    def psql(self, sql, check=True):
        """Runs sql through psql over TCP; returns the CompletedProcess
        (stdout: unaligned tuples only)."""
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                              "-d", "postgres", "-c", sql], capture_output=True, text=True)
        if check and out.returncode != 0:
            raise RuntimeError(f"psql failed ({out.returncode}): {out.stderr.strip()}")
        return out

    def pgbench(self, workload, connections, duration, value_size=100):
        """Runs pgbench against the kv table and returns a dict in
        tresor-loadgen's JSON shape (protocol "postgres"). kv2-write: one
        INSERT of a unique key (gen_random_uuid()) with a value_size-byte
        value per transaction (autocommit: one durable commit each);
        kv2-read: SELECT of one of 1,000 hot keys (written first). Closed
        loop, prepared statements, over TCP loopback; latency percentiles
        are of pgbench's per-transaction log."""
        if workload not in ("kv2-write", "kv2-read"):
            raise ValueError(f"pgbench: unknown workload {workload}")
        rng = random.Random(6)
        value = "".join(rng.choice(string.ascii_letters + string.digits)
                        for _ in range(value_size))
        run_dir = tempfile.mkdtemp(prefix=f"pgbench-{workload}-", dir=self.workdir)
        try:
            script = os.path.join(run_dir, "script.sql")
            with open(script, "w") as f:
                if workload == "kv2-write":
                    f.write(f"INSERT INTO kv (k, v) VALUES (gen_random_uuid()::text, "
                            f"'{value}');\n")
                else:
                    self.psql(f"INSERT INTO kv (k, v) SELECT 'hot-' || i, '{value}' "
                              f"FROM generate_series(0, {PG_HOT_KEYS - 1}) AS i "
                              f"ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v")
                    f.write(f"\\set i random(0, {PG_HOT_KEYS - 1})\n"
                            "SELECT v FROM kv WHERE k = 'hot-' || (:i)::text;\n")
            threads = min(connections, 2)
            cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(connections), "-j",
                   str(threads), "-T", str(max(1, int(round(duration)))), "-l",
                   "--log-prefix", os.path.join(run_dir, "log"), "-f", script,
                   "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "postgres"]
            started = time.monotonic()
            out = subprocess.run(cmd, capture_output=True, text=True,
                                 timeout=duration + 120, cwd=run_dir)
            elapsed = time.monotonic() - started
            latencies, failed = [], 0
            for path in glob.glob(os.path.join(run_dir, "log.*")):
                with open(path) as f:
                    for line in f:
                        fields = line.split()
                        if len(fields) < 3:
                            continue
                        if fields[2] in ("failed", "skipped"):
                            failed += 1
                        else:
                            latencies.append(int(fields[2]) / 1000.0)
            aborted = [line for line in out.stderr.splitlines() if "aborted" in line]
            if out.returncode not in (0, 2) or (not latencies and out.returncode != 0):
                raise RuntimeError(f"pgbench failed ({out.returncode}): "
                                   f"{out.stderr.strip()[-2000:]}")
            tps = None
            for line in out.stdout.splitlines():
                if line.startswith("tps = "):
                    tps = float(line.split()[2])
            latencies.sort()
            requests = len(latencies)
            errors = failed + len(aborted)
            first_error = next((line for line in out.stderr.splitlines()
                                if "ERROR" in line or "aborted" in line or "error" in line),
                               None)
            return {"workload": workload, "protocol": "postgres", "connections": connections,
                    "threads": threads, "value_size": value_size, "rate": None,
                    "elapsed_s": (requests / tps) if tps else elapsed,
                    "requests": requests, "errors": errors, "first_error": first_error,
                    "throughput_rps": tps if tps is not None else requests / elapsed,
                    "latency_ms": {"p50": percentile(latencies, 50),
                                   "p90": percentile(latencies, 90),
                                   "p99": percentile(latencies, 99),
                                   "p99_9": percentile(latencies, 99.9),
                                   "max": latencies[-1] if latencies else 0.0}}
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)

    def is_running(self):
        return self.running

    def stop(self):
        if self.running:
            self.running = False
            subprocess.run(_as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.data_dir, "-m",
                                         "fast", "-w", "stop"]), capture_output=True)



def postgres_version():
    out = subprocess.run([f"{PG_BIN}/postgres", "--version"], capture_output=True, text=True)
    match = re.search(r"\(PostgreSQL\) (\S+)", out.stdout)
    return match.group(1) if match else "unknown"


# --- nginx -------------------------------------------------------------------

class Nginx(Peer):
    """nginx (the Debian package's binary) with its own config in
    workdir/nginx: in the foreground (daemon off), 2 worker processes (the
    machine's cores), access log off, keep-alive for up to 1,000,000
    requests per connection, listening on 127.0.0.1:<free port>, answering
    GET / with a static 200-byte JSON file (application/json). Nothing is
    written per request: it is the HTTP ceiling of the machine, not a
    durable store. `url` is its address."""

    def __init__(self, workdir):
        self.workdir = os.path.join(workdir, "nginx")
        self.port = None
        self.url = None
        self.proc = None
        self.body = None

    def start(self):
        os.makedirs(os.path.join(self.workdir, "www"), exist_ok=True)
        os.makedirs(os.path.join(self.workdir, "temp"), exist_ok=True)
        padding = NGINX_BODY_BYTES - len(json.dumps({"ok": True, "pad": ""}))
        self.body = json.dumps({"ok": True, "pad": "x" * padding}).encode()
        assert len(self.body) == NGINX_BODY_BYTES
        with open(os.path.join(self.workdir, "www", "body.json"), "wb") as f:
            f.write(self.body)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        w = self.workdir
        conf = os.path.join(w, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""daemon off;
worker_processes 2;
pid {w}/nginx.pid;
error_log {w}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path {w}/temp/body;
    proxy_temp_path {w}/temp/proxy;
    types {{ application/json json; }}
    default_type application/json;
    server {{
        listen 127.0.0.1:{self.port};
        root {w}/www;
        location = / {{ try_files /body.json =404; }}
    }}
}}
""")
        self.log = open(os.path.join(w, "stderr.log"), "ab")
        self.proc = subprocess.Popen(["nginx", "-p", w, "-c", conf, "-e",
                                      os.path.join(w, "error.log")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_for(self.ready, timeout=START_TIMEOUT_S, what="nginx to answer")
        except BaseException:
            self.stop()
            raise
        return self

    def get(self, path="/"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read()
        finally:
            conn.close()

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {self.proc.returncode}; see "
                               f"{self.workdir}/error.log")
        try:
            return self.get()[0] == 200
        except OSError:
            return False

    def stop(self):
        self.end_process(signal.SIGTERM)  # fast shutdown, workers too



def nginx_version():
    out = subprocess.run(["nginx", "-v"], capture_output=True, text=True)
    return out.stderr.strip().rsplit("/", 1)[-1] or "unknown"


# --- self-check --------------------------------------------------------------

def selftest(workdir):
    def say(message):
        print(f"[peers selftest] {message}", flush=True)

    with Etcd(os.path.join(workdir, "etcd-single")) as etcd:
        ok = etcd.put(b"selftest/a", b"one")
        say(f"etcd {etcd_version()} single member at {etcd.client_url}: put {ok}, "
            f"get {etcd.get(b'selftest/a')!r}")
        assert ok and etcd.get(b"selftest/a") == b"one"

    with EtcdCluster(os.path.join(workdir, "etcd-cluster")) as cluster:
        leader = cluster.leader()
        follower = cluster.followers()[0]
        ok = follower.put(b"selftest/b", b"two")
        value = leader.get(b"selftest/b")
        say(f"etcd cluster {cluster.client_urls()}: leader {leader.name}; put via follower "
            f"{follower.name} {ok}, get via leader {value!r}")
        assert ok and value == b"two"
        killed_at = time.monotonic()
        cluster.kill(leader)
        new_leader = wait_for(cluster.leader, what="a new etcd leader")
        say(f"killed leader {leader.name}: {new_leader.name} leads after "
            f"{time.monotonic() - killed_at:.3f} s")
        restarted_at = time.monotonic()
        cluster.restart(leader)
        wait_for(cluster.healthy, what="the etcd cluster to be healthy again")
        say(f"restarted {leader.name}: cluster healthy after "
            f"{time.monotonic() - restarted_at:.3f} s; {leader.name} reads "
            f"{leader.get(b'selftest/b')!r}")

    with Postgres(workdir) as pg:
        pg.psql("INSERT INTO kv (k, v) VALUES ('selftest', 'three')")
        value = pg.psql("SELECT v FROM kv WHERE k = 'selftest'").stdout.strip()
        say(f"PostgreSQL {postgres_version()} at 127.0.0.1:{pg.port}: insert, select "
            f"{value!r}")
        assert value == "three"
        for workload in ("kv2-write", "kv2-read"):
            r = pg.pgbench(workload, 2, 1)
            say(f"pgbench {workload}, 2 connections, 1 s: {r['requests']} transactions, "
                f"{r['throughput_rps']:.0f}/s, p50 {r['latency_ms']['p50']:.2f} ms, "
                f"p99 {r['latency_ms']['p99']:.2f} ms, errors {r['errors']}")
            assert r["requests"] > 0 and r["errors"] == 0, r

    with Nginx(workdir) as nginx:
        status, ctype, body = nginx.get()
        say(f"nginx {nginx_version()} at {nginx.url}: GET / {status} {ctype}, "
            f"{len(body)} bytes")
        assert status == 200 and ctype == "application/json" and len(body) == 200
    say("all peers started, written/read and stopped")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--selftest", action="store_true",
                        help="start each peer, write and read once, stop them")
    parser.add_argument("--build-dir", default=os.path.join(REPO, "build-bench"))
    args = parser.parse_args()
    if not args.selftest:
        parser.print_help()
        return
    base = args.build_dir if os.path.isdir(args.build_dir) else None
    workdir = tempfile.mkdtemp(prefix="peers-selftest-", dir=base)
    os.chmod(workdir, 0o755)  # PostgreSQL runs as another user
    try:
        selftest(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
