"""scripts/cluster: one command brings up a joined, unsealed 3-node cluster
on loopback, `down` stops it, and `up` again brings the same cluster back
(all nodes restart sealed and are unsealed before one becomes active)."""
import json
import os
import random
import subprocess
import tempfile
import urllib.request

from harness import BINARY

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "cluster")


def run(*args, env):
    return subprocess.run(["bash", SCRIPT, *args], capture_output=True, text=True, env=env,
                          timeout=300)


def get(url, token=None):
    req = urllib.request.Request(url)
    if token:
        req.add_header("X-Vault-Token", token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def node_logs(root):
    logs = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        if name.endswith(".log"):
            with open(os.path.join(root, name), errors="replace") as f:
                logs.append(f"--- {name}\n{f.read()[-2000:]}")
    return "\n".join(logs)


def test_cluster_up_down_up():
    with tempfile.TemporaryDirectory(prefix="tresor-cluster-") as root:
        # Below the kernel's ephemeral range (32768+), where the other tests'
        # free ports come from: a fixed block there could be taken meanwhile.
        base = random.randrange(10000, 19900, 100)
        env = {**os.environ, "TRESOR_BINARY": os.path.abspath(BINARY),
               "TRESOR_CLUSTER_DIR": os.path.join(root, "c"),
               "TRESOR_CLUSTER_BASE_PORT": str(base)}
        try:
            up = run("up", "3", env=env)
            assert up.returncode == 0, up.stdout + up.stderr + node_logs(os.path.join(root, "c"))
            assert "cluster of 3 nodes is up" in up.stdout
            with open(os.path.join(root, "c", "init.json")) as f:
                token = json.load(f)["root_token"]
            assert oct(os.stat(os.path.join(root, "c", "init.json")).st_mode & 0o777) == "0o600"
            config = get(f"http://127.0.0.1:{base + 30}/v1/sys/storage/raft/configuration", token)
            servers = config["data"]["config"]["servers"]
            assert sorted(s["node_id"] for s in servers) == ["node1", "node2", "node3"]
            down = run("down", env=env)
            assert down.returncode == 0, down.stderr
            again = run("up", "3", env=env)
            assert again.returncode == 0, (again.stdout + again.stderr +
                                           node_logs(os.path.join(root, "c")))
            leader = get(f"http://127.0.0.1:{base + 20}/v1/sys/leader")
            assert leader["ha_enabled"] is True and leader["leader_address"]
        finally:
            run("down", "--wipe", env=env)
        assert not os.path.exists(os.path.join(root, "c"))
