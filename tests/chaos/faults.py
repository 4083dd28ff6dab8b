"""Faults the chaos harness injects into real Tresor processes on loopback.

Every fault is a context manager (inject on enter, heal on exit) and can also
be driven by hand with inject() / heal(); heal() is idempotent. Whatever a
fault changes on the machine (an iptables rule, a tc qdisc, a mount, a
stopped process, a ballast file) is registered in one process-wide cleanup
list while it exists, and that list runs at interpreter exit (atexit) and on
SIGINT / SIGTERM / SIGHUP, so a failing test or a Ctrl-C leaves nothing
behind. Cleanups run last-in first-out and never raise.

Faults:
  Kill(node)            kill -9; heal restarts the node (and unseals it, through
                        the `restart` callable the cluster gives).
  Pause(node)           SIGSTOP; heal is SIGCONT.
  Partition(a, b)       symmetric: a cannot reach b and b cannot reach a, on the
                        cluster port. Nodes run on 127.0.0.1, so a packet's
                        sender is told by the socket owner's group: each chaos
                        node runs under its own gid (cluster.py) and the rule
                        is `-o lo -m owner --gid-owner GID -p tcp --dport PORT
                        -j DROP` in the OUTPUT chain.
  Isolate(a, others)    symmetric: `a` against every node of `others`.
  InboundDrop(a)        asymmetric: every packet to a's cluster port is dropped
                        (`-i lo -p tcp --dport PORT -j DROP` in INPUT), while
                        a's own outbound connections still flow: a still sends
                        heartbeats and appends but hears nothing back (raft
                        over libraft's uv transport sends each direction on
                        the sender's own connection).
  Netem(ports, ...)     added latency, jitter and loss with tc netem on lo,
                        confined to packets from or to the given ports: a prio
                        qdisc at the root of lo whose extra fourth band is the
                        netem qdisc, and u32 filters sending only those ports
                        to it. The rest of loopback is untouched.
  DiskFull(node)        the node's data directory sits on a small tmpfs the
                        harness mounted (TmpfsMount, made by cluster.py before
                        the node starts); inject fills it with a ballast file
                        until ENOSPC, heal removes the ballast.
  ClockJump(node, s)    the node runs under libfaketime (LD_PRELOAD) with a
                        timestamp file the harness rewrites: inject writes an
                        offset of `s` seconds to the wall clock
                        (CLOCK_REALTIME, which std::chrono::system_clock and
                        so common::Clock::Now read); heal writes +0.
                        Monotonic time is left alone unless asked
                        (fake_monotonic in cluster.py), as a real clock step
                        moves only the wall clock.

iptables rules live in two chains of this process's own, TRESOR_CHAOS_<pid>
(jumped to from INPUT) and TRESOR_CHAOS_O_<pid> (from OUTPUT: owner matches
are only valid there); cleanup unhooks, flushes and deletes them. Chains left
by a harness process that no longer exists (killed with -9) are swept on the
first use. `make chaos` and the tests run one harness at a time per machine
for netem (lo has one root qdisc).

Failing fsync at process level: device-mapper (dm-flakey / dm-error over a
loop device) is not available in this container (no /dev/mapper/control, no
dm module), so FsyncFailure is not offered; the in-process fault-injecting
storage (src/storage/fault/) covers a failing fsync. dm_available() says
whether a machine could do it.
"""

import atexit
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading

# --- the cleanup list --------------------------------------------------------

_cleanup_lock = threading.RLock()
_cleanups = {}  # token -> (description, function), in registration order
_tokens = itertools.count()
_installed = False
_previous_handlers = {}


def register_cleanup(function, description=""):
    """Registers function() to run at exit or on a fatal signal; returns a
    token for unregister_cleanup. Installs the handlers on first use."""
    _install_handlers()
    with _cleanup_lock:
        token = next(_tokens)
        _cleanups[token] = (description, function)
        return token


def unregister_cleanup(token):
    with _cleanup_lock:
        _cleanups.pop(token, None)


def pending_cleanups():
    """Descriptions of what is still registered (for tests)."""
    with _cleanup_lock:
        return [d for d, _ in _cleanups.values()]


def run_cleanups():
    """Runs every registered cleanup, newest first; never raises."""
    with _cleanup_lock:
        items = list(_cleanups.items())
        _cleanups.clear()
    for _, (description, function) in reversed(items):
        try:
            function()
        except Exception as e:  # a cleanup must not stop the others
            print(f"chaos cleanup {description!r} failed: {e}", file=sys.stderr)


