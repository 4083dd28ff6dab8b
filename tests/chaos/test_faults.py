"""Tests of the chaos harness itself (tests/chaos/faults.py, cluster.py,
chaos.py): every fault bites, and its cleanup removes what it made — also
when the harness process is interrupted or fails. Ends with the short
fixed-seed chaos run that CI keeps: a crash and an asymmetric partition on 3
nodes, one trial each, which must lose no acknowledged write and stay
linearizable (the times are printed, not asserted: the slow recovery of the
asymmetric partition is a known defect, issue 20).

Needs root (iptables, tc, mount) and, for the fsync shim, a C compiler
(cc); scripts/install-chaos-deps installs the other tools. Run: TRESOR_BINARY=build-asan/tresor python3 -m pytest -q tests/chaos/test_faults.py
"""
import json
import os
import socket
import subprocess
import sys
import textwrap
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
subprocess.run([os.path.join(ROOT, "scripts", "install-chaos-deps")], check=True)
sys.path.insert(0, HERE)

import chaos  # noqa: E402
import cluster as chaos_cluster  # noqa: E402
import faults  # noqa: E402
from harness import free_port, wait_for  # noqa: E402
from kv_client import KVClient  # noqa: E402



@pytest.fixture(autouse=True)
def needs_root():
    # Not a skip: without root (iptables, mount) these tests cannot prove
    # anything, and a skip would read as a pass.
    assert os.geteuid() == 0, "the fault harness needs root (iptables, mount, gids)"


def connects(port, timeout=1.0, group=None):
    """True when a TCP connection to 127.0.0.1:port opens within timeout,
    from this process or (group=gid) from a child running with that gid."""
    if group is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=timeout):
                return True
        except OSError:
            return False
    code = (f"import socket\ntry:\n socket.create_connection(('127.0.0.1', {port}), "
            f"timeout={timeout}).close()\nexcept OSError:\n raise SystemExit(1)")
    return subprocess.run([sys.executable, "-c", code], group=group).returncode == 0


def listener():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", free_port()))
    s.listen(64)
    return s, s.getsockname()[1]


def chains_present():
    return "TRESOR_CHAOS" in faults.iptables_rules()


def nfqueue_daemons():
    return subprocess.run(["pgrep", "-f", "faults.py nfqueue-delay"],
                          capture_output=True, text=True).stdout.split()


def chaos_mounts():
    with open("/proc/mounts") as f:
        return [line for line in f if "tresor-chaos" in line]


# --- without a cluster ----------------------------------------------------------


def test_port_drop_bites_and_its_rule_and_chains_are_removed():
    sock, port = listener()
    with sock:
        assert connects(port)
        with faults.PortDrop(port):
            assert f"--dport {port} -j DROP" in faults.iptables_rules()
            assert not connects(port, timeout=0.5)
        assert f"--dport {port}" not in faults.iptables_rules()
        assert connects(port)
        faults.remove_chains()
        assert not chains_present()


def test_latency_delays_only_the_selected_port_and_heal_removes_it():
    a, port_a = listener()
    b, port_b = listener()
    with a, b:
        def connect_time(port):
            start = time.monotonic()
            assert connects(port, timeout=5)
            return time.monotonic() - start
        fault = faults.Netem([port_a], delay_ms=150)
        with fault:
            assert f"--ports {port_a} -j NFQUEUE" in faults.iptables_rules()
            assert connect_time(port_a) >= 0.25  # SYN and SYN-ACK each wait 150 ms
            assert connect_time(port_b) < 0.1
            daemon = fault.daemon
        assert "NFQUEUE" not in faults.iptables_rules()
        assert daemon.poll() is not None
        assert connect_time(port_a) < 0.1


def test_loss_drops_packets_of_the_selected_port():
    a, port_a = listener()
    with a:
        with faults.Netem([port_a], delay_ms=0, loss_pct=100):
            assert not connects(port_a, timeout=0.5)
        assert connects(port_a)


def test_disk_full_fills_the_tmpfs_and_heal_frees_it(tmp_path):
    class Node:
        pass
    node = Node()
    node.disk = faults.TmpfsMount(str(tmp_path / "disk"), size_mb=8)
    try:
        assert faults.is_mounted(node.disk.path)
        with faults.DiskFull(node):
            assert node.disk.free_bytes() == 0
            with pytest.raises(OSError) as e:
                with open(os.path.join(node.disk.path, "x"), "wb") as f:
                    f.write(b"y" * 8192)
            assert e.value.errno == 28  # ENOSPC
        assert node.disk.free_bytes() > 7 * 1024 * 1024
    finally:
        node.disk.close()
    assert not faults.is_mounted(node.disk.path)


