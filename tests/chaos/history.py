"""History of concurrent KV v2 operations, and a thread-safe Recorder for it.

A history is a file of JSON lines, one operation per line:

    {"id": 17,                 # unique within the history (the Recorder counts from 0)
     "client": "c3",           # who issued it: one client issues one op at a time
     "node": "n2",             # the Tresor node it was sent to
     "op": "read" | "write" | "cas",
     "key": "k4",              # each key is checked as an independent register
     "value": "c3-17",         # the value written (write, cas), null for a read
     "cas": 5,                 # expected version of a cas (0: key must not exist), else null
     "invoke": 12.345678,      # time.monotonic() just before the request was sent
     "complete": 12.351,       # time.monotonic() when the answer arrived; null if unknown
     "outcome": "ok" | "fail" | "unknown",
     "result": ...}

"result" by op and outcome:
  - ok read:         {"value": <value>, "version": N}, or null when the key was missing
  - ok write / cas:  {"version": N}, the version the write created
  - fail cas:        {"cas_mismatch": true} when the server said the check-and-set
                     version did not match (the checker then uses it as an
                     observation: the version was not "cas" at some instant of
                     its interval); null or {} for other definite failures
  - anything else:   null

Outcomes: "ok" took effect once, inside [invoke, complete]; "fail" definitely
did not take effect; "unknown" (timeout, reset connection, 5xx) may have taken
effect at any instant after "invoke", or never; its "complete" is recorded
when the client gave up but the checker treats its end as +infinity.

Values are compared by equality; the workload should write unique values
(e.g. "<client>-<id>") so that a read names the write it saw.

The file is written line by line as operations complete, so lines are in
completion order, not invocation order; an op still running when the recorder
is closed is written as "unknown" then.
"""

import itertools
import json
import threading
import time

OPS = ("read", "write", "cas")
OUTCOMES = ("ok", "fail", "unknown")


def validate(record):
    """Raises ValueError when `record` is not a well-formed history record."""
    for field in ("id", "client", "node", "op", "key", "invoke", "outcome"):
        if field not in record:
            raise ValueError(f"history record lacks {field!r}: {record!r}")
    if record["op"] not in OPS:
        raise ValueError(f"unknown op {record['op']!r}: {record!r}")
    if record["outcome"] not in OUTCOMES:
        raise ValueError(f"unknown outcome {record['outcome']!r}: {record!r}")
    if record["op"] == "cas" and not isinstance(record.get("cas"), int):
        raise ValueError(f"cas op without an integer 'cas': {record!r}")
    if record["outcome"] != "unknown" and record.get("complete") is None:
        raise ValueError(f"{record['outcome']} op without 'complete': {record!r}")
    result = record.get("result")
    if record["outcome"] == "ok" and record["op"] != "read":
        if not isinstance(result, dict) or "version" not in result:
            raise ValueError(f"ok {record['op']} without result.version: {record!r}")
    if record["outcome"] == "ok" and record["op"] == "read" and result is not None:
        if not isinstance(result, dict) or "version" not in result:
            raise ValueError(f"ok read without result.version: {record!r}")


def make_record(id, client, node, op, key, invoke, complete, outcome,
                value=None, cas=None, result=None):
    """A history record (a dict) with every field, in the documented order."""
    return {"id": id, "client": client, "node": node, "op": op, "key": key,
            "value": value, "cas": cas, "invoke": invoke, "complete": complete,
            "outcome": outcome, "result": result}


def iter_history(path):
    """Yields the records of a JSON-lines history file, one at a time.

    A torn last line (a run killed mid-write) is skipped; a bad line anywhere
    else raises ValueError.
    """
    torn = None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            if torn is not None:
                raise torn
            try:
                record = json.loads(line)
            except json.JSONDecodeError as e:
                torn = ValueError(f"{path}:{number}: not JSON: {e}")
                continue
            validate(record)
            yield record


