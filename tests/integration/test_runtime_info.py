"""What a node says about itself (docs/observability.md, "Host and runtime"):
sys/host-info in Vault's shape with this machine's real facts, sys/in-flight-req
listing the requests being answered (the asking one included), and
sys/internal/counters/tokens counting stored service tokens; the policy
checks and bad methods of each.
"""
import os
import socket

import pytest

from harness import DevServer, ROOT_TOKEN


@pytest.fixture(scope="module")
def dev():
    with DevServer() as s:
        yield s


def test_host_info_reports_this_machine(dev):
    r = dev.api("GET", "sys/host-info", token=ROOT_TOKEN)
    assert r.status == 200, r
    data = r.json["data"]
    assert set(data) >= {"cpu", "cpu_times", "disk", "host", "memory", "timestamp"}
    assert len(data["cpu"]) == os.cpu_count()
    assert data["cpu"][0]["modelName"]
    assert data["cpu_times"][0]["cpu"] == "cpu-total" and data["cpu_times"][0]["idle"] > 0
    assert data["host"]["hostname"] == socket.gethostname()
    assert data["host"]["kernelVersion"] == os.uname().release
    assert data["host"]["os"] == "linux" and data["host"]["procs"] > 1
    with open("/proc/meminfo") as f:
        total_kb = int(f.readline().split()[1])
    assert data["memory"]["total"] == total_kb * 1024
    assert 0 < data["memory"]["usedPercent"] < 100
    roots = [d for d in data["disk"] if d["path"] == "/"]
    assert roots and roots[0]["total"] > roots[0]["free"] > 0


def test_in_flight_requests_include_the_asking_one(dev):
    r = dev.api("GET", "sys/in-flight-req", token=ROOT_TOKEN)
    assert r.status == 200, r
    mine = [v for v in r.json.values() if v["request_path"] == "/v1/sys/in-flight-req"]
    assert len(mine) == 1, r.json
    assert mine[0]["request_method"] == "READ" and mine[0]["client_remote_address"]
    assert mine[0]["start_time"].endswith("Z")


def test_token_counter_follows_creations(dev):
    def total():
        r = dev.api("GET", "sys/internal/counters/tokens", token=ROOT_TOKEN)
        assert r.status == 200, r
        return r.json["data"]["counters"]["service_tokens"]["total"]

    before = total()
    made = dev.api("POST", "auth/token/create", {"policies": ["default"]}, token=ROOT_TOKEN)
    assert made.status == 200
    assert total() == before + 1
    # Batch tokens are not stored, so not counted.
    batch = dev.api("POST", "auth/token/create", {"type": "batch", "policies": ["default"],
                                                  "renewable": False, "no_parent": True},
                    token=ROOT_TOKEN)
    assert batch.status == 200, batch
    assert total() == before + 1
    user = made.json["auth"]["client_token"]
    # An ordinary token reaches none of them; host-info needs sudo.
    for path in ("sys/host-info", "sys/in-flight-req", "sys/internal/counters/tokens",
                 "sys/config/state/sanitized"):
        assert dev.api("GET", path, token=user).status == 403, path
        assert dev.api("POST", path, {"a": 1}, token=ROOT_TOKEN).status == 405, path


def test_sanitized_config_shows_the_running_settings(dev):
    r = dev.api("GET", "sys/config/state/sanitized", token=ROOT_TOKEN)
    assert r.status == 200, r
    data = r.json["data"]
    assert data["storage"]["type"] == "inmem"
    assert data["seals"] == [{"type": "shamir", "disabled": False}]
    assert data["listeners"][0]["config"]["address"] == f"127.0.0.1:{dev.port}"
