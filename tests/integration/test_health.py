"""sys/health (GET and HEAD, every query parameter) and sys/leader, against
the real binary, in each state: uninitialised, sealed, active."""
import time

import pytest

from harness import wait_for, TresorServer

CODE_PARAMETERS = ["activecode", "standbycode", "sealedcode", "uninitcode", "drsecondarycode",
                   "performancestandbycode", "removedcode", "haunhealthycode"]
BOOL_PARAMETERS = ["standbyok", "perfstandbyok"]


@pytest.fixture(scope="module")
def states():
    """Three servers: uninitialised, initialised and sealed, active."""
    servers = {name: TresorServer().start() for name in ("uninit", "sealed", "active")}
    servers["sealed"].init(1, 1)
    init = servers["active"].init(1, 1)
    servers["active"].unseal(init["keys"])
    yield servers
    for s in servers.values():
        s.close()


DEFAULT_CODES = {"uninit": 501, "sealed": 503, "active": 200}
# The parameter that sets the code of each state.
STATE_PARAMETER = {"uninit": "uninitcode", "sealed": "sealedcode", "active": "activecode"}


def head(server, target):
    """HEAD over a raw socket, so that any body bytes sent would be seen."""
    return server.raw_http(f"HEAD /v1/{target} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Connection: close\r\n\r\n".encode())


@pytest.mark.parametrize("state", ["uninit", "sealed", "active"])
def test_default_codes_and_body(states, state):
    server = states[state]
    r = server.api("GET", "sys/health")
    assert r.status == DEFAULT_CODES[state], r
    body = r.json
    assert body["initialized"] is (state != "uninit")
    assert body["sealed"] is (state != "active")
    assert body["standby"] is False and body["performance_standby"] is False
    assert body["replication_dr_mode"] == "disabled"
    assert body["replication_performance_mode"] == "disabled"
    assert abs(body["server_time_utc"] - time.time()) < 300
    # Vault's API level with Tresor's version as build metadata, as Vault
    # Enterprise reports "1.15.0+ent": tools comparing versions read 1.15.0.
    assert body["version"].startswith("1.15.0+tresor.")
    assert server.seal_status()["version"] == body["version"]
    if state == "active":
        assert body["cluster_name"] and body["cluster_id"]
    else:
        assert "cluster_id" not in body
    assert r.headers["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("state", ["uninit", "sealed", "active"])
def test_head_has_status_and_no_body(states, state):
    server = states[state]
    r = head(server, "sys/health")
    assert r.status == DEFAULT_CODES[state], r
    assert r.body == ""
    get = server.api("GET", "sys/health")
    # Same headers as GET, Content-Length included, but nothing after them.
    assert int(r.headers["content-length"]) == len(get.body.encode())


@pytest.mark.parametrize("state", ["uninit", "sealed", "active"])
def test_state_code_parameter_sets_the_status(states, state):
    server = states[state]
    parameter = STATE_PARAMETER[state]
    r = server.api("GET", f"sys/health?{parameter}=299")
    assert r.status == 299, r
    assert r.json["initialized"] is (state != "uninit")
    assert head(server, f"sys/health?{parameter}=299").status == 299
    # The other states' parameters do not change this state's code.
    others = "&".join(f"{p}=218" for s, p in STATE_PARAMETER.items() if s != state)
    assert server.api("GET", f"sys/health?{others}").status == DEFAULT_CODES[state]


@pytest.mark.parametrize("parameter", CODE_PARAMETERS)
@pytest.mark.parametrize("state", ["uninit", "sealed", "active"])
def test_every_code_parameter_is_accepted(states, state, parameter):
    r = states[state].api("GET", f"sys/health?{parameter}=204")
    expected = 204 if parameter == STATE_PARAMETER[state] else DEFAULT_CODES[state]
    assert r.status == expected, r
    if expected == 204:
        assert r.body == ""


@pytest.mark.parametrize("parameter", BOOL_PARAMETERS)
@pytest.mark.parametrize("value", ["", "=true", "=false", "=1", "=0", "=t", "=F"])
def test_bool_parameters_are_accepted(states, parameter, value):
    # A lone node is never a standby, so these do not change the answer.
    for state, code in DEFAULT_CODES.items():
        assert states[state].api("GET", f"sys/health?{parameter}{value}").status == code


@pytest.mark.parametrize("query", [
    "activecode=abc", "activecode=99", "activecode=600", "activecode=", "activecode=20x",
    "standbycode=-1", "sealedcode=1e2", "uninitcode=%20200", "drsecondarycode=foo",
    "performancestandbycode=4000", "removedcode=x", "haunhealthycode=2.5",
    "standbyok=maybe", "perfstandbyok=yes",
])
def test_bad_parameter_values_are_400(states, query):
    name = query.split("=")[0]
    for state in DEFAULT_CODES:
        r = states[state].api("GET", f"sys/health?{query}")
        assert r.status == 400, (state, r)
        assert name in r.errors[0]
        assert head(states[state], f"sys/health?{query}").status == 400


@pytest.mark.parametrize("state", ["uninit", "sealed", "active"])
def test_leader_reports_ha_on_raft(states, state):
    server = states[state]
    if state == "active":
        # The raft leader becomes the active node right after unseal.
        wait_for(lambda: server.api("GET", "sys/leader").json["is_self"], timeout=30)
    r = server.api("GET", "sys/leader")
    assert r.status == 200, r
    body = r.json
    assert body["ha_enabled"] is True
    assert body["is_self"] is (state == "active")
    if state == "active":
        assert body["leader_address"] == server.address
        assert body["leader_cluster_address"].startswith("https://127.0.0.1:")
        assert body["raft_applied_index"] > 0
    else:
        assert body["leader_address"] == ""
    assert body["performance_standby"] is False
    assert "active_time" in body and "performance_standby_last_remote_wal" in body


def test_health_and_leader_need_no_token_and_ignore_a_bad_one(states):
    for state, code in DEFAULT_CODES.items():
        assert states[state].api("GET", "sys/health", token="bogus").status == code
        assert states[state].api("GET", "sys/leader", token="bogus").status == 200
