"""Helpers for the snapshot tests: binary downloads and uploads of archives
(harness.api decodes bodies as text), reading an archive's records the way
docs/snapshot-format.md describes them, and filling a server with secrets."""
import http.client
import io
import struct
import tarfile
import urllib.parse

from harness import wait_for


def _request(address, method, path, token=None, body=None, headers=None, timeout=120):
    url = urllib.parse.urlparse(address)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    all_headers = dict(headers or {})
    if token:
        all_headers["X-Vault-Token"] = token
    if body is not None:
        all_headers["Content-Type"] = "application/octet-stream"
    conn.request(method, path, body=body, headers=all_headers)
    r = conn.getresponse()
    data = r.read()
    result = (r.status, data, {k.lower(): v for k, v in r.getheaders()})
    conn.close()
    return result


def save(node, token, stale=False, follow=True):
    """GET sys/storage/raft/snapshot: (status, archive bytes, headers),
    following one 307 to the active node as a client would."""
    path = "/v1/sys/storage/raft/snapshot" + ("?stale=true" if stale else "")
    status, body, headers = _request(node.address, "GET", path, token)
    if status == 307 and follow:
        status, body, headers = _request(headers["location"].split("/v1/")[0], "GET", path, token)
    return status, body, headers


def restore(node, token, archive, force=False, follow=True):
    """POST sys/storage/raft/snapshot[-force]: (status, body text, headers),
    re-sending the archive after one 307, as the CLI does."""
    path = "/v1/sys/storage/raft/snapshot" + ("-force" if force else "")
    status, body, headers = _request(node.address, "POST", path, token, archive)
    if status == 307 and follow:
        status, body, headers = _request(headers["location"].split("/v1/")[0], "POST", path,
                                         token, archive)
    return status, body.decode(errors="replace"), headers


def members(archive):
    """The archive's members in order: [(name, bytes)]."""
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]


def records(archive):
    """state.bin's records as a dict key -> value (docs/snapshot-format.md)."""
    state = dict(members(archive))["state.bin"]
    assert state[:8] == b"TRSNAPv1"
    out, pos = {}, 8
    while pos < len(state):
        (klen,) = struct.unpack(">I", state[pos:pos + 4])
        key = state[pos + 4:pos + 4 + klen].decode()
        pos += 4 + klen
        (vlen,) = struct.unpack(">I", state[pos:pos + 4])
        out[key] = state[pos + 4:pos + 4 + vlen]
        pos += 4 + vlen
    return out


def put_secrets(node, token, mount, count, value, prefix="k"):
    for i in range(count):
        r = node.api("PUT", f"{mount}/{prefix}{i}", {"v": value}, token=token)
        assert r.status in (200, 204), r


def read_secret(node, token, path):
    r = node.api("GET", path, token=token)
    return r.json["data"]["v"] if r.status == 200 else None


def enable_kv1(node, token, mount="kv"):
    r = node.api("POST", f"sys/mounts/{mount}", {"type": "kv", "options": {"version": "1"}},
                 token=token)
    assert r.status == 204, r


def start_unsealed_raft():
    """A new one-node raft server, initialised with one key share and
    unsealed: (server, keys, root token). The caller closes it."""
    from harness import TresorServer
    s = TresorServer(storage="raft")
    s.start()
    init = s.init(1, 1)
    s.unseal(init["keys"])
    wait_unsealed_active(s)
    return s, init["keys"], init["root_token"]


def wait_unsealed_active(node):
    wait_for(lambda: node.api("GET", "sys/leader").json.get("is_self") is True, timeout=30,
             what="the node to become active")


def count_between_snapshots(read_status, list_snapshots):
    """The snapshots listed while a schedule is quiet (its status unchanged
    and no snapshot under way around the listing), or None when it was not:
    between a new snapshot and its retention pass there are retain + 1."""
    before = read_status()
    names = list_snapshots()
    after = read_status()
    if before == after and before["snapshot_start"] == "":
        return len(names)
    return None
