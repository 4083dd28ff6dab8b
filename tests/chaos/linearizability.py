"""Linearizability checker for histories of KV v2 reads, writes and cas writes.

Model: every key is an independent register holding (version, value); a
missing key is version 0 with no value. KV v2 versions start at 1 and every
successful write adds one.

  read        ok: observes exactly the state: (version, value), or "missing"
              (result null) which means version 0.
  write(v)    ok: state -> (version + 1, v); the returned version must be
              version + 1.
  cas(v, n)   ok: only when version == n; state -> (n + 1, v); returned
              version n + 1.
  cas fail    with result {"cas_mismatch": true}: an observation that the
              version was not n at some instant of the op's interval (checked
              like a read that changes nothing). Other failures are dropped.
  write fail  dropped: it never took effect.
  unknown     write / cas: may take effect at any instant after its invoke, or
              never (its end is +infinity and it is optional). An unknown read
              observed nothing and is dropped.

Algorithm: the history is split per key (P-compositionality: a history is
linearizable iff each key's sub-history is), and each key is checked by the
Wing & Gong search with Lowe's memoisation: walk the call/return events in
time order, linearize a pending call when the model allows it, backtrack at a
return whose op is not yet linearized, and never revisit a (set of linearized
ops, model state) pair. Three reductions keep it near-linear on real
histories (see _Search.run and _prepare): a read-like op that fits the
current state is linearized at once without branching; unknown writes of
values no read saw are interchangeable, so only the earliest unused one is
tried; unknown ops are tried after the required ones. A step and time budget
makes the verdict "unknown" (ok=None) instead of running forever. Touching
intervals (an invoke equal to another op's complete) count as concurrent.

On failure the failing key's history is shrunk (delta debugging, then single
removals until none is possible) to a 1-minimal non-linearizable
sub-history, in one of two senses:
  - a core (Verdict.any_start True), when there is one: ops that cannot all
    be linearized whatever the key held before the first of them (the search
    starts from "any version, any value"), while without any one of them the
    rest can be from some state. Usually two to four ops, however deep in
    the key's history: e.g. a write acknowledged as version 5 that completed
    before a read that saw version 4.
  - otherwise ops that cannot be linearized from the key's start (missing,
    version 0), e.g. a first read of a value nobody wrote. Ops are then only
    removed together with the reads that saw their value (class Admission),
    or every failure would shrink to "a read of a value never written".
The "any start" model is lenient (it may accept a few histories that no
single initial state explains), so a core is sometimes missed, never false.

    verdict = check(records)        # records: list of dicts (history.py)
    verdict.ok                      # True, False, or None (budget exhausted)
    print(verdict.explanation)      # the minimal sub-history as a timeline
"""

import argparse
import json
import math
import sys
import time
from dataclasses import dataclass, field

INF = math.inf

# Op kinds inside the search.
_READ, _READ_MISSING, _WRITE, _CAS, _CAS_MISMATCH = range(5)
# Search phases (the order in which pending ops are tried).
_PHASE_READ, _PHASE_WRITE, _PHASE_OPTIONAL = range(3)

DEFAULT_STEPS = 2_000_000
DEFAULT_SECONDS = 60.0


class BudgetExceeded(Exception):
    pass


@dataclass
class Verdict:
    ok: object  # True, False, or None when the budget ran out before a verdict
    key: object = None  # the failing key (or the key whose check ran out of budget)
    minimal: list = field(default_factory=list)  # records of the minimal sub-history
    any_start: bool = False  # minimal fails from any initial state (a "core")
    explanation: str = ""
    failing_keys: list = field(default_factory=list)
    undecided_keys: list = field(default_factory=list)
    ops: int = 0  # records checked
    keys: int = 0
    seconds: float = 0.0

    def __bool__(self):
        return self.ok is True


