"""seal "awskms" against a KMS stand-in on loopback that checks every
request's SigV4 signature (fake_kms.py; no AWS is reachable here): init,
restart, KMS down at start, and a wrong secret key refused by the signature
check, leaving the node sealed with the reason in its log."""
from fake_kms import FakeKms
from harness import TresorServer, wait_for
from seal_support import init_auto, wait_unsealed

ACCESS, SECRET = "AKIDTRESORTEST", "tresor-test-secret-key"


def awskms_block(kms, secret=SECRET, disabled=False):
    return (f'seal "awskms" {{\n  region = "us-east-1"\n  kms_key_id = "alias/tresor"\n'
            f'  endpoint = "{kms.endpoint}"\n  access_key = "{ACCESS}"\n'
            f'  secret_key = "{secret}"\n' + ('  disabled = "true"\n' if disabled else "") + "}\n")


def test_awskms_seal_with_signed_requests():
    kms = FakeKms(ACCESS, SECRET).start()
    node = TresorServer(storage="raft", extra_config=awskms_block(kms))
    try:
        node.start()
        assert node.seal_status()["type"] == "awskms"
        init = init_auto(node, 1, 1)
        root = init["root_token"]
        assert node.seal_status()["sealed"] is False
        assert ("Encrypt", True) in kms.calls
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="active")
        assert node.api("POST", "sys/mounts/kv", {"type": "kv"}, token=root).status == 204
        assert node.api("PUT", "kv/a", {"v": "1"}, token=root).status == 204

        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
        assert ("Decrypt", True) in kms.calls
        assert node.api("GET", "kv/a", token=root).json["data"]["v"] == "1"

        # KMS down at start: sealed, and why.
        port = kms.port
        kms.stop()
        assert node.stop() == 0
        node.start()
        wait_for(lambda: "auto-unseal through the seal \"awskms\" failed" in node.logs(),
                 what="the failure in the log")
        assert node.seal_status()["sealed"] is True
        kms.start(port)
        wait_unsealed(node)

        # A wrong secret key: KMS refuses the signature; sealed, no crash.
        assert node.stop() == 0
        node.extra_config = awskms_block(kms, secret="not-the-secret")
        node.write_config()
        node.start()
        wait_for(lambda: "InvalidSignatureException" in node.logs(),
                 what="the signature refusal in the log")
        assert node.proc.poll() is None
        assert node.seal_status()["sealed"] is True
        assert ("Decrypt", False) in kms.calls
    finally:
        node.close()
        kms.stop()
