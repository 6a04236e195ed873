import pytest
from django.test import Client

from .world import build_world


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return build_world()


@pytest.fixture
def client_for(world):
    """A test client signed in as the given role ("visitor" stays anonymous)."""

    def make(role: str) -> Client:
        client = Client(raise_request_exception=False)
        if role != "visitor":
            client.force_login(world.users[role])
        return client

    return make
