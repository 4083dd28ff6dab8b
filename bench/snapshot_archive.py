"""Builds a large Tresor snapshot archive from a small real one (bench only).

snapshot_bench.py needs a node holding N entries of 1 KiB. Writing them
through the API one by one would take most of the benchmark's budget, so
this module takes a real archive of a small initialised node (its keyring,
root key, mount table and root token are real) and writes a new archive
with the same records plus N synthetic ones under
`logical/<mount uuid>/bench/<n>`, each value N random bytes (shaped like
barrier ciphertext: incompressible, and never read by anyone). It follows
docs/snapshot-format.md, version 1, exactly: gzip (level 0, as Tresor
writes) over a ustar archive (a pax header for a state.bin of 8 GiB or
more, as Tresor writes) of meta.json, state.bin, SHA256SUMS and
SHA256SUMS.sealed, in that order, mode 0600, uid/gid 0, mtime = created_at;
keys strictly increasing; meta.json's `size` and `id` and SHA256SUMS
recomputed. SHA256SUMS.sealed is copied from the small archive: it cannot
be remade without the cluster's root key, so the result only restores with
`snapshot-force` (which skips the sealed sums) into a fresh node.

Standard library only; memory stays bounded (state.bin is spooled to a
temporary file in `workdir`, never held whole).
"""
import datetime
import hashlib
import io
import json
import os
import random
import struct
import tarfile
import tempfile

MAGIC = b"TRSNAPv1"
MEMBERS = ("meta.json", "state.bin", "SHA256SUMS", "SHA256SUMS.sealed")


def read_members(path):
    """The small archive's members as {name: bytes} (it is small)."""
    members = {}
    with tarfile.open(path, "r:gz") as tar:
        names = tar.getnames()
        if tuple(names) != MEMBERS:
            raise ValueError(f"{path}: members {names}, expected {list(MEMBERS)}")
        for name in names:
            members[name] = tar.extractfile(name).read()
    return members


def parse_records(state):
    """state.bin bytes -> [(key, value)], checking the magic and framing."""
    if not state.startswith(MAGIC):
        raise ValueError("state.bin does not start with TRSNAPv1")
    records, pos = [], len(MAGIC)
    while pos < len(state):
        (klen,) = struct.unpack_from(">I", state, pos)
        key = state[pos + 4:pos + 4 + klen]
        pos += 4 + klen
        (vlen,) = struct.unpack_from(">I", state, pos)
        value = state[pos + 4:pos + 4 + vlen]
        pos += 4 + vlen
        if len(value) != vlen or pos > len(state):
            raise ValueError("state.bin: a record runs past the end")
        records.append((key, value))
    return records


def bench_key(mount_uuid, n):
    # Zero-padded so that numeric order is byte order.
    return f"logical/{mount_uuid}/bench/{n:08d}".encode()


def write_record(out, digest, key, value):
    frame = struct.pack(">I", len(key)) + key + struct.pack(">I", len(value))
    out.write(frame)
    out.write(value)
    digest.update(frame)
    digest.update(value)
    return len(frame) + len(value)


def build(small_path, out_path, mount_uuid, entries, value_size, workdir, seed=5,
          compresslevel=0):
    """Writes `out_path`: the small archive's records plus `entries`
    synthetic ones. compresslevel 0 (stored deflate blocks, still valid
    gzip) is what Tresor writes, so the restore bench reads what a save
    gives it. Returns {"records", "state_bytes", "archive_bytes",
    "entry_bytes", "meta"} for the new archive."""
    small = read_members(small_path)
    meta = json.loads(small["meta.json"])
    existing = parse_records(small["state.bin"])
    prefix = f"logical/{mount_uuid}/bench/".encode()
    if any(k.startswith(prefix) for k, _ in existing):
        raise ValueError(f"the small archive already has keys under {prefix!r}")
    rng = random.Random(seed)

    # The new keys form one contiguous run in byte order (they share a
    # prefix no existing key has), so the existing records before the run,
    # the run, then the rest are in strictly increasing order.
    before = [r for r in existing if r[0] < prefix]
    after = [r for r in existing if r[0] > prefix]
    digest = hashlib.sha256()
    with tempfile.TemporaryFile(dir=workdir) as state:
        state.write(MAGIC)
        digest.update(MAGIC)
        size = len(MAGIC)
        for key, value in before:
            size += write_record(state, digest, key, value)
        for n in range(entries):
            size += write_record(state, digest, bench_key(mount_uuid, n),
                                 rng.randbytes(value_size))
        for key, value in after:
            size += write_record(state, digest, key, value)

        meta["size"] = size
        # A new id (same term and index, another time) so that the built
        # archive is not mistaken for the small one in logs.
        meta["id"] = f"{meta['term']}-{meta['index']}-{int(meta['id'].split('-')[2]) + 1}"
        meta_bytes = json.dumps(meta, separators=(",", ":")).encode()
        sums = (f"{hashlib.sha256(meta_bytes).hexdigest()}  meta.json\n"
                f"{digest.hexdigest()}  state.bin\n").encode()
        mtime = created_at_unix(meta["created_at"])

        state.seek(0)
        with open(out_path, "wb") as raw, \
                tarfile.open(fileobj=raw, mode="w:gz", compresslevel=compresslevel,
                             format=tarfile.PAX_FORMAT) as tar:
            add_member(tar, "meta.json", io.BytesIO(meta_bytes), len(meta_bytes), mtime)
            add_member(tar, "state.bin", state, size, mtime)
            add_member(tar, "SHA256SUMS", io.BytesIO(sums), len(sums), mtime)
            sealed = small["SHA256SUMS.sealed"]
            add_member(tar, "SHA256SUMS.sealed", io.BytesIO(sealed), len(sealed), mtime)
    return {"records": len(existing) + entries, "state_bytes": size,
            "archive_bytes": os.path.getsize(out_path),
            "entry_bytes": entries * value_size, "meta": meta}


def add_member(tar, name, fileobj, size, mtime):
    info = tarfile.TarInfo(name)
    info.size = size
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = mtime
    tar.addfile(info, fileobj)


def created_at_unix(created_at):
    """RFC 3339 UTC (possibly with nanoseconds) -> whole unix seconds."""
    base = created_at.rstrip("Z").split(".")[0]
    moment = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")
    return int(moment.replace(tzinfo=datetime.timezone.utc).timestamp())
