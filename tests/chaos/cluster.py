"""3- and 5-node Tresor raft clusters of real processes for the chaos harness.

Built on tests/integration/harness.py (TresorServer, join_and_unseal, voters,
active_node, wait_for). What a chaos node adds to a TresorServer:

  - its own group id (gid): the process runs with uid 0 and that gid, so the
    iptables owner match can tell its outgoing packets from the other nodes'
    on 127.0.0.1 (faults.Partition);
  - optionally its data directory on a small tmpfs of its own
    (faults.TmpfsMount), for faults.DiskFull;
  - optionally libfaketime in its environment, for faults.ClockJump;
  - optionally the fsync_fault.c shim in its environment (LD_PRELOAD, flag
    file off), for faults.FsyncFailure.

Every process, mount and directory is registered in the faults cleanup list,
so an interrupted run leaves nothing behind.
"""

import os
import random
import signal
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)

import harness  # noqa: E402
from harness import TresorServer, active_node, join_and_unseal, voters, wait_for  # noqa: E402,F401

import faults  # noqa: E402

KV_MOUNT = "kv"


class ChaosNode(TresorServer):
    def __init__(self, name, gid, disk_mb=None, faketime=False, fake_monotonic=False,
                 fsync_fault=False, **server_args):
        # The directory is the harness's own (removed by the cleanup list
        # after the tmpfs inside it is unmounted: cleanups run newest first).
        server_args.setdefault("workdir", faults.make_scratch_dir(f"tresor-chaos-{name}-"))
        super().__init__(storage="raft", **server_args)
        self.name = name
        self.gid = gid
        self.disk = None
        self.faketime_file = None
        self.fsync_flag = None
        self.exit_codes = []  # every exit seen by stop(): -9 after a kill
        if disk_mb:
            self.disk = faults.TmpfsMount(os.path.join(self.workdir, "disk"), disk_mb)
            self.data_dir = os.path.join(self.disk.path, "data")
            self.write_config()
        if faketime:
            self.faketime_file = os.path.join(self.workdir, "faketime.rc")
            self.env = {**self.env, **faults.faketime_env(self.faketime_file, fake_monotonic)}
        if fsync_fault:
            # The flag lives outside the data directory: only files under
            # it are failed.
            self.fsync_flag = os.path.join(self.workdir, "fsync-fault.flag")
            self.env = faults.merge_env(self.env,
                                        faults.fsync_fault_env(self.data_dir, self.fsync_flag))

    def _spawn(self):
        self._open_log()
        self.proc = subprocess.Popen([harness.BINARY, "server", f"-config={self.config_path}"],
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     env={**os.environ, **self.env}, group=self.gid)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGCONT)  # a paused node cannot exit
            except ProcessLookupError:
                pass
        code = super().stop(sig, timeout)
        if code is not None:
            self.exit_codes.append(code)
        return code

    def force_kill(self):
        """For the cleanup list: SIGKILL without waiting on anything."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass

    def close(self):
        """Stops the node (SIGTERM), unmounts its tmpfs, removes its directory.
        Returns the exit code (not asserted: the chaos runner reports it)."""
        code = self.stop()
        if self.disk is not None:
            self.disk.close()
        faults.remove_scratch_dir(self.workdir)
        return code

    def __repr__(self):
        return f"<{self.name} api={self.port} cluster={self.cluster_port} gid={self.gid}>"


class Cluster:
    """`size` raft nodes, initialised, unsealed, all voters, KV v2 at kv/.

        with Cluster(3) as c:
            leader = c.active()
            ...
    """

    def __init__(self, size, disk_mb=None, faketime=False, fake_monotonic=False,
                 fsync_fault=False, shares=3, threshold=2, storage_extra="", extra_config=""):
        self.size = size
        self.disk_mb = disk_mb
        self.faketime = faketime
        self.fake_monotonic = fake_monotonic
        self.fsync_fault = fsync_fault
        self.shares, self.threshold = shares, threshold
        self.storage_extra = storage_extra
        self.extra_config = extra_config
        self.nodes = []
        self.keys = None
        self.root = None
        self._token = None

    # --- life cycle ------------------------------------------------------------
    def start(self):
        gid_base = 40000 + random.randrange(0, 20000, 8)
        self._token = faults.register_cleanup(self._force_close, "chaos cluster processes")
        for i in range(self.size):
            node = ChaosNode(f"n{i + 1}", gid_base + i, disk_mb=self.disk_mb,
                             faketime=self.faketime, fake_monotonic=self.fake_monotonic,
                             fsync_fault=self.fsync_fault, storage_extra=self.storage_extra,
                             extra_config=self.extra_config)
            self.nodes.append(node)
        for node in self.nodes:
            node.start()
        first = self.nodes[0]
        init = first.init(self.shares, self.threshold)
        self.keys, self.root = init["keys"], init["root_token"]
        first.unseal(self.keys[:self.threshold])
        wait_for(lambda: first.api("GET", "sys/leader").json["is_self"], timeout=60,
                 what="the first node to become active")
        for node in self.nodes[1:]:
            join_and_unseal(node, first, self.keys[:self.threshold])
        wait_for(lambda: len(voters(first, self.root)) == self.size, timeout=90,
                 what="every node to be promoted to voter")
        r = first.api("POST", f"sys/mounts/{KV_MOUNT}",
                      {"type": "kv", "options": {"version": "2"}}, token=self.root)
        assert r.status == 204, r
        # Keep every version: the lost-write check reads each acknowledged one.
        r = first.api("POST", f"{KV_MOUNT}/config", {"max_versions": 1000000}, token=self.root)
        assert r.status in (200, 204), r
        return self

    def _force_close(self):
        for node in self.nodes:
            node.force_kill()
        for node in self.nodes:
            if node.disk is not None:
                node.disk._force_unmount()
            faults.remove_scratch_dir(node.workdir)

    def close(self):
        """Stops every node; returns {name: exit code}."""
        codes = {}
        for node in self.nodes:
            try:
                codes[node.name] = node.close()
            except Exception as e:  # keep closing the others
                codes[node.name] = f"close failed: {e}"
                # A node that ignored SIGTERM (wedged) must not outlive
                # the cluster once its cleanup is unregistered below.
                node.force_kill()
                if node.disk is not None:
                    node.disk._force_unmount()
                faults.remove_scratch_dir(node.workdir)
        if self._token is not None:
            faults.unregister_cleanup(self._token)
            self._token = None
        return codes

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    # --- helpers ---------------------------------------------------------------
    def running(self):
        return [n for n in self.nodes if n.proc is not None]

    def active(self):
        """The node that reports itself active now, or None."""
        try:
            return active_node(self.running())
        except OSError:
            return None

    def wait_active(self, timeout=60):
        def find():
            for n in self.running():
                try:
                    r = n.api("GET", "sys/leader", timeout=2)
                except OSError:
                    continue
                if r.status == 200 and r.json.get("is_self"):
                    return n
            return None
        return wait_for(find, timeout=timeout, interval=0.05, what="an active node")

    def restart(self, node):
        """Starts a stopped node again and unseals it."""
        node.start()
        node.unseal(self.keys[:self.threshold])
        return node

    def node_by_name(self, name):
        return next(n for n in self.nodes if n.name == name)

    def api_ok(self, node, timeout=2):
        """True when node answers sys/health as an unsealed member (200 active,
        429 standby)."""
        if node.proc is None:
            return False
        try:
            r = node.api("GET", "sys/health", timeout=timeout)
        except OSError:
            return False
        return r.status in (200, 429, 473)