def load_history(path):
    """All records of a history file, as a list."""
    return list(iter_history(path))


def load_by_key(path):
    """The records of a history file grouped per key: {key: [record, ...]}."""
    by_key = {}
    for record in iter_history(path):
        by_key.setdefault(record["key"], []).append(record)
    return by_key


def write_history(path, records):
    """Writes records as a JSON-lines history file (used by tests and tools)."""
    with open(path, "w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record, sort_keys=False) + "\n")


class OpRecord:
    """One operation in flight; the context manager that Recorder.op returns.

    Call ok(result) or fail(result=None) before the block ends. A block that
    ends without either, or by an exception, records the op as "unknown".
    Exceptions are not swallowed unless the Recorder was made with
    suppress_exceptions=True.
    """

    def __init__(self, recorder, record):
        self._recorder = recorder
        self.record = record
        self._done = False

    def __enter__(self):
        self.record["invoke"] = self._recorder.clock()
        self._recorder._started(self)
        return self

    def ok(self, result=None):
        self._finish("ok", result)

    def fail(self, result=None):
        self._finish("fail", result)

    def unknown(self):
        self._finish("unknown", None)

    def _finish(self, outcome, result):
        if self._done and self._recorder.closed:
            return  # close() already wrote it as unknown
        if self._done:
            raise RuntimeError(f"op {self.record['id']} already completed")
        self._done = True
        self.record["complete"] = self._recorder.clock()
        self.record["outcome"] = outcome
        self.record["result"] = result
        self._recorder._finished(self)

    def __exit__(self, exc_type, exc, tb):
        if not self._done:
            self._finish("unknown", None)
        return exc_type is not None and self._recorder.suppress_exceptions


class Recorder:
    """Thread-safe history recorder writing JSON lines to `path` as ops complete.

        recorder = Recorder("history.jsonl")
        with recorder.op("c1", "n2", "write", "k1", value="c1-1") as rec:
            rec.ok({"version": 3})
        recorder.close()

    Memory stays bounded: only ops in flight are kept. `clock` defaults to
    time.monotonic (one clock for all threads of this process).
    """

    def __init__(self, path, clock=time.monotonic, suppress_exceptions=False):
        self.path = path
        self.clock = clock
        self.suppress_exceptions = suppress_exceptions
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._pending = {}
        self._file = open(path, "a", encoding="utf-8")
        self.count = 0

    def op(self, client, node, op, key, value=None, cas=None):
        if op not in OPS:
            raise ValueError(f"unknown op {op!r}")
        if op == "cas" and not isinstance(cas, int):
            raise ValueError("a cas op needs an integer cas")
        with self._lock:
            id = next(self._ids)
        record = make_record(id, client, node, op, key, None, None, "unknown",
                             value=value, cas=cas)
        return OpRecord(self, record)

    def _started(self, op_record):
        with self._lock:
            self._pending[op_record.record["id"]] = op_record

    def _finished(self, op_record):
        with self._lock:
            self._pending.pop(op_record.record["id"], None)
            self._write(op_record.record)

    def _write(self, record):
        if self._file is None:
            raise RuntimeError("recorder is closed")
        self._file.write(json.dumps(record) + "\n")
        self._file.flush()
        self.count += 1

    def record(self, record):
        """Appends a complete record made elsewhere (its id is kept if set)."""
        with self._lock:
            if record.get("id") is None:
                record = dict(record, id=next(self._ids))
            validate(record)
            self._write(record)

    @property
    def closed(self):
        return self._file is None

    def close(self):
        """Writes ops still in flight as "unknown" and closes the file."""
        with self._lock:
            if self._file is None:
                return
            for op_record in list(self._pending.values()):
                op_record._done = True
                op_record.record["outcome"] = "unknown"
                op_record.record["complete"] = None
                op_record.record["result"] = None
                self._write(op_record.record)
            self._pending.clear()
            self._file.close()
            self._file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False