def _on_signal(signum, frame):
    run_cleanups()
    previous = _previous_handlers.get(signum)
    if callable(previous):
        previous(signum, frame)
        return
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install_handlers():
    global _installed
    with _cleanup_lock:
        if _installed:
            return
        _installed = True
        atexit.register(run_cleanups)
    if threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        previous = signal.getsignal(signum)
        if previous is signal.default_int_handler:
            previous = None  # ours raises KeyboardInterrupt after the cleanup
        _previous_handlers[signum] = previous
        signal.signal(signum, _on_signal)


def run(*args, check=True):
    """Runs a command; returns its stdout (text)."""
    p = subprocess.run(args, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({p.returncode}): {p.stderr.strip()}")
    return p.stdout


# --- faults ------------------------------------------------------------------


class Fault:
    """Base: inject() once, heal() idempotently; a context manager."""

    name = "fault"

    def __init__(self):
        self.active = False
        self._token = None

    def describe(self):
        return self.name

    def inject(self):
        if self.active:
            return self
        self._token = register_cleanup(self._cleanup, self.describe())
        self.active = True
        try:
            self._inject()
        except BaseException:
            self.heal()
            raise
        return self

    def heal(self):
        if not self.active:
            return
        self.active = False
        try:
            self._heal()
        finally:
            unregister_cleanup(self._token)

    def _cleanup(self):
        # At exit or on a signal: undo without anything that could block.
        if self.active:
            self.active = False
            self._emergency_heal()

    def _emergency_heal(self):
        self._heal()

    def _inject(self):
        raise NotImplementedError

    def _heal(self):
        raise NotImplementedError

    def __enter__(self):
        return self.inject()

    def __exit__(self, *exc):
        self.heal()
        return False


class Kill(Fault):
    """kill -9 of a node; heal calls restart(node) (the cluster's restart,
    which starts and unseals it), or node.start() when none is given."""

    name = "kill -9"

    def __init__(self, node, restart=None):
        super().__init__()
        self.node = node
        self.restart = restart

    def describe(self):
        return f"kill -9 of {getattr(self.node, 'name', self.node.port)}"

    def _inject(self):
        self.node.kill()

    def _heal(self):
        if self.node.proc is None:
            (self.restart or (lambda n: n.start()))(self.node)

    def _emergency_heal(self):
        pass  # nothing left on the machine; the cluster's own cleanup stops nodes


class Pause(Fault):
    """SIGSTOP of a node; heal is SIGCONT."""

    name = "SIGSTOP"

    def __init__(self, node):
        super().__init__()
        self.node = node
        self.pid = None

    def describe(self):
        return f"SIGSTOP of pid {self.node.pid}"

    def _inject(self):
        self.pid = self.node.pid
        os.kill(self.pid, signal.SIGSTOP)

    def _heal(self):
        try:
            os.kill(self.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass


# --- iptables ----------------------------------------------------------------

_chain_lock = threading.Lock()
_chains_ready = False
_CHAIN_PREFIXES = ("TRESOR_CHAOS_O_", "TRESOR_CHAOS_")


def chain_names(pid=None):
    pid = os.getpid() if pid is None else pid
    return f"TRESOR_CHAOS_{pid}", f"TRESOR_CHAOS_O_{pid}"


def _iptables(*args, check=True):
    return run("iptables", "-w", "5", *args, check=check)


def _remove_chains(pid):
    inbound, outbound = chain_names(pid)
    for parent, chain in (("INPUT", inbound), ("OUTPUT", outbound)):
        while subprocess.run(["iptables", "-w", "5", "-C", parent, "-j", chain],
                             capture_output=True).returncode == 0:
            _iptables("-D", parent, "-j", chain)
        _iptables("-F", chain, check=False)
        _iptables("-X", chain, check=False)


def _sweep_stale_chains():
    """Removes the chains of harness processes that no longer exist."""
    listing = _iptables("-S", check=False) or ""
    pids = set()
    for match in re.finditer(r"^-N TRESOR_CHAOS_(?:O_)?(\d+)$", listing, re.M):
        pids.add(int(match.group(1)))
    for pid in pids:
        if pid != os.getpid() and not os.path.exists(f"/proc/{pid}"):
            _remove_chains(pid)


def _ensure_chains():
    global _chains_ready
    with _chain_lock:
        if _chains_ready:
            return
        _sweep_stale_chains()
        inbound, outbound = chain_names()
        _iptables("-N", inbound)
        _iptables("-N", outbound)
        _iptables("-I", "INPUT", "1", "-j", inbound)
        _iptables("-I", "OUTPUT", "1", "-j", outbound)
        _chains_ready = True
        register_cleanup(remove_chains, "iptables chains " + " ".join(chain_names()))


def remove_chains():
    global _chains_ready
    with _chain_lock:
        _remove_chains(os.getpid())
        _chains_ready = False


class _IptablesFault(Fault):
    """A set of rules, each (chain kind "in"|"out", [match args]); inject
    appends them, heal deletes exactly them."""

    def rules(self):
        raise NotImplementedError

    def _rule_args(self):
        inbound, outbound = chain_names()
        for kind, match in self.rules():
            yield (inbound if kind == "in" else outbound), [*match, "-j", "DROP"]

    def _inject(self):
        _ensure_chains()
        for chain, args in self._rule_args():
            _iptables("-A", chain, *args)

    def _heal(self):
        for chain, args in self._rule_args():
            _iptables("-D", chain, *args, check=False)


def _node_name(node):
    return getattr(node, "name", f"node:{node.cluster_port}")


class Partition(_IptablesFault):
    """Symmetric partition between nodes a and b: neither reaches the other's
    cluster port (each node's outgoing packets are told by its gid)."""

    name = "symmetric partition"

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b

    def describe(self):
        return f"partition {_node_name(self.a)} <-/-> {_node_name(self.b)}"

    def rules(self):
        return [("out", ["-o", "lo", "-m", "owner", "--gid-owner", str(x.gid),
                         "-p", "tcp", "--dport", str(y.cluster_port)])
                for x, y in ((self.a, self.b), (self.b, self.a))]


class Isolate(_IptablesFault):
    """Symmetric partition of node `a` from every node in `others`."""

    name = "symmetric partition"

    def __init__(self, a, others):
        super().__init__()
        self.a = a
        self.others = [o for o in others if o is not a]

    def describe(self):
        return (f"isolate {_node_name(self.a)} from "
                + ",".join(_node_name(o) for o in self.others))

    def rules(self):
        out = []
        for o in self.others:
            out += Partition(self.a, o).rules()
        return out


class InboundDrop(_IptablesFault):
    """Asymmetric partition: every packet to node a's cluster port is dropped;
    a's outbound traffic still flows."""

    name = "asymmetric partition"

    def __init__(self, a):
        super().__init__()
        self.a = a

    def describe(self):
        return f"drop inbound to {_node_name(self.a)} cluster port {self.a.cluster_port}"

    def rules(self):
        return [("in", ["-i", "lo", "-p", "tcp", "--dport", str(self.a.cluster_port)])]


class PortDrop(_IptablesFault):
    """Drops every packet to a TCP port on loopback (used by the tests to
    show a rule bites on a bare socket)."""

    name = "port drop"

    def __init__(self, port):
        super().__init__()
        self.port = port

    def describe(self):
        return f"drop inbound to port {self.port}"

    def rules(self):
        return [("in", ["-i", "lo", "-p", "tcp", "--dport", str(self.port)])]


# --- tc netem ----------------------------------------------------------------


class Netem(Fault):
    """Latency / jitter / loss on loopback packets from or to `ports` only."""

    name = "latency and loss"

    def __init__(self, ports, delay_ms=100, jitter_ms=0, loss_pct=0.0):
        super().__init__()
        self.ports = list(ports)
        self.delay_ms, self.jitter_ms, self.loss_pct = delay_ms, jitter_ms, loss_pct

    def describe(self):
        return (f"netem delay {self.delay_ms}ms ±{self.jitter_ms}ms loss {self.loss_pct}% "
                f"on ports {self.ports}")

    def _inject(self):
        shown = run("tc", "qdisc", "show", "dev", "lo")
        if "prio" in shown or "netem" in shown:
            raise RuntimeError(f"lo already has a qdisc of another harness: {shown.strip()}")
        # Bands 1:1-1:3 keep the default priomap; 1:4 is only reached by the
        # filters below.
        run("tc", "qdisc", "add", "dev", "lo", "root", "handle", "1:", "prio", "bands", "4",
            "priomap", "1", "2", "2", "2", "1", "2", "0", "0", "1", "1", "1", "1", "1", "1",
            "1", "1")
        netem = ["tc", "qdisc", "add", "dev", "lo", "parent", "1:4", "handle", "40:",
                 "netem", "limit", "100000", "delay", f"{self.delay_ms}ms"]
        if self.jitter_ms:
            netem += [f"{self.jitter_ms}ms"]
        if self.loss_pct:
            netem += ["loss", f"{self.loss_pct}%"]
        run(*netem)
        for port in self.ports:
            for field in ("sport", "dport"):
                run("tc", "filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip",
                    "prio", "1", "u32", "match", "ip", field, str(port), "0xffff",
                    "flowid", "1:4")

    def _heal(self):
        run("tc", "qdisc", "del", "dev", "lo", "root", check=False)


# --- filesystems ---------------------------------------------------------------


class TmpfsMount:
    """A tmpfs of `size_mb` mounted at `path` (created), unmounted by close()
    or by the cleanup list."""

    def __init__(self, path, size_mb=64):
        self.path = path
        self.size_mb = size_mb
        os.makedirs(path, exist_ok=True)
        run("mount", "-t", "tmpfs", "-o", f"size={size_mb}m,mode=0755", "tmpfs", path)
        self._token = register_cleanup(self._force_unmount, f"tmpfs at {path}")

    def _force_unmount(self):
        run("umount", "-l", self.path, check=False)

    def close(self):
        if self._token is None:
            return
        run("umount", self.path, check=False)
        if os.path.ismount(self.path):
            run("umount", "-l", self.path, check=False)
        unregister_cleanup(self._token)
        self._token = None

    def free_bytes(self):
        st = os.statvfs(self.path)
        return st.f_bavail * st.f_frsize


def is_mounted(path):
    with open("/proc/mounts") as f:
        return any(line.split()[1] == path for line in f)


class DiskFull(Fault):
    """Fills the tmpfs under node.disk (a TmpfsMount) with a ballast file
    until writes fail with ENOSPC; heal deletes the ballast."""

    name = "disk full"

    def __init__(self, node, keep_bytes=0):
        super().__init__()
        self.node = node
        self.keep_bytes = keep_bytes
        self.ballast = os.path.join(node.disk.path, "chaos-ballast")

    def describe(self):
        return f"disk full under {self.node.disk.path}"

    def _inject(self):
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            free = self.node.disk.free_bytes() - self.keep_bytes
            if free > 0:
                try:
                    os.posix_fallocate(fd, 0, free)
                except OSError:
                    pass
            if self.keep_bytes == 0:
                os.lseek(fd, 0, os.SEEK_END)
                chunk = b"\0" * 4096
                try:
                    while os.write(fd, chunk) > 0:
                        pass
                except OSError:
                    pass  # ENOSPC: full
        finally:
            os.close(fd)

    def _heal(self):
        try:
            os.unlink(self.ballast)
        except FileNotFoundError:
            pass


# --- clock ---------------------------------------------------------------------

FAKETIME_LIB_CANDIDATES = (
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
)


def faketime_library():
    for path in FAKETIME_LIB_CANDIDATES:
        if os.path.exists(path):
            return path
    return None


def faketime_env(timestamp_file, fake_monotonic=False):
    """The environment that makes a process read its wall clock through
    libfaketime with an offset taken from timestamp_file (re-read about once a
    second, FAKETIME_CACHE_DURATION=1)."""
    lib = faketime_library()
    if lib is None:
        raise RuntimeError("libfaketime is missing: run scripts/install-chaos-deps")
    with open(timestamp_file, "w") as f:
        f.write("+0\n")
    env = {"LD_PRELOAD": lib, "FAKETIME_TIMESTAMP_FILE": timestamp_file,
           "FAKETIME_CACHE_DURATION": "1"}
    if not fake_monotonic:
        env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    # An ASan build insists on coming first in the library list.
    env["ASAN_OPTIONS"] = (os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
                           ).lstrip(":")
    return env


class ClockJump(Fault):
    """Moves a node's wall clock by `seconds` (positive or negative) through
    its libfaketime timestamp file; heal moves it back."""

    name = "clock jump"

    def __init__(self, node, seconds):
        super().__init__()
        self.node = node
        self.seconds = seconds

    def describe(self):
        return f"clock of {_node_name(self.node)} {self.seconds:+g} s"

    def _write(self, offset):
        path = self.node.faketime_file
        if path is None:
            raise RuntimeError("the node was not started under libfaketime")
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{offset:+g}\n")
        os.replace(tmp, path)

    def _inject(self):
        self._write(self.seconds)

    def _heal(self):
        self._write(0)


# --- failing fsync (not available here) ----------------------------------------


def dm_available():
    """True when device-mapper can be driven (dm-flakey over a loop device)."""
    return (os.path.exists("/dev/mapper/control") and shutil.which("dmsetup") is not None
            and subprocess.run(["dmsetup", "version"], capture_output=True).returncode == 0)


def iptables_rules():
    """`iptables -S` of the filter table (for tests)."""
    return _iptables("-S")


_scratch_dirs = {}  # path -> cleanup token


def make_scratch_dir(prefix="tresor-chaos-"):
    """A temporary directory that the cleanup list removes (after anything
    mounted inside it that was registered later: cleanups run newest first)."""
    path = tempfile.mkdtemp(prefix=prefix)
    _scratch_dirs[path] = register_cleanup(
        lambda: shutil.rmtree(path, ignore_errors=True), f"directory {path}")
    return path


def remove_scratch_dir(path):
    token = _scratch_dirs.pop(path, None)
    shutil.rmtree(path, ignore_errors=True)
    if token is not None:
        unregister_cleanup(token)
