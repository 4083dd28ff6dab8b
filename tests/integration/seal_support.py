"""Shared by the auto-unseal tests: an unsealer Tresor with a transit key and
a periodic orphan token that may only encrypt and decrypt with it (as
docs/seal.md recommends), and helpers to start a sealed node through a seal
block and wait for it to unseal itself."""
from harness import TresorServer, wait_for

UNSEAL_POLICY = """
path "transit/encrypt/autounseal" { capabilities = ["update"] }
path "transit/decrypt/autounseal" { capabilities = ["update"] }
path "auth/token/renew-self" { capabilities = ["update"] }
path "auth/token/lookup-self" { capabilities = ["read"] }
"""


class Unsealer:
    """A Tresor on file storage with transit/ and the key `autounseal`."""

    def __init__(self):
        self.server = TresorServer(storage="file")
        self.server.start()
        init = self.server.init(1, 1)
        self.key, self.root = init["keys"][0], init["root_token"]
        self.server.unseal([self.key])
        self.api("POST", "sys/mounts/transit", {"type": "transit"})
        self.api("POST", "transit/keys/autounseal", {})
        self.api("PUT", "sys/policy/autounseal", {"policy": UNSEAL_POLICY})
        r = self.api("POST", "auth/token/create-orphan",
                     {"policies": ["autounseal"], "period": "24h"})
        self.token = r.json["auth"]["client_token"]

    def api(self, method, path, body=None, token=None):
        r = self.server.api(method, path, body, token=token or self.root)
        assert r.status in (200, 204), r
        return r

    def restart(self):
        assert self.server.stop() == 0
        self.server.start()
        self.server.unseal([self.key])

    def seal_block(self, disabled=False):
        return (f'seal "transit" {{\n  address = "{self.server.address}"\n'
                f'  token = "{self.token}"\n  key_name = "autounseal"\n'
                f'  mount_path = "transit/"\n' + ('  disabled = "true"\n' if disabled else "")
                + "}\n")

    def close(self):
        self.server.close()


def wait_unsealed(node, timeout=30):
    wait_for(lambda: node.seal_status()["sealed"] is False, timeout=timeout,
             what="the node to unseal through its seal")


def init_auto(node, shares=3, threshold=2):
    r = node.api("PUT", "sys/init", {"recovery_shares": shares, "recovery_threshold": threshold})
    assert r.status == 200, r
    return r.json
