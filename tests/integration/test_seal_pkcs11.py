"""seal "pkcs11" against SoftHSM2 (Debian's softhsm2, a real PKCS#11
module): the test initialises its own token in a temporary directory; the
key is generated inside the token on first use; restart; a wrong PIN leaves
the node sealed with the token's refusal in its log."""
import os
import subprocess
import tempfile

from harness import TresorServer, wait_for
from seal_support import init_auto, wait_unsealed

MODULE = "/usr/lib/softhsm/libsofthsm2.so"


class SoftHsm:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="tresor-softhsm-")
        tokens = os.path.join(self.dir.name, "tokens")
        os.makedirs(tokens)
        self.conf = os.path.join(self.dir.name, "softhsm2.conf")
        with open(self.conf, "w") as f:
            f.write(f"directories.tokendir = {tokens}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
        self.env = {"SOFTHSM2_CONF": self.conf}
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "tresor",
                        "--pin", "1234", "--so-pin", "5678"], check=True, capture_output=True,
                       env={**os.environ, **self.env})

    def block(self, pin="1234"):
        return (f'seal "pkcs11" {{\n  lib = "{MODULE}"\n  token_label = "tresor"\n'
                f'  pin = "{pin}"\n  key_label = "tresor-root"\n  mechanism = "0x1087"\n'
                f'  generate_key = "true"\n}}\n')

    def close(self):
        self.dir.cleanup()


def test_pkcs11_seal_on_softhsm():
    hsm = SoftHsm()
    node = TresorServer(storage="raft", extra_config=hsm.block(), env=hsm.env)
    try:
        node.start()
        assert node.seal_status()["type"] == "pkcs11"
        init = init_auto(node, 2, 2)
        root = init["root_token"]
        assert node.seal_status()["sealed"] is False
        # The key was generated in the token, not exportable.
        listing = subprocess.run(["softhsm2-util", "--show-slots"], capture_output=True,
                                 text=True, env={**os.environ, **hsm.env}).stdout
        assert "tresor" in listing
        assert node.stop() == 0
        node.start()
        wait_unsealed(node)
        wait_for(lambda: node.api("GET", "sys/health").status == 200, what="active")
        assert node.api("GET", "sys/key-status", token=root).status == 200

        assert node.stop() == 0
        node.extra_config = hsm.block(pin="0000")
        node.write_config()
        node.start()
        wait_for(lambda: "refused the PIN" in node.logs(), what="the PIN refusal in the log")
        assert node.proc.poll() is None
        assert node.seal_status()["sealed"] is True
    finally:
        node.close()
        hsm.close()
