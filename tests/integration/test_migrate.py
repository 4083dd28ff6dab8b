"""`tresor operator migrate` with real processes: a file server's storage
copied to a raft destination, every entry checked by starting a server on
the destination, unsealing it with the source's keys and reading every
secret back; refused into a non-empty destination and while the source
server runs; usage errors."""
import os
import subprocess

from harness import BINARY, TresorServer, free_port, wait_for
from snapshot_support import enable_kv1, put_secrets, read_secret, wait_unsealed_active


def migrate(config_path, *args):
    return subprocess.run([BINARY, "operator", "migrate", f"-config={config_path}", *args],
                          capture_output=True, text=True, timeout=180)


def write_migrate_config(path, source_dir, destination_dir, cluster_port, node_id="node1"):
    with open(path, "w") as f:
        f.write(f'storage_source "file" {{\n  path = "{source_dir}"\n}}\n'
                f'storage_destination "raft" {{\n  path = "{destination_dir}"\n'
                f'  node_id = "{node_id}"\n}}\n'
                f'cluster_addr = "http://127.0.0.1:{cluster_port}"\n')


def start_with_secrets(src):
    """Starts, initialises and unseals src, and writes 300 secrets under kv/
    (kv v1); returns (unseal key, root token)."""
    src.start()
    init = src.init(1, 1)
    key, root = init["keys"][0], init["root_token"]
    src.unseal([key])
    enable_kv1(src, root)
    put_secrets(src, root, "kv", 300, "migrated")
    return key, root


def test_file_to_raft_copies_every_entry(tmp_path):
    src = TresorServer(storage="file")
    dst = TresorServer(storage="raft", storage_extra='  node_id = "node1"\n')
    try:
        key, root = start_with_secrets(src)
        r = src.api("POST", "auth/token/create", {"policies": ["default"]}, token=root)
        child = r.json["auth"]["client_token"]

        config = str(tmp_path / "migrate.hcl")
        write_migrate_config(config, src.data_dir, dst.data_dir, dst.cluster_port)
        running = migrate(config)
        assert running.returncode == 1, running
        assert "stop it first" in running.stderr.lower()
        assert not os.path.exists(dst.data_dir)

        assert src.stop() == 0
        done = migrate(config)
        assert done.returncode == 0, done
        assert "Success! Migrated" in done.stdout
        assert "read back equal" in done.stdout
        assert "Copied" in done.stdout

        dst.start()
        dst.unseal([key])
        wait_unsealed_active(dst)
        for i in range(300):
            assert read_secret(dst, root, f"kv/k{i}") == "migrated", i
        assert dst.api("GET", "auth/token/lookup-self", token=child).status == 200
        r = dst.api("PUT", "kv/after", {"v": "written on raft"}, token=root)
        assert r.status in (200, 204), r
        assert dst.stop() == 0

        # Into a destination that now holds data: refused, nothing copied.
        again = migrate(config)
        assert again.returncode == 1, again
        assert "not empty" in again.stderr
        dst.start()
        dst.unseal([key])
        wait_unsealed_active(dst)
        assert read_secret(dst, root, "kv/after") == "written on raft"
    finally:
        src.close()
        dst.close()


def test_usage_and_config_errors(tmp_path):
    assert subprocess.run([BINARY, "operator", "migrate"], capture_output=True,
                          timeout=30).returncode == 2
    assert migrate(str(tmp_path / "none.hcl")).returncode == 1
    bad = tmp_path / "bad.hcl"
    bad.write_text('storage_source "file" { path = "/x" }\n'
                   'storage_destination "raft" { path = "/y" }\n')
    r = migrate(str(bad))
    assert r.returncode == 1 and "cluster_addr is required" in r.stderr
    config = str(tmp_path / "m.hcl")
    write_migrate_config(config, str(tmp_path / "src"), str(tmp_path / "dst"), free_port())
    assert migrate(config, "-bogus").returncode == 2


def test_file_to_postgresql_to_etcd_keeps_every_secret(tmp_path):
    """Through both external backends: a file server's storage into
    PostgreSQL, then from PostgreSQL into etcd (more than one 128-entry etcd
    transaction), and a server on etcd unsealed with the source's keys reads
    every secret back."""
    from etcd_support import EtcdServer, etcd_storage_block
    from postgres_support import PostgresServer

    src = TresorServer(storage="file")
    with PostgresServer() as pg, EtcdServer() as etcd:
        dst = TresorServer(storage_block=etcd_storage_block(etcd.url, ha=False))
        try:
            key, root = start_with_secrets(src)
            assert src.stop() == 0

            to_pg = str(tmp_path / "to-pg.hcl")
            with open(to_pg, "w") as f:
                f.write(f'storage_source "file" {{\n  path = "{src.data_dir}"\n}}\n'
                        f'storage_destination "postgresql" {{\n'
                        f'  connection_url = "{pg.url}"\n}}\n')
            done = migrate(to_pg)
            assert done.returncode == 0, done
            assert "read back equal" in done.stdout

            to_etcd = str(tmp_path / "to-etcd.hcl")
            with open(to_etcd, "w") as f:
                f.write(f'storage_source "postgresql" {{\n  connection_url = "{pg.url}"\n}}\n'
                        f'storage_destination "etcd" {{\n  address = "{etcd.url}"\n}}\n')
            done = migrate(to_etcd)
            assert done.returncode == 0, done
            assert "read back equal" in done.stdout

            dst.start()
            dst.unseal([key])
            # No HA lock here (ha_enabled false): the node is active once unsealed.
            wait_for(lambda: dst.api("GET", "sys/health").status == 200, what="an active node")
            for i in range(300):
                assert read_secret(dst, root, f"kv/k{i}") == "migrated", i
        finally:
            src.close()
            dst.close()
