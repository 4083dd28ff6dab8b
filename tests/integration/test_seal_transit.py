"""A Tresor unsealed by another Tresor's transit engine (seal "transit"), on
real processes: init with recovery keys, restart, a rotated transit key, the
unsealer down at start (the node stays sealed, says why, and unseals when
the unsealer returns), a revoked token (no crash), and the quorum flows
authorised by recovery keys."""
import json
import re

from harness import TresorServer, wait_for
from seal_support import Unsealer, init_auto, wait_unsealed

# Metrics readable while sealed, with names free of the host name.
TELEMETRY = 'telemetry {\n  disable_hostname = true\n}\n'
UNAUTHENTICATED_METRICS = "  telemetry {\n    unauthenticated_metrics_access = true\n  }\n"


def seal_metric(node, name):
    """A series of the seal's metrics from the node's exposition, or None."""
    body = node.api("GET", "sys/metrics?format=prometheus").body
    match = re.search(r"^" + re.escape(name) + r" (\S+)$", body, re.M)
    return float(match.group(1)) if match else None


HEALTHY = 'tresor_seal_healthy{disabled="false",seal_type="transit"}'


def test_transit_seal_end_to_end():
    unsealer = Unsealer()
    node = TresorServer(storage="raft", extra_config=unsealer.seal_block() + TELEMETRY,
                        listener_extra=UNAUTHENTICATED_METRICS)
    try:
        node.start()
        status = node.seal_status()
        assert (status["type"], status["initialized"], status["recovery_seal"]) == \
            ("transit", False, True)
        init = init_auto(node, 3, 2)
        assert init["keys"] == [] and len(init["recovery_keys"]) == 3
        recovery, root = init["recovery_keys"], init["root_token"]
        status = node.seal_status()
        assert status["sealed"] is False and (status["t"], status["n"]) == (2, 3)
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="active")
        r = node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root)
        assert r.status == 204, r
        assert node.api("PUT", "kv/app", {"password": "s3cret"}, token=root).status == 204

        # Restart: unsealed by the unsealer, no shares given.
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
        assert node.api("GET", "kv/app", token=root).json["data"]["password"] == "s3cret"

        # A rotated transit key: the stored blob (v1) still decrypts, and
        # the node re-wraps the root key under v2 when it becomes active, so
        # v1 can then be retired.
        unsealer.api("POST", "transit/keys/autounseal/rotate", {})
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
        wait_for(lambda: "now wrapped by its version v2" in node.logs(), what="the re-wrap")
        unsealer.api("POST", "transit/keys/autounseal/config", {"min_decryption_version": 2})
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)

        # The unsealer down at start: sealed, and the log says why.
        assert unsealer.server.stop() == 0
        assert node.stop() == 0
        node.start()
        wait_for(lambda: "auto-unseal through the seal \"transit\" failed" in node.logs(),
                 what="the node to log why it stays sealed")
        assert node.seal_status()["sealed"] is True
        assert node.seal_status()["type"] == "transit"
        # The metrics say the provider is failing, and count its errors.
        assert seal_metric(node, HEALTHY) == 0
        assert seal_metric(node, "vault_seal_transit_decrypt_error") >= 1
        assert seal_metric(node, "vault_seal_decrypt") >= 1
        # Recovery keys do not open it: only the seal does.
        r = node.api("PUT", "sys/unseal", {"key": recovery[0]})
        assert r.status == 400 and "unseals through its seal" in r.errors[0]
        unsealer.server.start()
        unsealer.server.unseal([unsealer.key])
        wait_unsealed(node)
        assert node.api("GET", "kv/app", token=root).status == 200
        assert seal_metric(node, HEALTHY) == 1
        assert seal_metric(node, 'vault_seal_decrypt_time_count') >= 2

        # Generate root with the recovery keys.
        r = node.cli("operator", "generate-root", "-init", "-format=json")
        otp = json.loads(r.stdout)["otp"]
        nonce = node.api("GET", "sys/generate-root/attempt").json["nonce"]
        for key in recovery[:2]:
            r = node.api("PUT", "sys/generate-root/update", {"key": key, "nonce": nonce})
            assert r.status == 200, r
        token = node.cli("operator", "generate-root", f"-decode={r.json['encoded_token']}",
                         f"-otp={otp}").stdout.strip()
        assert node.api("GET", "sys/key-status", token=token).status == 200

        # The unseal keys cannot be rekeyed (the seal holds the root key);
        # the recovery keys can.
        r = node.api("PUT", "sys/rekey/init", {"secret_shares": 1, "secret_threshold": 1})
        assert r.status == 400 and "rekey the recovery keys" in r.errors[0]
        r = node.api("PUT", "sys/rekey-recovery-key/init",
                     {"secret_shares": 2, "secret_threshold": 2})
        assert r.status == 200, r
        nonce = r.json["nonce"]
        for key in recovery[:2]:
            r = node.api("PUT", "sys/rekey-recovery-key/update", {"key": key, "nonce": nonce})
            assert r.status == 200, r
        new_recovery = r.json["keys"]
        assert len(new_recovery) == 2 and node.seal_status()["n"] == 2
        r = node.api("PUT", "sys/generate-root/attempt", {})
        nonce = r.json["nonce"]
        r = node.api("PUT", "sys/generate-root/update", {"key": recovery[0], "nonce": nonce})
        assert r.status == 200 and r.json["progress"] == 1
        r = node.api("PUT", "sys/generate-root/update", {"key": recovery[1], "nonce": nonce})
        assert r.status == 400 and "recovery key" in r.errors[0]
    finally:
        node.close()
        unsealer.close()


