"""GET sys/metrics (docs/observability.md) and a real Prometheus scrape.

Debian's prometheus (installed by scripts/install-prometheus) scrapes a
3-node raft cluster on loopback; its HTTP API must return every node's
series, with the names and types of Vault's telemetry reference. The
alerting rules in deploy/prometheus/alerts.yml pass `promtool check rules`,
and every expression of the Grafana dashboard in deploy/grafana/ names a
metric Tresor exports.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.parse
import urllib.request

import pytest

from harness import (DevServer, ROOT_TOKEN, TresorServer, active_node, form_raft_cluster,
                     free_port, wait_for, close_all)

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# From Vault's telemetry reference (developer.hashicorp.com/vault/docs/
# internals/telemetry/metrics/*): name -> metric type, as go-metrics'
# Prometheus sink exports them (summaries in ms, counters without _total).
VAULT_METRICS = {
    "vault_core_unsealed": "gauge",
    "vault_core_active": "gauge",
    "vault_core_handle_request": "summary",
    "vault_core_handle_login_request": "summary",
    "vault_core_check_token": "summary",
    "vault_core_leadership_lost": "summary",
    "vault_core_step_down": "summary",
    "vault_barrier_get": "summary",
    "vault_barrier_put": "summary",
    "vault_barrier_delete": "summary",
    "vault_barrier_list": "summary",
    "vault_raft_apply": "counter",
    "vault_raft_commitTime": "summary",
    "vault_raft_state_candidate": "counter",
    "vault_raft_state_follower": "counter",
    "vault_raft_state_leader": "counter",
    "vault_raft_leader_lastContact": "summary",
    "vault_autopilot_healthy": "gauge",
    "vault_autopilot_failure_tolerance": "gauge",
    "vault_ha_rpc_client_forward": "summary",
    "vault_token_count": "gauge",
    "vault_secret_kv_count": "gauge",
}
# Tresor's own (and Prometheus' process_* names).
TRESOR_METRICS = {
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "tresor_process_threads": "gauge",
    "tresor_snapshot_auto_last_verified_age_seconds": "gauge",
    "tresor_snapshot_auto_last_verified_index": "gauge",
    "tresor_snapshot_auto_consecutive_failures": "gauge",
}
EXPORTED = {**VAULT_METRICS, **TRESOR_METRICS}
# Names the alerts use that appear only once their capability is in use
# (an audit device failed; an auto-unseal seal is configured; DR
# replication is on: tests elsewhere read them, test_seal_transit.py and
# test_dr_replication.py).
EXPORTED_ON_FIRST_EVENT = {"vault_audit_log_request_failure", "tresor_seal_healthy",
                           "tresor_replication_dr_lag_seconds",
                           "tresor_replication_dr_connected"}

# Usage gauges (token and secret counts) recomputed every second, so the
# KV mount the test makes shows without waiting Vault's default 10 minutes.
TELEMETRY = ('telemetry {\n  disable_hostname = true\n  prometheus_retention_time = "1h"\n'
             '  usage_gauge_period = "1s"\n}\n')
UNAUTHENTICATED = "  telemetry {\n    unauthenticated_metrics_access = true\n  }\n"


def install_prometheus():
    subprocess.run([os.path.join(REPO, "scripts", "install-prometheus")], check=True)
    assert shutil.which("prometheus") and shutil.which("promtool")


def exposition_types(text):
    """{name: type} from the # TYPE lines of a text exposition."""
    return dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, re.M))


