import os

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from accounts.roles import Role
from tests.factories import OrganisationFactory, UserFactory

# Property tests: a moderate number of examples keeps the suite fast; run
# HYPOTHESIS_PROFILE=thorough for a deeper search (no deadline: the machine is shared).
hypothesis_settings.register_profile(
    "periscope",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
hypothesis_settings.register_profile(
    "thorough", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck)
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "periscope"))


@pytest.fixture(autouse=True)
def _default_language():
    # A request to /en/… leaves English active in the thread (LocaleMiddleware does not
    # reset it): the next test, calling a selector directly, would speak English.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def org_a(db):
    return OrganisationFactory(name="Client A")


@pytest.fixture
def org_b(db):
    return OrganisationFactory(name="Client B")


@pytest.fixture
def visitor():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.fixture
def member(db, org_a):
    return UserFactory(role=Role.MEMBER, organisation=org_a)


@pytest.fixture
def member_b(db, org_b):
    return UserFactory(role=Role.MEMBER, organisation=org_b)


@pytest.fixture
def consultant(db):
    return UserFactory(role=Role.CONSULTANT)


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.STAFF)
