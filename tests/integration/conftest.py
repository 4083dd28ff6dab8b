import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT_TOKEN, DevServer, TresorServer  # noqa: E402
from hvac_support import client  # noqa: E402


@pytest.fixture
def server():
    """A started, uninitialised single-node server on integrated raft storage
    (TresorServer's default) in a temporary directory."""
    s = TresorServer()
    s.start()
    yield s
    s.close()


@pytest.fixture
def unsealed(server):
    """A server initialised with 1 share and unsealed; yields (server, init_json)."""
    init = server.init(1, 1)
    server.unseal(init["keys"])
    yield server, init


@pytest.fixture(scope="module")
def dev():
    """A -dev server shared by a test module, with root token ROOT_TOKEN."""
    s = DevServer().start()
    yield s
    s.close()


@pytest.fixture
def root(dev):
    """An hvac client for dev with the root token."""
    return client(dev, ROOT_TOKEN)
