"""Tresor's synchronous DR mode: a write is answered only once a DR
secondary holds it, so losing the whole primary loses no acknowledged write
at all; with the secondary gone, a write waits synchronous_timeout and is
answered 503 saying so (it is stored on the primary)."""
import threading

import pytest

from dr_support import dr_status, operation_token, set_up_pair
from harness import wait_for, close_all


@pytest.fixture(scope="module")
def pair():
    pnodes, pkeys, proot, snodes = set_up_pair(synchronous=True, synchronous_timeout="2s")
    primary = pnodes[0]
    assert primary.api("POST", "sys/mounts/kv", {"type": "kv", "options": {"version": "2"}},
                       token=proot).status == 204
    yield primary, pkeys, proot, snodes[0]
    close_all(pnodes + snodes)


def test_status_says_synchronous(pair):
    primary, _, _, _ = pair
    assert dr_status(primary)["synchronous"] is True


def test_losing_the_primary_loses_no_acknowledged_write(pair):
    primary, keys, root, secondary = pair
    acknowledged, lock, stop = {}, threading.Lock(), threading.Event()

    def writer(number):
        i = 0
        while not stop.is_set():
            key = f"sync/w{number}-{i}"
            try:
                r = primary.api("POST", f"kv/data/{key}", {"data": {"v": i}}, token=root,
                                timeout=10)
            except OSError:
                return
            if r.status == 200:
                with lock:
                    acknowledged[key] = i
            i += 1

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(acknowledged) >= 200, timeout=120, what="synchronous writes")
    primary.kill()
    stop.set()
    for t in threads:
        t.join()
    token = operation_token(secondary, keys[:2])
    r = secondary.api("POST", "sys/replication/dr/secondary/promote",
                      {"dr_operation_token": token})
    assert r.status == 204, r
    wait_for(lambda: secondary.api("GET", "sys/health").status == 200, timeout=30,
             what="the promoted secondary to serve")
    missing = [k for k, v in acknowledged.items()
               if secondary.api("GET", f"kv/data/{k}", token=root).json.get("data", {})
               .get("data") != {"v": v}]
    assert not missing, (len(acknowledged), missing[:5])


def test_a_write_without_any_secondary_times_out_with_503():
    pnodes, pkeys, proot, snodes = set_up_pair(synchronous=True, synchronous_timeout="1s")
    primary, secondary = pnodes[0], snodes[0]
    try:
        secondary.kill()
        wait_for(lambda: dr_status(primary)["secondaries"][0]["connection_status"]
                 == "disconnected", timeout=30, what="the primary to see the secondary gone")
        r = primary.api("PUT", "sys/policies/acl/written-anyway",
                        {"policy": 'path "x" { capabilities = ["read"] }'}, token=proot)
        assert r.status == 503, r
        assert "no DR secondary confirmed it within 1000 ms" in r.errors[0], r
        # Stored on the primary all the same.
        assert primary.api("GET", "sys/policies/acl/written-anyway", token=proot).status == 200
        # Reads do not wait.
        assert primary.api("GET", "sys/mounts", token=proot).status == 200
    finally:
        close_all(pnodes + snodes)
