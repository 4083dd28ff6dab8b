import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ROOT_TOKEN, SERVERS_OF_THIS_TEST, DevServer, TresorServer  # noqa: E402
from hvac_support import client  # noqa: E402

@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    SERVERS_OF_THIS_TEST.clear()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test's report ends with the last lines each of its servers
    logged: a flake in CI is then diagnosable from CI's output alone."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    for i, server in enumerate(SERVERS_OF_THIS_TEST):
        # A closed server's directory is gone; it kept its last lines.
        tail = server.closing_log_tail if server.closing_log_tail is not None else server.log_tail()
        if tail:
            report.sections.append((f"server {i} ({server.address}) log, last lines", tail))


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
