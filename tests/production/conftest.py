import os
import socket

import pytest

from core import health


@pytest.fixture
def redis_url():
    """A real Redis for the probes and the worker test (CI starts one on 127.0.0.1:6379)."""
    return os.environ.get("PERISCOPE_TEST_REDIS_URL", "redis://127.0.0.1:6379/8")


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(autouse=True)
def _forget_migration_check():
    """The readiness probe remembers a successful migration check per process."""
    health._migrations_applied = False
    yield
    health._migrations_applied = False
