"""Unit tests of the linearizability checker, the history recorder and the KV
v2 client (no Tresor process: the client is tested against a fake server)."""

import http.server
import itertools
import json
import os
import random
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import history  # noqa: E402
import kv_client  # noqa: E402
import linearizability  # noqa: E402
from linearizability import Admission, check, check_key, render  # noqa: E402

_ids = itertools.count(1000)


def op(kind, start, end, outcome="ok", value=None, cas=None, result=None, key="k",
       client=None, id=None):
    id = next(_ids) if id is None else id
    return history.make_record(id, client or f"c{id}", "n1", kind, key, start,
                               None if end is None else end, outcome,
                               value=value, cas=cas, result=result)


def W(id, value, start, end, version, outcome="ok", key="k"):
    return op("write", start, end, outcome, value=value, key=key, id=id,
              result={"version": version} if outcome == "ok" else None)


def C(id, value, expected, start, end, version=None, outcome="ok", key="k"):
    result = ({"version": version} if outcome == "ok" else
              {"cas_mismatch": True} if outcome == "fail" else None)
    return op("cas", start, end, outcome, value=value, cas=expected, key=key, id=id,
              result=result)


def R(id, value, version, start, end, key="k"):
    result = None if version == 0 else {"value": value, "version": version}
    return op("read", start, end, value=None, key=key, id=id, result=result)


def ids(records):
    return sorted(r["id"] for r in records)


# ---------------------------------------------------------------- reference

def brute_force(records, initial=(0, None)):
    """Reference checker by exhaustive search (small histories only): tries
    every real-time-respecting order of the required ops and any subset of
    the optional (unknown) writes, from the state `initial`."""
    items = []
    for r in records:
        if r["outcome"] == "fail" and not (r["op"] == "cas" and (r.get("result") or {})
                                           .get("cas_mismatch")):
            continue
        if r["outcome"] == "unknown" and r["op"] == "read":
            continue
        end = r["complete"] if r["outcome"] != "unknown" else float("inf")
        items.append((r, r["invoke"], end, r["outcome"] == "unknown"))

    def apply(state, r):
        version, value = state
        res = r.get("result")
        if r["outcome"] == "fail":
            return None if version == r["cas"] else state
        if r["op"] == "read":
            if res is None:
                return state if version == 0 else None
            return state if (version, value) == (res["version"], res["value"]) else None
        if r["op"] == "cas" and version != r["cas"]:
            return None
        if r["outcome"] == "ok" and res["version"] != version + 1:
            return None
        return (version + 1, r["value"])

    def search(remaining, state):
        if all(opt for (_, _, _, opt) in remaining):
            return True
        for x in remaining:
            if any(y is not x and y[2] < x[1] for y in remaining):
                continue
            rest = [y for y in remaining if y is not x]
            if x[3] and search(rest, state):  # an unknown op that never happened
                return True
            new = apply(state, x[0])
            if new is not None and search(rest, new):
                return True
        return False

    return search(items, initial)


def brute_force_any_start(records):
    """brute_force from every initial state that could matter: versions up
    to one past the highest named, values seen in the history or a new one."""
    top = max([(r.get("result") or {}).get("version") or 0 for r in records] +
              [r.get("cas") or 0 for r in records])
    values = {(r.get("result") or {}).get("value") for r in records} | {"<fresh>"}
    return (brute_force(records) or
            any(brute_force(records, (v, x)) for v in range(1, top + 2) for x in values))


# ---------------------------------------------------------------- generator