def metric_names(expr):
    """The metric names a PromQL expression mentions."""
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", re.sub(r'"[^"]*"', "", expr)))
    names = set()
    for w in words:
        if not w.startswith(("vault_", "tresor_", "process_")):
            continue
        # A summary's _sum and _count series belong to the summary.
        base = re.sub(r"_(sum|count)$", "", w)
        names.add(base if EXPORTED.get(base) == "summary" else w)
    return names


# ------------------------------------------------------- one dev server

@pytest.fixture(scope="module")
def dev():
    with DevServer() as s:
        yield s


def test_prometheus_format(dev):
    r = dev.api("GET", "sys/metrics?format=prometheus", token=ROOT_TOKEN)
    assert r.status == 200, r
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4"), r.headers
    types = exposition_types(r.body)
    for name in ("process_resident_memory_bytes", "process_open_fds", "tresor_process_threads",
                 "vault_barrier_get", "vault_core_handle_request", "vault_core_check_token"):
        assert types.get(name) == EXPORTED[name], (name, types)
    # Without disable_hostname, gauges carry the host name, as go-metrics'.
    assert not re.search(r"^vault_core_unsealed ", r.body, re.M)
    assert re.search(r"^vault_\w+_core_unsealed 1$", r.body, re.M), r.body
    assert re.search(r"^# HELP vault_barrier_get \S", r.body, re.M)


def test_json_format(dev):
    r = dev.api("GET", "sys/metrics", token=ROOT_TOKEN)
    assert r.status == 200, r
    body = r.json
    assert set(body) >= {"Timestamp", "Gauges", "Counters", "Samples"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC", body["Timestamp"])
    gauges = {g["Name"]: g for g in body["Gauges"]}
    assert gauges["process.resident_memory_bytes"]["Value"] > 0
    assert gauges["process.resident_memory_bytes"]["Labels"] == {}
    samples = {s["Name"]: s for s in body["Samples"]}
    assert samples["vault.core.handle_request"]["Count"] >= 1
    assert set(samples["vault.barrier.get"]) >= {"Count", "Sum", "Min", "Max", "Mean", "Stddev"}
    assert dev.api("GET", "sys/metrics?format=json", token=ROOT_TOKEN).status == 200


def test_token_required_by_default(dev):
    r = dev.api("GET", "sys/metrics")
    assert r.status == 403, r
    r = dev.api("GET", "sys/metrics?format=prometheus", token="not-a-token")
    assert r.status == 403, r


def test_prometheus_refused_without_retention():
    server = TresorServer(storage="inmem",
                          extra_config="telemetry {\n  prometheus_retention_time = 0\n}\n",
                          listener_extra=UNAUTHENTICATED)
    with server:
        r = server.api("GET", "sys/metrics?format=prometheus")
        assert r.status == 400, r
        assert "prometheus is not enabled" in r.errors[0]
        # JSON still works, without a token (unauthenticated access), even sealed.
        r = server.api("GET", "sys/metrics")
        assert r.status == 200, r
        gauges = {g["Name"]: g["Value"] for g in r.json["Gauges"]}
        assert any(name.endswith("core.unsealed") and v == 0 for name, v in gauges.items()), gauges


def test_kv_secret_count_per_mount():
    server = TresorServer(storage="inmem",
                          extra_config='telemetry {\n  usage_gauge_period = "1s"\n}\n')
    with server:
        init = server.init(1, 1)
        server.unseal(init["keys"])
        root = init["root_token"]
        for path, version in (("kv1", "1"), ("kv2", "2")):
            r = server.api("POST", f"sys/mounts/{path}",
                           {"type": "kv", "options": {"version": version}}, token=root)
            assert r.status == 204, r
        for i in range(3):
            r = server.api("POST", f"kv2/data/app/{i}", {"data": {"n": i}}, token=root)
            assert r.status == 200, r
        for i in range(2):
            assert server.api("POST", f"kv1/x/{i}", {"n": i}, token=root).status == 204
        # A deleted version still counts (its path keeps its metadata).
        assert server.api("DELETE", "kv2/data/app/0", token=root).status == 204

        def counts():
            body = server.api("GET", "sys/metrics?format=prometheus", token=root).body
            found = re.findall(r'^vault_\w+_secret_kv_count\{mount_point="([^"]+)",'
                               r'namespace="root"\} (\S+)$', body, re.M)
            return {mount: float(v) for mount, v in found}
        wait_for(lambda: counts() == {"kv1/": 2, "kv2/": 3}, timeout=30,
                 what="vault_secret_kv_count per KV mount")


# ------------------------------------------------- a real Prometheus scrape

@pytest.fixture(scope="module")
def cluster():
    nodes, keys, root = form_raft_cluster(3, extra_config=TELEMETRY,
                                          listener_extra=UNAUTHENTICATED)
    yield nodes, root
    close_all(nodes)


@pytest.fixture(scope="module")
def prometheus(cluster):
    install_prometheus()
    nodes, _ = cluster
    work = tempfile.TemporaryDirectory(prefix="tresor-prom-")
    port = free_port()
    targets = [f"127.0.0.1:{n.port}" for n in nodes]
    config = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s"},
        "scrape_configs": [{
            "job_name": "tresor",
            "metrics_path": "/v1/sys/metrics",
            "params": {"format": ["prometheus"]},
            "static_configs": [{"targets": targets}],
        }],
    }
    config_path = os.path.join(work.name, "prometheus.yml")
    with open(config_path, "w") as f:
        json.dump(config, f)  # JSON is YAML
    log = open(os.path.join(work.name, "prometheus.log"), "w")
    proc = subprocess.Popen(
        ["prometheus", f"--config.file={config_path}",
         f"--storage.tsdb.path={os.path.join(work.name, 'data')}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    api = f"http://127.0.0.1:{port}/api/v1"

    def get(path, **params):
        url = f"{api}/{path}?{urllib.parse.urlencode(params)}"
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())

    def up():
        try:
            return get("query", query="up")["status"] == "success"
        except OSError:
            return False
    try:
        wait_for(up, timeout=60, what="prometheus to answer")
        yield get, targets
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        work.cleanup()


def test_prometheus_scrapes_every_node(cluster, prometheus):
    nodes, root = cluster
    get, targets = prometheus
    # Traffic that exercises the timings: a write through a standby
    # (forwarded), reads, a step-down (leadership lost, step down).
    active = active_node(nodes)
    standby = next(n for n in nodes if n is not active)
    r = standby.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root)
    assert r.status == 204, r
    assert standby.api("POST", "kv/a", {"v": "1"}, token=root).status == 204
    assert active.api("GET", "kv/a", token=root).status == 200
    # An automated snapshot schedule, for the tresor_snapshot_auto_* gauges.
    snapshots = tempfile.TemporaryDirectory(prefix="tresor-metrics-snap-")
    body = {"interval": 1, "retain": 1, "storage_type": "local", "path_prefix": snapshots.name,
            "file_prefix": "metrics"}
    r = active.api("POST", "sys/storage/raft/snapshot-auto/config/metrics", body, token=root)
    assert r.status == 204, r
    assert active.api("PUT", "sys/step-down", token=root).status == 204
    wait_for(lambda: active_node(nodes) not in (None, active), timeout=60,
             what="another node to become active")

    def unsealed_series():
        result = get("query", query="vault_core_unsealed")["data"]["result"]
        return {s["metric"]["instance"]: s["value"][1] for s in result}
    wait_for(lambda: set(unsealed_series()) == set(targets), timeout=60,
             what="vault_core_unsealed from all three nodes")
    assert set(unsealed_series().values()) == {"1"}

    wait_for(lambda: len(get("query", query="vault_core_active == 1")["data"]["result"]) == 1,
             timeout=60, what="exactly one active node in prometheus")

    # Every name of the reference list arrived, with its type.
    def metadata():
        return get("metadata")["data"]
    wanted = set(EXPORTED)
    wait_for(lambda: wanted <= set(metadata()), timeout=60,
             what=f"prometheus to know {sorted(wanted - set(metadata()))}")
    meta = metadata()
    for name in wanted:
        assert meta[name][0]["type"] == EXPORTED[name], (name, meta[name])
    # The summaries' quantiles and counts are queryable.
    result = get("query", query='vault_core_handle_request{quantile="0.99"}')["data"]["result"]
    assert {s["metric"]["instance"] for s in result} == set(targets)
    result = get("query", query="vault_ha_rpc_client_forward_count > 0")["data"]["result"]
    assert result, "no forwarded request was counted"
    result = get("query", query="sum(vault_core_step_down_count)")["data"]["result"]
    assert float(result[0]["value"][1]) >= 1
    result = get("query", query='tresor_snapshot_auto_last_verified_index{config="metrics"}')
    assert float(result["data"]["result"][0]["value"][1]) > 0, result

    # Each node's exposition carries the same types (a standby answers for
    # itself, not forwarded).
    for n in nodes:
        r = n.api("GET", "sys/metrics?format=prometheus")
        assert r.status == 200, r
        types = exposition_types(r.body)
        for name, kind in types.items():
            if name in EXPORTED:
                assert kind == EXPORTED[name], (name, kind)
    # Exactly one node reports itself active in its own exposition.
    def active_gauges():
        values = []
        for n in nodes:
            body = n.api("GET", "sys/metrics?format=prometheus").body
            values += [float(v) for v in re.findall(r"^vault_core_active (\S+)$", body, re.M)]
        return values
    wait_for(lambda: sorted(active_gauges()) == [0.0, 0.0, 1.0], timeout=60,
             what="one node with vault_core_active 1 and two with 0")
    snapshots.cleanup()


def test_alert_rules_pass_promtool():
    install_prometheus()
    path = os.path.join(REPO, "deploy", "prometheus", "alerts.yml")
    r = subprocess.run(["promtool", "check", "rules", path], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: 9 rules found" in r.stdout, r.stdout
    text = open(path).read()
    exprs = re.findall(r"^\s*expr: (.+)$", text, re.M)
    assert len(exprs) == 9
    for expr in exprs:
        unknown = metric_names(expr) - set(EXPORTED) - EXPORTED_ON_FIRST_EVENT
        assert not unknown, (expr, unknown)
    for name in ("vault_core_unsealed", "vault_core_active", "vault_autopilot_failure_tolerance",
                 "tresor_snapshot_auto_last_verified_age_seconds",
                 "vault_audit_log_request_failure", "tresor_seal_healthy",
                 "tresor_replication_dr_lag_seconds", "tresor_replication_dr_connected"):
        assert name in text, name


def test_grafana_dashboard_uses_exported_names():
    with open(os.path.join(REPO, "deploy", "grafana", "tresor.json")) as f:
        dashboard = json.load(f)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    used = set()
    for expr in exprs:
        names = metric_names(expr)
        assert names, expr
        assert names <= set(EXPORTED), (expr, names - set(EXPORTED))
        used |= names
    assert {"vault_core_unsealed", "vault_core_handle_request", "vault_raft_commitTime"} <= used


def test_standby_answers_with_a_token():
    """Without unauthenticated access, a standby checks the token itself and
    answers its own metrics (not the active's)."""
    nodes, _, root = form_raft_cluster(2, extra_config=TELEMETRY)
    try:
        active = active_node(nodes)
        standby = next(n for n in nodes if n is not active)
        r = standby.api("GET", "sys/metrics?format=prometheus", token=root)
        assert r.status == 200, r
        assert re.search(r"^vault_core_active 0$", r.body, re.M), r.body
        assert standby.api("GET", "sys/metrics?format=prometheus").status == 403
        r = active.api("GET", "sys/metrics?format=prometheus", token=root)
        assert re.search(r"^vault_core_active 1$", r.body, re.M), r.body
    finally:
        close_all(nodes)