def test_revoked_transit_token_leaves_the_node_sealed_not_crashed():
    unsealer = Unsealer()
    node = TresorServer(storage="raft", extra_config=unsealer.seal_block())
    try:
        node.start()
        init_auto(node, 1, 1)
        assert node.stop() == 0
        unsealer.api("POST", "auth/token/revoke", {"token": unsealer.token})
        node.start()
        wait_for(lambda: "refused the token" in node.logs(), what="the refusal in the log")
        assert node.proc.poll() is None
        assert node.seal_status()["sealed"] is True
        assert node.api("GET", "sys/health").status == 503
    finally:
        node.close()
        unsealer.close()


def test_snapshot_drill_through_the_seal(tmp_path):
    """operator raft snapshot verify -config: the archive opens through the
    server config's seal, with no key shares; with the unsealer down the
    drill fails with exit code 3 (the keys of the day would not work)."""
    from snapshot_support import save
    unsealer = Unsealer()
    node = TresorServer(storage="raft", extra_config=unsealer.seal_block())
    try:
        node.start()
        root = init_auto(node, 1, 1)["root_token"]
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="active")
        assert node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        assert node.api("PUT", "kv/x", {"v": "1"}, token=root).status == 204
        status, archive, _ = save(node, root)
        assert status == 200
        path = tmp_path / "auto.snap"
        path.write_bytes(archive)
        r = node.cli("operator", "raft", "snapshot", "verify", str(path),
                     f"-config={node.config_path}", "-format=json")
        assert r.returncode == 0, r.stderr
        report = json.loads(r.stdout)
        assert report["verified"] is True and report["exit_code"] == 0
        r = node.cli("operator", "raft", "snapshot", "verify", str(path), "-unseal-key=AAAA",
                     f"-config={node.config_path}")
        assert r.returncode == 2 and "either" in r.stderr
        assert unsealer.server.stop() == 0
        r = node.cli("operator", "raft", "snapshot", "verify", str(path),
                     f"-config={node.config_path}")
        assert r.returncode == 3, (r.returncode, r.stderr)
        assert "does not open the snapshot" in r.stderr
    finally:
        node.close()
        unsealer.close()


def test_the_seal_renews_its_periodic_token():
    """With a periodic token of 5 s the node stays unsealable only if its
    seal renews the token: the renewals are seen on the unsealer, and after
    more than one period the token still works for a restart."""
    unsealer = Unsealer()
    r = unsealer.api("POST", "auth/token/create-orphan", {"policies": ["autounseal"], "period": "5s"})
    unsealer.token = r.json["auth"]["client_token"]
    node = TresorServer(storage="raft", extra_config=unsealer.seal_block())
    renewals = set()

    def renewed_again():
        r = unsealer.server.api("POST", "auth/token/lookup", {"token": unsealer.token},
                                token=unsealer.root)
        assert r.status == 200, r  # the token never expired
        renewals.add(r.json["data"].get("last_renewal_time"))
        return len(renewals - {None}) >= 3

    try:
        node.start()
        init_auto(node, 1, 1)
        wait_for(renewed_again, timeout=60, interval=0.2, what="three renewals of the seal's token")
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
    finally:
        node.close()
        unsealer.close()


def test_a_seal_block_missing_a_key_is_refused_at_start_with_its_line():
    node = TresorServer(storage="raft",
                        extra_config='seal "transit" {\n  address = "http://127.0.0.1:1"\n'
                                     '  token = "t"\n}\n')
    try:
        node.start(wait=False)
        node.proc.wait(timeout=30)
        assert node.stop() == 1
        assert f'{node.config_path}:11: seal "transit": key_name is required' in node.logs()
    finally:
        node.close()