def simulate(seed, n_ops=200, clients=5, keys=1, p_read=0.4, p_cas=0.3, p_unknown=0.05):
    """A linearizable history: each client issues ops one after another with
    random intervals; each op takes effect at a random instant inside its
    interval, and results come from applying ops in that order."""
    rng = random.Random(seed)
    plans = []
    per_client = max(1, n_ops // clients)
    for c in range(clients):
        t = rng.random()
        for _ in range(per_client):
            start = t + rng.random() * 0.5
            end = start + 0.01 + rng.random() * 2.0
            plans.append({"client": f"c{c}", "start": start, "end": end,
                          "point": rng.uniform(start, end),
                          "key": f"k{rng.randrange(keys)}"})
            t = end
    state = {}
    records = []
    for n, p in enumerate(sorted(plans, key=lambda p: p["point"])):
        version, value = state.get(p["key"], (0, None))
        roll = rng.random()
        if roll < p_read:
            result = None if version == 0 else {"value": value, "version": version}
            records.append(history.make_record(n, p["client"], "n1", "read", p["key"],
                                               p["start"], p["end"], "ok", result=result))
            continue
        new_value = f"{p['client']}-{n}"
        kind = "cas" if roll < p_read + p_cas else "write"
        expected = None
        if kind == "cas":
            expected = version if rng.random() < 0.6 else max(0, version + rng.choice(
                (-2, -1, 1)))
        unknown = rng.random() < p_unknown
        takes_effect = kind == "write" or expected == version
        if unknown:
            if rng.random() < 0.5 and takes_effect:
                state[p["key"]] = (version + 1, new_value)
            records.append(history.make_record(
                n, p["client"], "n1", kind, p["key"], p["start"],
                rng.choice((p["end"], None)), "unknown", value=new_value, cas=expected))
        elif takes_effect:
            state[p["key"]] = (version + 1, new_value)
            records.append(history.make_record(
                n, p["client"], "n1", kind, p["key"], p["start"], p["end"], "ok",
                value=new_value, cas=expected, result={"version": version + 1}))
        else:
            records.append(history.make_record(
                n, p["client"], "n1", kind, p["key"], p["start"], p["end"], "fail",
                value=new_value, cas=expected, result={"cas_mismatch": True}))
    records.sort(key=lambda r: r["invoke"])
    return records


def mutate(records, rng):
    """Changes one ok result of a read or write to another plausible one."""
    records = [dict(r) for r in records]
    candidates = [r for r in records if r["outcome"] == "ok"]
    if not candidates:
        return records
    target = rng.choice(candidates)
    versions = {}
    for r in records:
        if r["op"] != "read" and r["outcome"] == "ok":
            versions[(r["key"], r["result"]["version"])] = r["value"]
    if target["op"] == "read":
        old = target["result"]["version"] if target["result"] else 0
        choices = [v for (k, v) in versions if k == target["key"] and v != old] + [0]
        if old == 0:
            choices.remove(0)
        if not choices:
            choices = [old + 1]
        new = rng.choice(choices)
        target["result"] = (None if new == 0 else
                            {"value": versions.get((target["key"], new), "never-written"),
                             "version": new})
    else:
        target["result"] = {"version": target["result"]["version"] + rng.choice((-1, 1))}
    return records


def assert_one_minimal(records, verdict):
    """The verdict's minimal sub-history is non-linearizable, and removing any
    one of its ops makes it linearizable: from some initial state for a core
    (any_start), else from the key's start unless shrinking may not consider
    the rest (a read would lose the writer of its value)."""
    minimal, any_start = verdict.minimal, verdict.any_start
    assert check_key(minimal) is False
    assert check_key(minimal, any_start=any_start) is False
    key_records = [r for r in records if r["key"] == verdict.key]
    index = {r["id"]: j for j, r in enumerate(key_records)}
    keep = sorted(index[r["id"]] for r in minimal)
    admissible = (lambda rest: True) if any_start else Admission(key_records)
    assert admissible(keep)
    for j in keep:
        rest = [x for x in keep if x != j]
        if admissible(rest):
            assert check_key([key_records[x] for x in rest], any_start=any_start) is True, \
                key_records[j]


# ---------------------------------------------------------------- linearizable

def test_empty_and_sequential():
    assert check([]).ok is True
    h = [R(1, None, 0, 0, 1), W(2, "a", 2, 3, 1), R(3, "a", 1, 4, 5),
         W(4, "b", 6, 7, 2), C(5, "c", 2, 8, 9, 3), C(6, "d", 2, 10, 11, outcome="fail"),
         R(7, "c", 3, 12, 13)]
    verdict = check(h)
    assert verdict.ok is True, verdict.explanation
    assert verdict.ops == 7 and verdict.keys == 1


def test_concurrent_writes_reads_see_either_order():
    for first, second in (("a", "b"), ("b", "a")):
        versions = {first: 1, second: 2}
        h = [W(1, "a", 0, 10, versions["a"]), W(2, "b", 1, 11, versions["b"]),
             R(3, first, 1, 2, 3), R(4, second, 2, 12, 13)]
        assert check(h).ok is True
    # A read concurrent with both writes may still see the key missing.
    h = [W(1, "a", 0, 10, 1), W(2, "b", 1, 11, 2), R(3, None, 0, 2, 12)]
    assert check(h).ok is True


def test_unknown_write_that_took_effect_or_not():
    took = [W(1, "a", 0, 1, 1), W(2, "b", 2, None, None, outcome="unknown"),
            R(3, "b", 2, 100, 101), W(4, "c", 102, 103, 3)]
    assert check(took).ok is True
    never = [W(1, "a", 0, 1, 1), W(2, "b", 2, 3, None, outcome="unknown"),
             R(3, "a", 1, 100, 101), W(4, "c", 102, 103, 2)]
    assert check(never).ok is True
    # An unknown write may take effect long after its client gave up.
    late = [W(1, "a", 0, 1, 1), W(2, "b", 2, 3, None, outcome="unknown"),
            R(3, "a", 1, 100, 101), R(4, "b", 2, 200, 201)]
    assert check(late).ok is True
    # But never before it was invoked.
    early = [W(1, "a", 0, 1, 1), R(2, "b", 2, 2, 3),
             W(3, "b", 10, 11, None, outcome="unknown")]
    assert check(early).ok is False


def test_failed_write_never_takes_effect():
    h = [W(1, "a", 0, 1, 1), W(2, "b", 2, 3, None, outcome="fail"), R(3, "b", 2, 4, 5)]
    verdict = check(h)
    assert verdict.ok is False
    # The read names version 2: the one write there is stays to account for it.
    assert ids(verdict.minimal) == [1, 3]


def test_cas_chain_and_concurrent_cas():
    h = [C(1, "a", 0, 0, 1, 1), C(2, "b", 1, 2, 3, 2), C(3, "c", 2, 4, 5, 3),
         C(4, "x", 2, 4.5, 5.5, outcome="fail"), R(5, "c", 3, 6, 7)]
    assert check(h).ok is True
    # Two concurrent cas on the same version: one wins, the other fails.
    h = [W(1, "a", 0, 1, 1), C(2, "b", 1, 2, 5, 2), C(3, "c", 1, 2.5, 5.5, outcome="fail"),
         R(4, "b", 2, 6, 7)]
    assert check(h).ok is True
    # An unknown cas whose expected version never matched is a no-op.
    h = [W(1, "a", 0, 1, 1), C(2, "b", 7, 2, None, outcome="unknown"), R(3, "a", 1, 4, 5)]
    assert check(h).ok is True


def test_failed_cas_is_an_observation():
    # The cas said "version is not 1" although version 1 was the only state
    # during its whole interval.
    h = [W(1, "a", 0, 1, 1), C(2, "b", 1, 2, 3, outcome="fail"), W(3, "c", 4, 5, 2)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [1, 2]
    # A failure with no mismatch reported (e.g. 403) says nothing.
    h[1]["result"] = None
    assert check(h).ok is True


def test_touching_intervals_count_as_concurrent():
    # The read was invoked at the instant the write completed: either order.
    assert check([W(1, "a", 0, 1, 1), R(2, None, 0, 1, 2)]).ok is True
    assert check([W(1, "a", 0, 1, 1), R(2, None, 0, 1.001, 2)]).ok is False


def test_keys_are_independent():
    h = [W(1, "a", 0, 1, 1, key="x"), W(2, "a", 0, 1, 1, key="y"),
         R(3, "a", 1, 2, 3, key="x"), R(4, None, 0, 2, 3, key="z")]
    verdict = check(h)
    assert verdict.ok is True and verdict.keys == 3


# ---------------------------------------------------------------- anomalies

NOISE = [R(90, None, 0, -5, -4), R(91, None, 0, -3.5, -3), W(92, "x", 0, 1, 1, key="other")]


def test_stale_read_after_completed_write():
    h = NOISE + [W(1, "a", 0, 1, 1), R(2, None, 0, 2, 3), R(3, None, 0, 0.5, 1.5)]
    verdict = check(h)
    assert verdict.ok is False and verdict.key == "k"
    assert ids(verdict.minimal) == [1, 2] and verdict.any_start
    assert "NOT linearizable" in verdict.explanation
    assert_one_minimal(h, verdict)


def test_read_of_a_value_never_written():
    h = [W(1, "a", 0, 1, 1), R(2, "ghost", 1, 2, 3), W(3, "b", 4, 5, 2), R(4, "b", 2, 6, 7)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [1, 2] and verdict.any_start
    assert '"ghost" v1' in verdict.explanation
    assert_one_minimal(h, verdict)


def test_read_of_a_value_never_written_as_first_op():
    # Only the key's start contradicts it: no core, the fallback minimal.
    h = [R(1, "ghost", 1, 0, 1), W(2, "a", 0, 1, 1, key="other"),
         W(3, "ghost", 2, 3, None, outcome="fail")]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [1] and not verdict.any_start
    assert "from the key's start" in verdict.explanation
    assert "No op fits first" in verdict.explanation
    assert_one_minimal(h, verdict)


def test_lost_acknowledged_write():
    h = NOISE + [W(1, "a", 0, 1, 1), R(2, "a", 1, 1.2, 1.4), W(3, "b", 2, 3, 2),
                 R(4, "a", 1, 5, 6), R(5, "a", 1, 7, 8)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) in ([3, 4], [3, 5])
    assert_one_minimal(h, verdict)


def test_two_successful_cas_with_the_same_expected_version():
    h = NOISE + [W(1, "a", 0, 1, 1), R(2, "a", 1, 1.5, 1.8), C(3, "b", 1, 2, 3, 2),
                 C(4, "c", 1, 2.5, 3.5, 2), R(5, "c", 2, 4, 5)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [3, 4]
    assert_one_minimal(h, verdict)
    assert "cas(1)" in verdict.explanation and "ok v2" in verdict.explanation


def test_version_going_backwards():
    # Two writes whose outcome is unknown, then reads seeing v2 and after it v1.
    h = NOISE + [W(1, "a", 0, None, None, outcome="unknown"),
                 W(2, "b", 0.5, None, None, outcome="unknown"),
                 R(3, "b", 2, 4, 5), R(4, "a", 1, 6, 7), R(5, "a", 1, 2, 3)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [3, 4]
    assert_one_minimal(h, verdict)


def test_read_of_a_write_invoked_after_the_read_completed():
    h = [R(1, "b", 1, 2, 3), W(2, "b", 4, 5, 1), R(3, "b", 1, 6, 7)]
    verdict = check(h)
    assert verdict.ok is False
    assert ids(verdict.minimal) == [1, 2]
    assert_one_minimal(h, verdict)


def test_write_acknowledging_a_wrong_version():
    h = [W(1, "a", 0, 1, 1), W(2, "b", 2, 3, 3), R(3, "b", 3, 4, 5)]
    verdict = check(h)
    assert verdict.ok is False


def test_only_the_failing_key_is_reported():
    good = simulate(3, n_ops=60, keys=1)
    for r in good:
        r["key"] = "good"
    bad = [W(1, "a", 0, 1, 1, key="bad"), R(2, None, 0, 2, 3, key="bad")]
    also_bad = [W(5, "a", 0, 1, 1, key="worse"), R(6, "zz", 1, 2, 3, key="worse")]
    h = good + bad + also_bad
    verdict = check(h)
    assert verdict.ok is False and verdict.key == "bad"
    assert verdict.failing_keys == ["bad", "worse"]
    assert ids(verdict.minimal) == [1, 2]
    assert_one_minimal(h, verdict)
    assert '"worse"' in verdict.explanation


def test_render_timeline():
    h = [W(1, "a", 10.0, 11.0, 1), C(2, "b", 1, 12.0, None, outcome="unknown"),
         R(3, None, 0, 10.5, 10.6)]
    text = render(h)
    lines = text.splitlines()
    assert len(lines) == 4
    assert lines[1].split()[0] == "1" and "0.0000" in lines[1] and "1.0000" in lines[1]
    assert lines[2].split()[0] == "3" and "missing" in lines[2]
    assert "cas(1)" in lines[3] and "unknown" in lines[3] and "inf" in lines[3]
    assert lines[3].rstrip().endswith(">")


def test_command_line(tmp_path, capsys):
    path = tmp_path / "history.jsonl"
    history.write_history(str(path), [W(1, "a", 0, 1, 1), R(2, "a", 1, 2, 3)])
    assert linearizability.main([str(path)]) == 0
    assert "linearizable: 2 ops over 1 keys" in capsys.readouterr().out
    history.write_history(str(path), [W(1, "a", 0, 1, 1), R(2, None, 0, 2, 3)])
    assert linearizability.main([str(path)]) == 1
    assert "NOT linearizable" in capsys.readouterr().out


def test_budget_gives_unknown_verdict():
    # Twenty concurrent unknown writes, each read at some version by
    # concurrent reads, and a final read no order explains: the search must
    # try exponentially many subsets and orders; the budget cuts it short.
    h = [W(i, f"v{i}", 0, None, None, outcome="unknown") for i in range(20)]
    h += [R(100 + i, f"v{i}", 1 + i % 4, 1, 100) for i in range(20)]
    h += [R(200, "v0", 30, 200, 201)]
    verdict = check(h, max_steps=2000)
    assert verdict.ok is None
    assert verdict.undecided_keys == ["k"] and verdict.key == "k"
    assert "unknown" in verdict.explanation
    started = time.monotonic()
    assert check(h, seconds=0.5).ok is None
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------- randomized

@pytest.mark.parametrize("seed", range(20))
def test_simulated_register_histories_are_linearizable(seed):
    h = simulate(seed, n_ops=150, clients=6, keys=2)
    verdict = check(h)
    assert verdict.ok is True, verdict.explanation


def test_mutated_histories_mostly_fail_with_one_minimal_core():
    failures = cores = 0
    seeds = range(40)
    for seed in seeds:
        rng = random.Random(1000 + seed)
        h = mutate(simulate(seed, n_ops=60, clients=4, keys=1), rng)
        verdict = check(h)
        if verdict.ok is False:
            failures += 1
            cores += verdict.any_start
            assert_one_minimal(h, verdict)
    print(f"\n{failures} of {len(seeds)} mutated histories were not linearizable "
          f"({cores} with a core)")
    assert failures >= 0.6 * len(seeds)


@pytest.mark.parametrize("seed", range(150))
def test_agrees_with_brute_force_on_small_histories(seed):
    rng = random.Random(seed)
    h = simulate(seed, n_ops=7, clients=rng.choice((2, 3)), keys=1, p_unknown=0.2)
    if seed % 2:
        h = mutate(h, rng)
    assert check_key(h) == brute_force(h)


@pytest.mark.parametrize("seed", range(100))
def test_any_start_is_a_sound_relaxation(seed):
    # check_key(any_start=True) may accept more than any real initial state
    # (it is lenient), never less: so a core really fails from every start.
    rng = random.Random(seed)
    h = simulate(seed, n_ops=6, clients=rng.choice((2, 3)), keys=1, p_unknown=0.2)
    h = mutate(h, rng)
    for r in h[: rng.randrange(len(h))]:  # forget the start of the history
        r["key"] = "gone"
    h = [r for r in h if r["key"] == "k0"]
    if brute_force_any_start(h):
        assert check_key(h, any_start=True) is True
    if check_key(h, any_start=True) is False:
        assert check_key(h) is False


def test_performance_5000_ops_10_keys_concurrency_8():
    h = simulate(42, n_ops=5000, clients=8, keys=10, p_unknown=0.02)
    started = time.monotonic()
    verdict = check(h)
    seconds = time.monotonic() - started
    print(f"\ncheck(): {len(h)} ops, 10 keys, 8 clients: {seconds:.2f} s "
          f"(verdict {verdict.ok})")
    assert verdict.ok is True
    # The same number of ops on one key, more of them unknown: a harder case.
    h = simulate(43, n_ops=5000, clients=8, keys=1, p_unknown=0.05)
    started = time.monotonic()
    verdict = check(h)
    print(f"check(): {len(h)} ops, 1 key, 8 clients, 5% unknown: "
          f"{time.monotonic() - started:.2f} s (verdict {verdict.ok})")
    assert verdict.ok is True


# ---------------------------------------------------------------- recorder

def test_recorder_threads_write_every_op(tmp_path):
    path = tmp_path / "history.jsonl"
    recorder = history.Recorder(str(path))

    def worker(c):
        for i in range(50):
            with recorder.op(f"c{c}", "n1", "write", f"k{i % 3}", value=f"c{c}-{i}") as rec:
                rec.ok({"version": i + 1})

    threads = [threading.Thread(target=worker, args=(c,)) for c in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recorder.close()
    records = history.load_history(str(path))
    assert len(records) == 400
    assert len({r["id"] for r in records}) == 400
    assert all(r["complete"] >= r["invoke"] for r in records)
    assert set(history.load_by_key(str(path))) == {"k0", "k1", "k2"}


def test_recorder_outcomes(tmp_path):
    path = tmp_path / "history.jsonl"
    ticks = itertools.count()
    recorder = history.Recorder(str(path), clock=lambda: float(next(ticks)))
    with recorder.op("c1", "n1", "read", "k") as rec:
        rec.ok(None)
    with recorder.op("c1", "n1", "cas", "k", value="x", cas=3) as rec:
        rec.fail({"cas_mismatch": True})
    with pytest.raises(TimeoutError):
        with recorder.op("c1", "n2", "write", "k", value="y"):
            raise TimeoutError("no answer")
    with recorder.op("c2", "n2", "write", "k", value="z"):
        pass  # neither ok nor fail: unknown
    in_flight = recorder.op("c3", "n3", "write", "k", value="w").__enter__()
    recorder.close()
    in_flight.ok({"version": 1})  # after close: already written as unknown
    records = history.load_history(str(path))
    assert [r["outcome"] for r in records] == ["ok", "fail", "unknown", "unknown", "unknown"]
    assert records[0]["invoke"] == 0.0 and records[0]["complete"] == 1.0
    assert records[1]["cas"] == 3 and records[1]["result"] == {"cas_mismatch": True}
    assert records[4]["client"] == "c3" and records[4]["complete"] is None


def test_recorder_can_suppress_exceptions(tmp_path):
    path = tmp_path / "history.jsonl"
    with history.Recorder(str(path), suppress_exceptions=True) as recorder:
        with recorder.op("c1", "n1", "write", "k", value="a"):
            raise ConnectionResetError()
    assert history.load_history(str(path))[0]["outcome"] == "unknown"


def test_history_file_round_trip_and_torn_last_line(tmp_path):
    path = tmp_path / "history.jsonl"
    h = [W(1, "a", 0, 1, 1), R(2, None, 0, 2, 3)]
    history.write_history(str(path), h)
    with open(path, "a") as f:
        f.write('{"id": 3, "cli')
    assert history.load_history(str(path)) == h
    with open(path, "a") as f:
        f.write('\n{"id": 4}\n')
    with pytest.raises(ValueError):
        history.load_history(str(path))
    with pytest.raises(ValueError):
        history.validate({"id": 1, "client": "c", "node": "n", "op": "cas", "key": "k",
                          "invoke": 0, "outcome": "ok", "complete": 1,
                          "result": {"version": 1}})  # cas without "cas"


# ---------------------------------------------------------------- kv client

class FakeVault(http.server.BaseHTTPRequestHandler):
    """KV v2 data/ paths in memory, plus /v1/secret/data/boom (500),
    /v1/secret/data/slow (never answers in time) and redirects from a
    "standby" port."""
    store = {}
    redirect_to = None

    def log_message(self, *args):
        pass

    def _answer(self, status, body=None, headers=()):
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _key(self):
        return self.path[len("/v1/secret/data/"):]

    def _common(self):
        if self.headers.get("X-Vault-Token") != "root":
            self._answer(403, {"errors": ["permission denied"]})
            return True
        if self.redirect_to:
            self._answer(307, None, [("Location", self.redirect_to + self.path)])
            return True
        if self._key() == "boom":
            self._answer(500, {"errors": ["internal error"]})
            return True
        if self._key() == "deleted":
            self._answer(404, {"data": {"data": None, "metadata": {"version": 1}},
                               "errors": []})
            return True
        if self._key() == "slow":
            time.sleep(0.5)
            return True
        return False

    def do_GET(self):
        if self._common():
            return
        versions = self.store.get(self._key())
        if not versions:
            self._answer(404, {"errors": []})
            return
        self._answer(200, {"data": {"data": versions[-1],
                                    "metadata": {"version": len(versions)}}})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._common():
            return
        versions = self.store.setdefault(self._key(), [])
        cas = body.get("options", {}).get("cas")
        if cas is not None and cas != len(versions):
            self._answer(400, {"errors": [kv_client.CAS_MISMATCH]})
            return
        versions.append(body["data"])
        self._answer(200, {"data": {"version": len(versions)}})


@pytest.fixture
def fake_vault():
    FakeVault.store = {}
    servers = []
    for redirect in (False, True):
        handler = type("Handler", (FakeVault,), {})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    active, standby = servers
    standby.RequestHandlerClass.redirect_to = f"http://127.0.0.1:{active.server_port}"
    yield [f"127.0.0.1:{s.server_port}" for s in servers]
    for s in servers:
        s.shutdown()
        s.server_close()


def test_kv_client_outcomes(fake_vault):
    active, standby = fake_vault
    kv = kv_client.KVClient(active, "root", timeout=0.2)
    assert kv.read("k") == ("ok", None, 404, None)
    assert kv.write("k", "a").outcome == "ok"
    assert kv.write("k", "b").result == {"version": 2}
    assert kv.read("k").result == {"value": "b", "version": 2}
    mismatch = kv.cas_write("k", "c", 1)
    assert mismatch.outcome == "fail" and mismatch.result == {"cas_mismatch": True}
    assert kv.cas_write("k", "c", 2).result == {"version": 3}
    assert kv.cas_write("new", "x", 0).result == {"version": 1}
    assert kv.cas_write("new", "y", 0).result == {"cas_mismatch": True}
    denied = kv_client.KVClient(active, "wrong").write("k", "d")
    assert denied.outcome == "fail" and denied.result is None and denied.status == 403
    assert kv.write("boom", "x").outcome == "unknown"
    assert kv.read("boom").outcome == "unknown"
    assert kv.read("deleted").outcome == "fail"
    assert kv.write("slow", "x").outcome == "unknown"
    # Through a "standby" that answers 307 to the active node.
    via_standby = kv_client.KVClient(standby, "root")
    assert via_standby.write("k", "e").result == {"version": 4}
    assert via_standby.read("k").result == {"value": "e", "version": 4}
    # Nothing listening: unknown.
    closed = kv_client.KVClient("127.0.0.1:1", "root", timeout=0.2)
    assert closed.write("k", "f").outcome == "unknown"


def test_recording_client_history_checks(fake_vault, tmp_path):
    active, _ = fake_vault
    path = tmp_path / "history.jsonl"
    with history.Recorder(str(path)) as recorder:
        kv = kv_client.KVClient(active, "root", timeout=0.2)

        def worker(c):
            client = kv_client.RecordingClient(kv, recorder, f"c{c}", "n1")
            for i in range(15):
                key = f"k{i % 2}"
                client.write(key, f"c{c}-{i}")
                seen = client.read(key)
                version = seen.result["version"] if seen.result else 0
                client.cas_write(key, f"c{c}-{i}-cas", version)
            client.write("slow", "x")

        threads = [threading.Thread(target=worker, args=(c,)) for c in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    records = history.load_history(str(path))
    assert len(records) == 3 * (15 * 3 + 1)
    assert {r["outcome"] for r in records} >= {"ok", "unknown"}
    verdict = check(records)
    assert verdict.ok is True, verdict.explanation
