"""Shared helpers for the hvac integration tests (test_hvac_*.py,
test_restart_secrets.py).

DevServer runs `tresor server -dev` (in memory, initialised, unsealed, KV v2
at secret/, a chosen root token) on a free port, with TresorServer's api(),
logs() and close(). client() builds an hvac 0.11.2 client for a server.
"""
import os
import subprocess

import hvac

from harness import BINARY, TresorServer, wait_for

ROOT_TOKEN = "root-token-for-tests"


class DevServer(TresorServer):
    def __init__(self, root_token=ROOT_TOKEN):
        super().__init__(storage="inmem")
        self.root_token = root_token

    def start(self, wait=True):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [BINARY, "server", "-dev", f"-dev-root-token-id={self.root_token}",
             f"-dev-listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        if wait:
            self.wait_ready()
            # -dev listens first and initialises afterwards: wait until it is
            # unsealed and secret/ answers.
            wait_for(lambda: self.api("GET", "sys/seal-status").json.get("sealed") is False,
                     what="the dev server to unseal")
            wait_for(lambda: self.api("GET", "sys/mounts/secret", token=self.root_token)
                     .status == 200, what="secret/ to be mounted")
        return self


def client(server, token):
    return hvac.Client(url=server.address, token=token)
