import pytest

from accounts.roles import Role
from tests.factories import OrganisationFactory, UserFactory


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