def _hashable(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return json.dumps(value, sort_keys=True)


# The value of a write that no read observed: such values are
# interchangeable, so they share one token and memoised states coincide.
_UNOBSERVED = ("<unobserved>",)
# The value of the "any start" state (see check_key(any_start=True)).
_ANY = ("<any>",)


class _Op:
    __slots__ = ("record", "kind", "value", "cas", "version", "invoke", "complete",
                 "optional", "group", "rank")

    def __init__(self, record, kind, invoke, complete, optional, value=None, cas=None,
                 version=None):
        self.record = record
        self.kind = kind
        self.value = value
        self.cas = cas
        self.version = version
        self.invoke = invoke
        self.complete = complete
        self.optional = optional
        self.group = -1
        self.rank = 0


def _prepare(records):
    """Turns one key's records into search ops; drops ops that carry no
    constraint (failed writes, unknown reads)."""
    ops = []
    for r in records:
        op, outcome = r["op"], r["outcome"]
        invoke = float(r["invoke"])
        result = r.get("result")
        if outcome == "ok":
            complete = float(r["complete"])
            if op == "read":
                if result is None:
                    ops.append(_Op(r, _READ_MISSING, invoke, complete, False))
                else:
                    ops.append(_Op(r, _READ, invoke, complete, False,
                                   value=_hashable(result.get("value")),
                                   version=int(result["version"])))
            else:
                version = result.get("version") if isinstance(result, dict) else None
                kind = _WRITE if op == "write" else _CAS
                ops.append(_Op(r, kind, invoke, complete, False,
                               value=_hashable(r.get("value")), cas=r.get("cas"),
                               version=None if version is None else int(version)))
        elif outcome == "fail":
            if op == "cas" and isinstance(result, dict) and result.get("cas_mismatch"):
                ops.append(_Op(r, _CAS_MISMATCH, invoke, float(r["complete"]), False,
                               cas=int(r["cas"])))
        else:  # unknown
            if op != "read":
                kind = _WRITE if op == "write" else _CAS
                ops.append(_Op(r, kind, invoke, INF, True,
                               value=_hashable(r.get("value")), cas=r.get("cas")))
    observed = {op.value for op in ops if op.kind == _READ}
    groups = {}
    for op in ops:
        if op.kind in (_WRITE, _CAS) and op.value not in observed:
            op.value = _UNOBSERVED
            if op.optional:
                groups.setdefault((op.kind, op.cas), []).append(op)
    # Unknown writes of unobserved values with the same kind and expected
    # version are interchangeable, and one invoked earlier can stand wherever
    # one invoked later could: the search only linearizes the earliest unused
    # one of each group (rank == used[group]). Without this a few dozen
    # unknown writes make the search exponential.
    for g, members in enumerate(groups.values()):
        members.sort(key=lambda op: op.invoke)
        for rank, op in enumerate(members):
            op.group, op.rank = g, rank
    return ops


def _step(state, op):
    """The model: the state after `op`, or None when `op` cannot happen now.

    A version of None (only with any_start) is not known yet: the first op
    that names a version fixes it; _ANY as value means not known either."""
    version, value = state
    kind = op.kind
    if version is None:
        return _step_any(state, op)
    if kind == _READ:
        return state if (op.version == version and op.value == value) else None
    if kind == _READ_MISSING:
        return state if version == 0 else None
    if kind == _WRITE:
        if op.version is not None and op.version != version + 1:
            return None
        return (version + 1, op.value)
    if kind == _CAS:
        if version != op.cas:
            return None
        if op.version is not None and op.version != version + 1:
            return None
        return (version + 1, op.value)
    # _CAS_MISMATCH
    return None if version == op.cas else state


def _step_any(state, op):
    """_step from a state whose version is not known (lenient: it only
    refuses what no version could allow)."""
    _, value = state
    kind = op.kind
    if kind == _READ:
        if value is not _ANY and op.value != value:
            return None
        return (op.version, op.value)
    if kind == _READ_MISSING:
        # A write already happened when the value is known.
        return (0, None) if value is _ANY else None
    if kind == _WRITE:
        return (op.version, op.value)  # op.version may be None: still unknown
    if kind == _CAS:
        return (op.cas + 1, op.value)
    return state  # _CAS_MISMATCH


class _Search:
    """Wing & Gong search with memoisation over one key's ops."""

    def __init__(self, ops, max_steps=DEFAULT_STEPS, deadline=None, any_start=False):
        self.ops = ops
        self.initial = (None, _ANY) if any_start else (0, None)
        self.max_steps = max_steps
        self.deadline = deadline
        self.steps = 0
        self.best = []  # longest linearized prefix seen (op indexes), for explanations

    def run(self, trace=False):
        """True / False; raises BudgetExceeded."""
        ops = self.ops
        n = len(ops)
        if n == 0:
            return True
        # Events: call (time, 0, i) sorts before a return at the same instant,
        # so touching intervals count as concurrent (the lenient reading).
        events = sorted([(op.invoke, 0, i) for i, op in enumerate(ops)] +
                        [(op.complete, 1, i) for i, op in enumerate(ops)])
        m = len(events)
        head = m
        nxt = list(range(1, m + 1)) + [0]
        nxt[m - 1] = -1
        prv = [m] + list(range(0, m - 1)) + [-1]
        is_ret = [e[1] == 1 for e in events]
        op_of = [e[2] for e in events]
        ret_ev = [0] * n
        for j, (_, kind, i) in enumerate(events):
            if kind == 1:
                ret_ev[i] = j

        optional = [op.optional for op in ops]
        group = [op.group for op in ops]
        rank = [op.rank for op in ops]
        # Phase of each op: at each configuration the search first tries the
        # ops that leave the state as it is (reads, cas mismatches), then the
        # required writes, then the optional ones (unknown outcome).
        phase_of = [_PHASE_OPTIONAL if op.optional else
                    _PHASE_WRITE if op.kind in (_WRITE, _CAS) else _PHASE_READ
                    for op in ops]
        used = [0] * (max(group, default=-1) + 1)
        state = self.initial
        linearized = 0
        # Stack entries: (call event, state before, forced). A forced entry
        # is a read-like op linearized without alternatives: when it is valid
        # now, it could as well go now in any linearization from here (no
        # write can come between now and its place, or the version would
        # differ, and nothing unlinearized must precede it in real time), so
        # when the rest fails the configuration before it fails too.
        stack = []
        cache = set()
        steps = 0  # configurations entered
        scans = 0
        max_steps = self.max_steps
        deadline = self.deadline
        best_len = 0
        phase = _PHASE_READ
        e = nxt[head]
        try:
            while True:
                scans += 1
                if scans & 4095 == 0:
                    if steps > max_steps:
                        raise BudgetExceeded(f"more than {max_steps} search steps")
                    if deadline is not None and time.monotonic() > deadline:
                        raise BudgetExceeded("time budget exhausted")
                backtrack = False
                if e == -1:
                    return True  # (only an empty list ends without a return)
                i = op_of[e]
                if not is_ret[e]:
                    if phase_of[i] != phase:
                        e = nxt[e]
                        continue
                    g = group[i]
                    if g >= 0 and rank[i] != used[g]:
                        e = nxt[e]  # not the canonical member of its group
                        continue
                    new_state = _step(state, ops[i])
                    if new_state is None:
                        e = nxt[e]
                        continue
                    forced = phase == _PHASE_READ and state[0] is not None
                    new_linearized = linearized | (1 << i)
                    memo = (new_linearized, new_state)
                    if memo in cache:
                        if forced:
                            backtrack = True
                        else:
                            e = nxt[e]
                            continue
                    else:
                        cache.add(memo)
                        steps += 1
                        stack.append((e, state, forced))
                        state = new_state
                        linearized = new_linearized
                        if g >= 0:
                            used[g] += 1
                        # lift: unlink the call and its return
                        r = ret_ev[i]
                        for x in (e, r):
                            p, q = prv[x], nxt[x]
                            nxt[p] = q
                            if q != -1:
                                prv[q] = p
                        if trace and len(stack) > best_len:
                            best_len = len(stack)
                            self.best = [op_of[s[0]] for s in stack]
                        phase = _PHASE_READ
                        e = nxt[head]
                        continue
                else:
                    if optional[i]:
                        # Returns at +infinity sort after every finite event:
                        # every required op is linearized.
                        return True
                    if phase != _PHASE_OPTIONAL:
                        phase += 1
                        e = nxt[head]
                        continue
                    backtrack = True
                # backtrack: undo entries up to and including the last one
                # that was not forced, and go on after it.
                while True:
                    if not stack:
                        return False
                    e, state, forced = stack.pop()
                    i = op_of[e]
                    linearized &= ~(1 << i)
                    if group[i] >= 0:
                        used[group[i]] -= 1
                    # unlift: relink the return, then the call (reverse order)
                    r = ret_ev[i]
                    for x in (r, e):
                        p, q = prv[x], nxt[x]
                        nxt[p] = x
                        if q != -1:
                            prv[q] = x
                    if not forced:
                        break
                phase = phase_of[i]
                e = nxt[e]
        finally:
            self.steps += steps


def check_key(records, max_steps=DEFAULT_STEPS, deadline=None, any_start=False):
    """True / False / None (budget) for one key's records. With any_start the
    key may start in any state (any version and value) instead of missing:
    False then means no earlier history could explain these ops."""
    try:
        return _Search(_prepare(records), max_steps, deadline, any_start).run()
    except BudgetExceeded:
        return None


def _writes_value(record):
    return record["op"] in ("write", "cas") and record["outcome"] in ("ok", "unknown")


def _dependencies(records):
    """For each record index, the indexes of records that wrote the value it
    read (only for ok reads whose value some record in `records` wrote)."""
    writers = {}
    for j, r in enumerate(records):
        if _writes_value(r):
            writers.setdefault(_hashable(r.get("value")), []).append(j)
    deps = {}
    for j, r in enumerate(records):
        if r["op"] == "read" and r["outcome"] == "ok" and r.get("result") is not None:
            w = writers.get(_hashable(r["result"].get("value")))
            if w:
                deps[j] = w
    return deps


class Admission:
    """Which sub-histories of one key's `records` shrinking from the key's
    start may consider: those where every kept ok read keeps a writer of the
    value it saw (when `records` has one). Without this rule every failure
    would shrink to an uninformative "read of a value never written"."""

    def __init__(self, records):
        self.deps = _dependencies(records)

    def __call__(self, keep):
        kept = set(keep)
        for j in keep:
            w = self.deps.get(j)
            if w and not any(x in kept for x in w):
                return False
        return True


def shrink(records, max_steps=200_000, seconds=30.0, any_start=False):
    """A 1-minimal non-linearizable sub-history of one key's `records` (which
    must be non-linearizable): no admissible sub-history (see Admission) with
    one op fewer is non-linearizable. Returns (records, proven_minimal);
    proven_minimal is False when the time ran out first.

    With any_start, "non-linearizable" means from any initial state (see
    check_key) and every sub-history is admissible: the result is a core of
    ops that contradict each other whatever happened before them."""
    deadline = time.monotonic() + seconds
    admissible = (lambda keep: True) if any_start else Admission(records)

    def bad(keep):
        if not admissible(keep):
            return False
        verdict = check_key([records[j] for j in keep], max_steps=max_steps,
                            deadline=deadline, any_start=any_start)
        return verdict is False

    current = list(range(len(records)))
    granularity = 2
    while len(current) >= 2:
        if time.monotonic() > deadline:
            return [records[j] for j in current], False
        size = math.ceil(len(current) / granularity)
        reduced = False
        for start in range(0, len(current), size):
            candidate = current[:start] + current[start + size:]
            if candidate and bad(candidate):
                current = candidate
                granularity = max(granularity - 1, 2)
                reduced = True
                break
        if not reduced:
            if granularity >= len(current):
                break  # every single removal was tried: 1-minimal
            granularity = min(len(current), granularity * 2)
    return [records[j] for j in current], time.monotonic() <= deadline


def _describe(record):
    op = record["op"]
    if op == "read":
        what = "read"
    elif op == "write":
        what = f"write {json.dumps(record.get('value'))}"
    else:
        what = f"cas({record.get('cas')}) {json.dumps(record.get('value'))}"
    outcome = record["outcome"]
    result = record.get("result")
    if outcome == "ok":
        if op == "read":
            got = ("missing" if result is None else
                   f"{json.dumps(result.get('value'))} v{result.get('version')}")
        else:
            got = f"v{result.get('version')}"
        return what, f"ok {got}"
    if outcome == "fail":
        if isinstance(result, dict) and result.get("cas_mismatch"):
            return what, "fail (cas mismatch)"
        return what, "fail"
    return what, "unknown"


def render(records, width=40):
    """A text timeline of `records`: one line per op, sorted by invoke, with
    times relative to the first invoke and a bar showing the interval."""
    if not records:
        return "(no operations)"
    records = sorted(records, key=lambda r: (r["invoke"], r["id"]))
    t0 = records[0]["invoke"]
    finite = [r["complete"] for r in records if r.get("complete") is not None
              and r["outcome"] != "unknown"]
    t1 = max([r["invoke"] for r in records] + finite)
    span = (t1 - t0) or 1.0
    rows = []
    for r in records:
        what, got = _describe(r)
        start = r["invoke"] - t0
        unknown = r["outcome"] == "unknown" or r.get("complete") is None
        end = None if unknown else r["complete"] - t0
        a = int(round(start / span * (width - 1)))
        if end is None:
            bar = " " * a + "[" + "." * (width - 1 - a) + ">"
            times = f"{start:9.4f} ..      inf"
        else:
            b = max(a, int(round(end / span * (width - 1))))
            bar = " " * a + ("|" if a == b else "[" + "-" * (b - a - 1) + "]")
            bar = bar.ljust(width + 1)
            times = f"{start:9.4f} .. {end:8.4f}"
        rows.append((str(r["id"]), str(r["client"]), str(r["node"]), what, got, times, bar))
    heads = ("id", "client", "node", "op", "result", "  invoke ..  complete (s)", "")
    widths = [max(len(h), *(len(row[k]) for row in rows)) for k, h in enumerate(heads)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def _explain(key, minimal, any_start, proven, total):
    ops = _prepare(minimal)
    search = _Search(ops, any_start=any_start)
    try:
        search.run(trace=True)
    except BudgetExceeded:
        pass
    if any_start:
        claim = ("cannot all be linearized, whatever the key held before the first of them; "
                 "without any one of them the rest can be")
    else:
        claim = ("cannot be linearized from the key's start (missing, version 0); "
                 "without any one of them the rest can be (ops are only removed together "
                 "with the reads that saw their value)")
    lines = [f"key {json.dumps(key)}: NOT linearizable.",
             f"These {len(minimal)} of the key's {total} ops {claim}"
             + ("." if proven else " (shrinking ran out of time: may not be minimal)."),
             "", render(minimal), ""]
    if len(minimal) <= 30:
        if search.best:
            state = search.initial
            for op_index in search.best:
                state = _step(state, ops[op_index])
            version = "?" if state[0] is None else state[0]
            value = ("?" if state[1] is _ANY else
                     "(a value no read saw)" if state[1] is _UNOBSERVED else
                     json.dumps(state[1]))
            lines.append("Longest order of them the register model accepts: "
                         + ", ".join(f"#{ops[i].record['id']}" for i in search.best)
                         + f" (then version {version}, value {value}); no other op "
                         "fits next without breaking its result or the real-time order.")
        else:
            lines.append("No op fits first: the first one due contradicts the key's start "
                         "(missing, version 0).")
    t0 = min(r["invoke"] for r in minimal)
    lines.append(f"Times: time.monotonic() seconds from the first invoke shown ({t0:.4f}); "
                 "[---] is an "
                 "op's interval, [...> an unknown outcome (it may take effect any time "
                 "after its invoke, or never).")
    return "\n".join(lines)


def minimal_subhistory(key_records, seconds=30.0):
    """(records, any_start, proven) for a non-linearizable key history: the
    core when one exists (1-minimal and non-linearizable from any initial
    state), otherwise the 1-minimal sub-history non-linearizable from the
    key's start (see shrink and Admission)."""
    started = time.monotonic()
    if check_key(key_records, any_start=True, deadline=started + seconds / 2) is False:
        seconds -= time.monotonic() - started
        core, proven = shrink(key_records, seconds=seconds, any_start=True)
        any_start = True
    else:
        core, proven = shrink(key_records, seconds=seconds)
        any_start = False
    return sorted(core, key=lambda r: (r["invoke"], r["id"])), any_start, proven


def check(records, max_steps=DEFAULT_STEPS, seconds=DEFAULT_SECONDS,
          shrink_seconds=30.0):
    """Checks a whole history (a list of record dicts, see history.py).

    Returns a Verdict: ok True (linearizable); False with, for the first
    failing key in key order, `key`, `minimal` (see minimal_subhistory) and
    `explanation`, and all failing keys in `failing_keys`; or None when some
    key's search ran out of budget and no key failed. `max_steps` is per key,
    `seconds` bounds the search over all keys, shrinking has `shrink_seconds`.
    """
    started = time.monotonic()
    deadline = started + seconds
    by_key = {}
    for r in records:
        by_key.setdefault(r["key"], []).append(r)
    failing, undecided = [], []
    for key in sorted(by_key, key=str):
        verdict = check_key(by_key[key], max_steps=max_steps, deadline=deadline)
        if verdict is False:
            failing.append(key)
        elif verdict is None:
            undecided.append(key)
    result = Verdict(ok=True, failing_keys=failing, undecided_keys=undecided,
                     ops=len(records), keys=len(by_key))
    if failing:
        key = failing[0]
        minimal, any_start, proven = minimal_subhistory(by_key[key], shrink_seconds)
        result.ok, result.key, result.minimal = False, key, minimal
        result.any_start = any_start
        result.explanation = _explain(key, minimal, any_start, proven, len(by_key[key]))
        if len(failing) > 1:
            result.explanation += ("\nOther keys that are not linearizable: "
                                   + ", ".join(json.dumps(k) for k in failing[1:]))
    elif undecided:
        result.ok, result.key = None, undecided[0]
        result.explanation = ("linearizability unknown: the search budget ran out for keys "
                              + ", ".join(json.dumps(k) for k in undecided))
    else:
        result.explanation = f"linearizable: {len(records)} ops over {len(by_key)} keys"
    result.seconds = time.monotonic() - started
    return result


def check_file(path, **kwargs):
    """check() over a JSON-lines history file (history.py)."""
    try:
        from history import load_history
    except ImportError:  # imported as part of a package
        from .history import load_history
    return check(load_history(path), **kwargs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("history", help="JSON-lines history file")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS)
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    args = parser.parse_args(argv)
    verdict = check_file(args.history, max_steps=args.steps, seconds=args.seconds)
    print(verdict.explanation)
    print(f"({verdict.ops} ops, {verdict.keys} keys, {verdict.seconds:.2f} s)")
    return {True: 0, False: 1, None: 2}[verdict.ok]


if __name__ == "__main__":
    sys.exit(main())
