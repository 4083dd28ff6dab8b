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
  Netem(ports, ...)     added latency, jitter and loss on packets from or to
                        the given ports on lo only. This kernel has no netem
                        qdisc (tc knows only htb, clsact and ingress here), so
                        an iptables NFQUEUE rule hands those packets to a
                        small daemon (this file, `nfqueue-delay`) that gives
                        each its verdict after the delay, or drops it. The
                        rest of loopback is untouched.
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
first use.

  FsyncFailure(node)    the node runs with an LD_PRELOAD shim (fsync_fault.c,
                        compiled by the harness) and, while a flag file
                        exists, every durability call on a file under its
                        data directory fails with EIO: fsync, fdatasync,
                        sync_file_range, msync, O_DSYNC / RWF_DSYNC writes,
                        and the kernel-AIO writes of libraft's log (their
                        completion reports -EIO; or io_submit fails). Inject
                        creates the flag, heal removes it and, when the node
                        exited meanwhile (a process may rightly crash on a
                        failed fsync), restarts and unseals it. It fails the
                        call only: data already in the page cache stays
                        readable, which a failing disk would not promise.

device-mapper (dm-flakey / dm-error over a loop device) would fail the disk
itself, but is not available in this container (no /dev/mapper/control, no
dm module); dm_available() says whether a machine could do it.
"""

import atexit
import itertools
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

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


def _iptables_batch(commands):
    """Applies iptables commands to the filter table in one transaction
    (iptables-restore --noflush): all of them take effect at once, or none."""
    script = "*filter\n" + "".join(" ".join(shlex.quote(a) for a in c) + "\n"
                                    for c in commands) + "COMMIT\n"
    subprocess.run(["iptables-restore", "-w", "5", "--noflush"], input=script, text=True,
                   check=True, capture_output=True)


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


# A partition marks the connections it cuts (conntrack's mark, set in
# OUTPUT by the first packet the sending node's gid sends on them) and drops
# every packet of those connections on arrival (INPUT), in both directions:
# packets leave their sockets and are lost on the way, as in a real network.
# A DROP in OUTPUT would fail the send locally instead (TCP then holds the
# bytes unsent, with nothing in flight), and an owner match alone misses the
# retransmissions of a socket already closed (the kernel keeps sending what
# it holds, and owns it no more). Each partition has its own mark value, so
# a connection marked by an earlier, healed one is not cut by the next.
PARTITION_MARK_MASK = 0xff0000
_partition_marks = itertools.count()


def _next_partition_mark():
    return f"{(next(_partition_marks) % 255 + 1) << 16:#x}/{PARTITION_MARK_MASK:#x}"


class _IptablesFault(Fault):
    """A set of rules, each (chain kind "in"|"out", [match args]) dropping
    what matches, or (kind, [match args], [target args]); inject appends
    them, heal deletes exactly them."""

    def rules(self):
        raise NotImplementedError

    def _rule_args(self):
        inbound, outbound = chain_names()
        for kind, match, *target in self.rules():
            yield (inbound if kind == "in" else outbound), [*match, "-j",
                                                            *(target[0] if target else ["DROP"])]

    def _inject(self):
        _ensure_chains()
        _iptables_batch([["-A", chain, *args] for chain, args in self._rule_args()])

    def _heal(self):
        # One batch, as inject: a partition healed rule by rule would be
        # half open for as long as the commands take.
        commands = [["-D", chain, *args] for chain, args in self._rule_args()]
        try:
            _iptables_batch(commands)
        except subprocess.CalledProcessError:
            for command in commands:  # some were gone already: delete the rest
                _iptables(*command, check=False)


def _node_name(node):
    return getattr(node, "name", f"node:{node.cluster_port}")


class Partition(_IptablesFault):
    """Symmetric partition between nodes a and b: neither reaches the other's
    cluster port (each node's connections are told by its gid, marked, and
    their packets lost on arrival: see PARTITION_MARK_MASK)."""

    name = "symmetric partition"

    def __init__(self, a, b):
        super().__init__()
        self.a, self.b = a, b
        self.mark = _next_partition_mark()

    def describe(self):
        return f"partition {_node_name(self.a)} <-/-> {_node_name(self.b)}"

    def rules(self):
        marks = [("out", ["-o", "lo", "-m", "owner", "--gid-owner", str(x.gid),
                          "-p", "tcp", "--dport", str(y.cluster_port)],
                  ["CONNMARK", "--set-xmark", self.mark])
                 for x, y in ((self.a, self.b), (self.b, self.a))]
        return marks + [("in", ["-i", "lo", "-m", "connmark", "--mark", self.mark])]


class Isolate(_IptablesFault):
    """Symmetric partition of node `a` from every node in `others`."""

    name = "symmetric partition"

    def __init__(self, a, others):
        super().__init__()
        self.a = a
        self.others = [o for o in others if o is not a]
        self.parts = [Partition(a, o) for o in self.others]

    def describe(self):
        return (f"isolate {_node_name(self.a)} from "
                + ",".join(_node_name(o) for o in self.others))

    def rules(self):
        return [rule for part in self.parts for rule in part.rules()]


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


# --- latency and loss ------------------------------------------------------------
#
# This kernel has no netem qdisc (nor prio, sfq, tbf: only htb, clsact and
# ingress), so `tc netem` cannot add latency here. Instead the packets to or
# from the chosen ports on lo go to an NFQUEUE (an iptables rule in the
# harness's OUTPUT chain, with --queue-bypass: when nothing listens, packets
# pass), and a small daemon (this file run as a script, `nfqueue-delay`)
# gives each packet its verdict `delay_ms` (± jitter) later, or drops it with
# probability loss_pct. Every other loopback packet is untouched. Heal
# removes the rule, then stops the daemon (which accepts what it still holds).

NFQUEUE_LIB = "libnetfilter_queue.so.1"
_queue_numbers = itertools.count(4000 + os.getpid() % 1000 * 16)


class Netem(Fault):
    """Latency / jitter / loss on loopback packets from or to `ports` only
    (an NFQUEUE delay daemon; see above)."""

    name = "latency and loss"

    def __init__(self, ports, delay_ms=100, jitter_ms=0, loss_pct=0.0):
        super().__init__()
        self.ports = list(ports)
        self.delay_ms, self.jitter_ms, self.loss_pct = delay_ms, jitter_ms, loss_pct
        self.queue = next(_queue_numbers)
        self.daemon = None

    def describe(self):
        return (f"delay {self.delay_ms}ms ±{self.jitter_ms}ms loss {self.loss_pct}% "
                f"on ports {self.ports} (NFQUEUE {self.queue})")

    def _rule(self):
        _, outbound = chain_names()
        return [outbound, "-o", "lo", "-p", "tcp", "-m", "multiport", "--ports",
                ",".join(str(p) for p in self.ports), "-j", "NFQUEUE", "--queue-num",
                str(self.queue), "--queue-bypass"]

    def _inject(self):
        _ensure_chains()
        self.daemon = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "nfqueue-delay", str(self.queue),
             str(self.delay_ms), str(self.jitter_ms), str(self.loss_pct)],
            stdout=subprocess.PIPE, text=True)
        line = self.daemon.stdout.readline().strip()
        if line != "ready":
            self.daemon.kill()
            raise RuntimeError(f"the NFQUEUE delay daemon did not start: {line!r}")
        _iptables("-A", *self._rule())

    def _heal(self):
        _iptables("-D", *self._rule(), check=False)
        if self.daemon is not None and self.daemon.poll() is None:
            self.daemon.terminate()
            try:
                self.daemon.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.daemon.kill()
                self.daemon.wait()
        self.daemon = None


def _nfqueue_delay_daemon(queue, delay_ms, jitter_ms, loss_pct):
    """Binds NFQUEUE `queue` and gives each packet its verdict later (ACCEPT
    after delay ± jitter, or DROP with probability loss_pct). One thread:
    select() on the netlink socket with a timeout to the next due verdict."""
    import ctypes
    import heapq
    import random
    import select
    import socket as socket_module
    import struct

    lib = ctypes.CDLL(NFQUEUE_LIB, use_errno=True)
    lib.nfq_open.restype = ctypes.c_void_p
    lib.nfq_create_queue.restype = ctypes.c_void_p
    lib.nfq_get_msg_packet_hdr.restype = ctypes.c_void_p
    lib.nfq_get_msg_packet_hdr.argtypes = [ctypes.c_void_p]
    lib.nfq_set_verdict.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint32,
                                    ctypes.c_uint32, ctypes.c_void_p]
    lib.nfq_handle_packet.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.nfq_fd.argtypes = [ctypes.c_void_p]
    lib.nfq_bind_pf.argtypes = [ctypes.c_void_p, ctypes.c_uint16]
    lib.nfq_set_mode.argtypes = [ctypes.c_void_p, ctypes.c_uint8, ctypes.c_uint]
    lib.nfq_set_queue_maxlen.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    lib.nfq_destroy_queue.argtypes = [ctypes.c_void_p]
    lib.nfq_close.argtypes = [ctypes.c_void_p]
    callback_type = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                     ctypes.c_void_p, ctypes.c_void_p)
    lib.nfq_create_queue.argtypes = [ctypes.c_void_p, ctypes.c_uint16, callback_type,
                                     ctypes.c_void_p]
    rng = random.Random()
    due = []  # heap of (time, seq, packet id, verdict)
    seq = itertools.count()
    now = time.monotonic

    def on_packet(qh, nfmsg, nfad, data):
        header = lib.nfq_get_msg_packet_hdr(nfad)
        packet_id = struct.unpack("!I", ctypes.string_at(header, 4))[0]
        if loss_pct and rng.random() * 100 < loss_pct:
            heapq.heappush(due, (0.0, next(seq), packet_id, 0))  # NF_DROP
        else:
            wait = max(0.0, (delay_ms + rng.uniform(-jitter_ms, jitter_ms)) / 1000)
            heapq.heappush(due, (now() + wait, next(seq), packet_id, 1))  # NF_ACCEPT
        return 0

    callback = callback_type(on_packet)
    handle = lib.nfq_open()
    if not handle:
        print("nfq_open failed", flush=True)
        return 1
    lib.nfq_bind_pf(handle, socket_module.AF_INET)
    qh = lib.nfq_create_queue(handle, queue, callback, None)
    if not qh:
        print(f"nfq_create_queue {queue} failed: errno {ctypes.get_errno()}", flush=True)
        return 1
    lib.nfq_set_mode(qh, 1, 0)  # NFQNL_COPY_META: the verdict needs no payload
    lib.nfq_set_queue_maxlen(qh, 100000)
    fd = lib.nfq_fd(handle)
    # Exit with the harness even if it is killed with -9 (PR_SET_PDEATHSIG).
    ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *a: stopping.append(True))
    buf = ctypes.create_string_buffer(65536)
    print("ready", flush=True)
    while not stopping:
        timeout = max(0.0, due[0][0] - now()) if due else 0.5
        try:
            readable, _, _ = select.select([fd], [], [], timeout)
        except InterruptedError:
            continue
        if readable:
            try:
                n = os.read(fd, 65536)
            except OSError:
                n = b""  # ENOBUFS: the kernel dropped messages; go on
            if n:
                ctypes.memmove(buf, n, len(n))
                lib.nfq_handle_packet(handle, buf, len(n))
        t = now()
        while due and due[0][0] <= t:
            _, _, packet_id, verdict = heapq.heappop(due)
            lib.nfq_set_verdict(qh, packet_id, verdict, 0, None)
    while due:  # accept what is still held
        _, _, packet_id, _ = heapq.heappop(due)
        lib.nfq_set_verdict(qh, packet_id, 1, 0, None)
    lib.nfq_destroy_queue(qh)
    lib.nfq_close(handle)
    return 0


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


# --- failing fsync -------------------------------------------------------------

FSYNC_SHIM_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fsync_fault.c")
_fsync_shim = None
_fsync_shim_lock = threading.Lock()


def fsync_shim():
    """The path of fsync_fault.so, compiled on first use into a scratch
    directory the cleanup list removes at exit."""
    global _fsync_shim
    with _fsync_shim_lock:
        if _fsync_shim is None:
            if shutil.which("cc") is None:
                raise RuntimeError("the fsync shim needs a C compiler: install gcc (cc)")
            out = os.path.join(make_scratch_dir("tresor-chaos-fsync-shim-"), "fsync_fault.so")
            run("cc", "-shared", "-fPIC", "-O2", "-o", out, FSYNC_SHIM_SOURCE, "-ldl")
            _fsync_shim = out
        return _fsync_shim


def fsync_fault_env(data_dir, flag_file):
    """The environment that runs a process under the shim: durability calls
    on files under data_dir fail with EIO while flag_file exists."""
    return {"LD_PRELOAD": fsync_shim(),
            "TRESOR_FSYNC_FAULT_DIR": os.path.realpath(data_dir),
            "TRESOR_FSYNC_FAULT_FLAG": flag_file,
            # An ASan build insists on coming first in the library list.
            "ASAN_OPTIONS": (os.environ.get("ASAN_OPTIONS", "") + ":verify_asan_link_order=0"
                             ).lstrip(":")}


def merge_env(env, extra):
    """env updated with extra, LD_PRELOAD lists joined rather than replaced."""
    out = {**env, **extra}
    if env.get("LD_PRELOAD") and extra.get("LD_PRELOAD"):
        out["LD_PRELOAD"] = env["LD_PRELOAD"] + ":" + extra["LD_PRELOAD"]
    return out


def injected_fsync_failures(flag_file):
    """How many calls the shim has failed so far (a line each in <flag>.count)."""
    try:
        with open(flag_file + ".count", "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


class FsyncFailure(Fault):
    """Durability calls on the node's data directory fail with EIO while the
    fault lasts (the node must run under the shim: cluster.py fsync_fault).
    Heal removes the flag; if the node exited meanwhile, it is restarted
    through restart(node) (the cluster's restart, which unseals it), and
    `restarted` / `exit_code` say so. `failures`: calls failed by the shim
    during the fault.

    aio: how libraft's kernel-AIO log writes fail. "complete" (the default):
    the write is done and its completion event says -EIO, which is how the
    kernel reports a failed direct write; "submit": io_submit itself fails
    with EIO (the flag file's content tells the shim)."""

    name = "fsync failure"

    def __init__(self, node, restart=None, aio="complete"):
        super().__init__()
        if aio not in ("complete", "submit"):
            raise ValueError(f"aio must be complete or submit, not {aio!r}")
        self.node = node
        self.restart = restart
        self.aio = aio
        self.restarted = False
        self.exit_code = None
        self.failures = 0
        self._count_before = 0

    def describe(self):
        return f"fsync failure under {_node_name(self.node)} (AIO fails at {self.aio})"

    def _flag(self):
        flag = getattr(self.node, "fsync_flag", None)
        if flag is None:
            raise RuntimeError("the node was not started under the fsync shim")
        return flag

    def _inject(self):
        flag = self._flag()
        self._count_before = injected_fsync_failures(flag)
        # Whole or absent: the shim reads the mode from the flag's content.
        with open(flag + ".tmp", "w") as f:
            f.write(self.aio + "\n")
        os.replace(flag + ".tmp", flag)

    def _remove_flag(self):
        try:
            os.unlink(self._flag())
        except FileNotFoundError:
            pass

    def _heal(self):
        self._remove_flag()
        self.failures = injected_fsync_failures(self._flag()) - self._count_before
        proc = self.node.proc
        if proc is not None and proc.poll() is not None:
            self.exit_code = self.node.stop()  # reaps it; the node keeps the code
            self.restarted = True
            (self.restart or (lambda n: n.start()))(self.node)

    def _emergency_heal(self):
        self._remove_flag()  # the cluster's own cleanup stops the processes


# --- device-mapper (not available here) -------------------------------------------


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


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "nfqueue-delay":
        sys.exit(_nfqueue_delay_daemon(int(sys.argv[2]), float(sys.argv[3]),
                                       float(sys.argv[4]), float(sys.argv[5])))
    sys.exit(f"usage: {sys.argv[0]} nfqueue-delay QUEUE DELAY_MS JITTER_MS LOSS_PCT")
