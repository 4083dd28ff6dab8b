"""Shared helpers for the hvac integration tests (test_hvac_*.py,
test_restart_secrets.py).

DevServer (from harness) runs `tresor server -dev` (in memory, initialised, unsealed, KV v2
at secret/, a chosen root token) on a free port, with TresorServer's api(),
logs() and close(). client() builds an hvac 0.11.2 client for a server.
"""
import hvac

from harness import ROOT_TOKEN, DevServer  # noqa: F401 (re-exported for the tests)


def client(server, token):
    return hvac.Client(url=server.address, token=token)