@pytest.mark.parametrize("ending", ["SIGINT", "SIGTERM", "exception"])
def test_an_interrupted_or_failing_harness_leaves_nothing_behind(tmp_path, ending):
    """A child process injects a partition rule, two latency rules (each with its daemon) and a tmpfs,
    then is interrupted (SIGINT, SIGTERM) or fails: its cleanup list removes
    them all."""
    sock, port = listener()
    mount = str(tmp_path / "mnt")
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {HERE!r})
        import faults
        faults.PortDrop({port}).inject()
        faults.Netem([{port}], delay_ms=10).inject()
        faults.Netem([{port} + 1], delay_ms=10).inject()
        faults.TmpfsMount({mount!r}, size_mb=1)
        print("ready", flush=True)
        if {ending!r} == "exception":
            raise RuntimeError("the harness failed")
        time.sleep(60)
    """)
    with sock:
        child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
            if ending != "exception":
                assert f"--dport {port} -j DROP" in faults.iptables_rules()
                assert "NFQUEUE" in faults.iptables_rules()
                assert faults.is_mounted(mount)
                child.send_signal(getattr(__import__("signal"), ending))
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        rules = faults.iptables_rules()
        assert f"TRESOR_CHAOS_{child.pid}" not in rules and f"--dport {port}" not in rules
        assert not faults.is_mounted(mount)
        assert not nfqueue_daemons()
        assert connects(port)


# --- on a 3-node cluster --------------------------------------------------------


@pytest.fixture(scope="module")
def c():
    cl = chaos_cluster.Cluster(3, disk_mb=48).start()
    yield cl
    codes = cl.close()
    assert not chaos_mounts()
    assert all(code in (0, None) for code in codes.values()), codes


def standby(c):
    active = c.wait_active()
    return next(n for n in c.nodes if n is not active)


def test_pause_stops_a_node_answering_and_heal_resumes_it(c):
    node = standby(c)
    with faults.Pause(node):
        with pytest.raises(OSError):
            node.api("GET", "sys/health", timeout=1)
    wait_for(lambda: c.api_ok(node), timeout=30, what="the node to answer after SIGCONT")


def test_inbound_drop_makes_the_cluster_port_unreachable_until_healed(c):
    node = standby(c)
    assert connects(node.cluster_port)
    with faults.InboundDrop(node):
        assert f"--dport {node.cluster_port} -j DROP" in faults.iptables_rules()
        assert not connects(node.cluster_port, timeout=0.5)
        assert connects(node.port)  # the API port is not part of the partition
    assert f"--dport {node.cluster_port}" not in faults.iptables_rules()
    assert connects(node.cluster_port)


def test_symmetric_partition_cuts_both_directions_between_two_nodes_only(c):
    a, b, other = c.nodes
    with faults.Partition(a, b):
        rules = faults.iptables_rules()
        assert f"--gid-owner {a.gid}" in rules and f"--gid-owner {b.gid}" in rules
        assert not connects(b.cluster_port, timeout=0.5, group=a.gid)
        assert not connects(a.cluster_port, timeout=0.5, group=b.gid)
        assert connects(b.cluster_port, group=other.gid)
        assert connects(a.cluster_port, group=other.gid)
    assert "--gid-owner" not in faults.iptables_rules()
    assert connects(b.cluster_port, group=a.gid)
    wait_for(lambda: all(c.api_ok(n) for n in c.nodes), timeout=30, what="every node")


def test_kill_stops_a_node_and_heal_restarts_and_unseals_it(c):
    node = standby(c)
    with faults.Kill(node, restart=c.restart):
        assert node.proc is None and not connects(node.port)
    assert c.api_ok(node)


def test_disk_full_under_the_active_node_fails_its_writes(c):
    active = c.wait_active()
    kv = KVClient(active.address, c.root, mount=chaos_cluster.KV_MOUNT, timeout=5)
    assert kv.write("disk/before", "1").outcome == "ok"
    with faults.DiskFull(active):
        assert active.disk.free_bytes() == 0
        # libraft preallocates its log segments: writes go on into the space
        # already reserved, then fail.
        value = "v" * 16384
        deadline = time.monotonic() + 60
        result = None
        for i in range(5000):
            result = kv.write(f"disk/during-{i % 50}", value)
            if result.outcome != "ok" or time.monotonic() > deadline:
                break
        assert result.outcome != "ok", f"{i + 1} writes of 16 KiB went through a full disk"
        print(f"write {i + 1} behind a full disk: {result}")
    assert active.disk.free_bytes() > 0
    # Whether the node resumes by itself is what issue 20 asks to fix; the
    # harness only needs the cluster whole again for what follows.
    recovered = chaos.wait_recovered(c, "disk-test", time.monotonic(), 15)
    print(f"recovered without restart: {recovered}")
    if recovered is None:
        chaos.repair(c, print)
    assert faults.is_mounted(active.disk.path)


def test_clock_jump_moves_the_wall_clock_a_node_reads():
    cl = chaos_cluster.Cluster(1, faketime=True, shares=1, threshold=1).start()
    try:
        node = cl.nodes[0]

        def created_hour_offset():
            r = node.api("POST", "kv/data/clock", {"data": {"value": "x"}}, token=cl.root)
            assert r.status == 200, r
            stamp = r.json["data"]["created_time"][:19]
            written = time.mktime(time.strptime(stamp, "%Y-%m-%dT%H:%M:%S")) - time.timezone
            return round((written - time.time()) / 3600)
        assert created_hour_offset() == 0
        with faults.ClockJump(node, 7200):
            wait_for(lambda: created_hour_offset() == 2, timeout=10, interval=0.2,
                     what="the node's clock to jump 2 h")
        wait_for(lambda: created_hour_offset() == 0, timeout=10, interval=0.2,
                 what="the node's clock to come back")
    finally:
        cl.close()


def test_fsync_shim_fails_durability_calls_under_the_directory_only(tmp_path):
    """The shim on a bare process: with the flag on, fsync, an O_DSYNC write
    and a RWF_DSYNC pwritev2 under the directory fail with EIO and are
    counted; a plain write and an fsync outside the directory pass; with the
    flag off everything passes."""
    data = tmp_path / "data"
    data.mkdir()
    flag = str(tmp_path / "fsync.flag")
    script = textwrap.dedent("""
        import json, os, sys
        data, flag, outside = sys.argv[1:]
        def errno_of(call):
            try:
                call()
                return 0
            except OSError as e:
                return e.errno
        fd = os.open(os.path.join(data, "f"), os.O_WRONLY | os.O_CREAT)
        dsync = os.open(os.path.join(data, "d"), os.O_WRONLY | os.O_CREAT | os.O_DSYNC)
        out = os.open(outside, os.O_WRONLY | os.O_CREAT)
        calls = [lambda: os.fsync(fd), lambda: os.fdatasync(fd),
                 lambda: os.write(dsync, b"x"),
                 lambda: os.pwritev(fd, [b"x"], 0, os.RWF_DSYNC),
                 lambda: os.write(fd, b"x"), lambda: os.fsync(out)]
        before = [errno_of(c) for c in calls]
        open(flag, "w").close()
        during = [errno_of(c) for c in calls]
        os.unlink(flag)
        after = [errno_of(c) for c in calls]
        print(json.dumps([before, during, after]))
    """)
    env = {**os.environ, **faults.fsync_fault_env(str(data), flag)}
    out = subprocess.run([sys.executable, "-c", script, str(data), flag,
                          str(tmp_path / "outside")],
                         env=env, capture_output=True, text=True, check=True).stdout
    eio = 5
    assert json.loads(out) == [[0] * 6, [eio, eio, eio, eio, 0, 0], [0] * 6], out
    assert faults.injected_fsync_failures(flag) == 4


@pytest.mark.parametrize("aio", ["complete", "submit"])
def test_fsync_failure_fails_writes_and_heal_lets_them_succeed_again(aio):
    """One node under the shim: with the flag on a KV write through it does
    not succeed and the shim counts failed calls; after the heal (flag off,
    a restart if the node exited, and the harness's repair if it stays
    wedged, as the chaos runner would) writes succeed again and the write
    acknowledged before the fault is still there."""
    cl = chaos_cluster.Cluster(1, fsync_fault=True, shares=1, threshold=1).start()
    try:
        node = cl.nodes[0]
        kv = KVClient(node.address, cl.root, mount=chaos_cluster.KV_MOUNT, timeout=5)
        assert kv.write("fsync/before", "1").outcome == "ok"
        assert faults.injected_fsync_failures(node.fsync_flag) == 0
        fault = faults.FsyncFailure(node, restart=cl.restart, aio=aio)
        with fault:
            result = kv.write("fsync/during", "2")
            print(f"write under the fault: {result}")
            assert result.outcome != "ok", "a write was acknowledged while fsync failed"
            assert faults.injected_fsync_failures(node.fsync_flag) > 0
        print(f"calls failed: {fault.failures}; exited and restarted by the heal: "
              f"{fault.restarted} (exit code {fault.exit_code})")
        assert fault.failures > 0
        assert not os.path.exists(node.fsync_flag)
        recovered = chaos.wait_recovered(cl, f"fsync-{aio}", time.monotonic(), 20)
        print(f"recovered without a further restart: {recovered}")
        if recovered is None:
            print(f"restarted by repair: {chaos.repair(cl, print)}")
        kv = KVClient(node.address, cl.root, mount=chaos_cluster.KV_MOUNT, timeout=5)
        assert kv.write("fsync/after", "3").outcome == "ok"
        assert kv.read("fsync/before").result["value"] == "1"
        # Not asserted: the write answered while the fault held was not
        # acknowledged, so it may or may not have taken effect.
        print(f"the write sent under the fault, read after: {kv.read('fsync/during')}")
    finally:
        cl.close()


def test_a_leader_whose_log_cannot_be_written_steps_aside_and_stops():
    """The stuck-log watchdog (docs/raft.md, "A failing disk"): io_submit
    fails under the active node of 3, so libraft 0.15 never completes its
    log writes. Within 2 x 10 election timeouts the node hands leadership
    over and exits with code 74 (or the state store stops it first, when a
    commit meets the failing sync); another node becomes active and takes
    writes; restarted with a healthy disk, the node rejoins."""
    cl = chaos_cluster.Cluster(3, fsync_fault=True).start()
    try:
        old = cl.wait_active()
        others = [n for n in cl.nodes if n is not old]
        fault = faults.FsyncFailure(old, restart=cl.restart, aio="submit")
        with fault:
            kv = KVClient(old.address, cl.root, mount=chaos_cluster.KV_MOUNT, timeout=2)
            # Writes keep coming, as they would (the first may fail at once;
            # the later ones wait behind the append that never completes;
            # once another node leads, this one may forward them).
            def stopped():
                kv.write("stuck/during", "1")
                return old.proc.poll() is not None
            wait_for(stopped, timeout=40, what="the node with the stuck log to stop")
            assert old.proc.returncode == 74, old.proc.returncode
            # Whichever sees the failing disk first stops it: the watchdog
            # (after handing leadership over), or the state store when a
            # commit of entries that were in flight meets the failing sync.
            logs = old.logs()
            assert ("stored nothing of its log" in logs
                    or "the disk failed a state store commit" in logs), logs[-2000:]
            new = cl.wait_active(timeout=30)
            assert new in others
            kv = KVClient(new.address, cl.root, mount=chaos_cluster.KV_MOUNT, timeout=5)
            assert kv.write("stuck/after", "2").outcome == "ok"
        assert fault.restarted  # the heal restarted it, with the flag off
        wait_for(lambda: chaos.wait_recovered(cl, "stuck", time.monotonic(), 5) is not None,
                 timeout=60, what="the restarted node to take writes again")
    finally:
        cl.close()


# --- the fixed-seed chaos run kept in CI ----------------------------------------


def test_short_fixed_seed_chaos_run_loses_nothing_and_is_linearizable():
    args = chaos.parse_args(["--trials", "1", "--seconds", "12", "--seed", "20",
                             "--scenarios", "crash,asymmetric-partition", "--nodes", "3",
                             "--no-write"])
    mounts_before = chaos_mounts()
    rows, history_dir = chaos.run(args)
    print(chaos.render_text(rows, history_dir))
    for row in rows:
        assert row["trials"] == 1, row
        assert row["acknowledged"] > 0, row
        assert row["lost"] == 0, row["lost_examples"]
        assert row["linearizable"] is True, row["histories"]
    assert not chains_present() and chaos_mounts() == mounts_before
    assert not nfqueue_daemons()
