"""Personal data (contacts' names, e-mails, phones): shown to signed-in members only, on
every path; erasable everywhere by staff on request."""

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.urls import reverse

from accounts import services
from accounts.visibility import can_see_personal_data
from experiences.models import Contact

from .crawl import build_url, leaks, response_text
from .routes import project_routes
from .world import word


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("visitor", False),
        ("registered", False),
        ("member", True),
        ("member_b", True),
        ("consultant", True),
        ("staff", True),
    ],
)
def test_only_signed_in_members_may_see_personal_data(role, allowed, world):
    assert can_see_personal_data(world.user(role)) is allowed


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["visitor", "registered"])
def test_the_fiche_hides_contacts_from_visitors_and_accounts_without_a_role(role, world, client_for):
    text = client_for(role).get(world.experiences["published"].get_absolute_url()).content.decode()
    assert "zqexppublishedcanari" in text
    assert word("exp", "published") + "pii" not in text
    assert "06 99 88 77" not in text


@pytest.mark.django_db
def test_the_fiche_shows_contacts_to_members(world, client_for):
    text = client_for("member").get(world.experiences["published"].get_absolute_url()).content.decode()
    assert word("exp", "published") + "pii@example.org" in text


def routes_named(*fragments):
    return [r for r in project_routes() if not r.kwargs and any(fragment in (r.name or "") for fragment in fragments)]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["visitor", "registered"])
def test_no_export_feed_or_api_list_gives_contacts_to_visitors(role, world, client_for):
    client = client_for(role)
    forbidden = {word("exp", s) + "pii": "contact" for s in world.experiences} | {"06 99 88 77": "phone"}
    checked = 0
    for route in routes_named("export", "feed", "rss", "list", "autocomplete", "search", "schema"):
        for suffix in ["", "?format=json", "?q=zq"]:
            response = client.get(build_url(route, {}) + suffix)
            checked += 1
            assert not leaks(response_text(response), forbidden), f"{route.label}{suffix}"
    # API details of the world's published fiche, with every representation.
    for suffix in ["", "?format=json", "?format=api"]:
        response = client.get(f"/api/v1/experiences/{world.experiences['published'].slug}/{suffix}")
        assert not leaks(response_text(response), forbidden)
    assert checked > 10


@pytest.mark.django_db
def test_staff_erase_a_contact_everywhere_including_history_and_report_data(world, client_for):
    contact = Contact.objects.get(experience=world.experiences["confa"])
    old_email = contact.email
    # An earlier version of the contact had another phone number: history keeps it.
    contact.phone = "01 02 03 04 05"
    contact.save()
    assert Contact.history.filter(email=old_email).count() == 2

    staff = world.users["staff"]
    result = services.contact_erase(by=staff, email=old_email.upper())

    assert result["contacts"] == 1
    assert not Contact.objects.filter(email=old_email).exists()
    history = Contact.history.model.objects
    assert not history.filter(email__iexact=old_email).exists()
    assert not history.filter(phone__in=["01 02 03 04 05", "06 99 88 77 04"]).exists()
    # Study A's v2 held the fiche (and its contact): scrubbed and its PDF withdrawn; v1 did not.
    assert result["report_versions"] == 1
    v1, v2 = world.versions["a1"], world.versions["a2"]
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert old_email not in str(v2.snapshot)
    assert "[effacé]" in str(v2.snapshot)
    assert v2.withdrawn_at is not None and v1.withdrawn_at is None
    # The other contacts are untouched.
    assert Contact.objects.count() == len(world.experiences) - 1
    # And no page shows the person any more.
    text = client_for("staff").get(world.experiences["confa"].get_absolute_url()).content.decode()
    assert old_email not in text


@pytest.mark.django_db
def test_contact_erasure_page_finds_then_erases_on_confirmation(world, client_for):
    client = client_for("staff")
    email = word("exp", "members") + "pii@example.org"
    url = reverse("accounts:contact_erase")
    found = client.post(url, {"email": email})
    assert found.status_code == 200
    assert "Camille" in found.content.decode()
    assert Contact.objects.filter(email=email).exists()
    done = client.post(url, {"email": email, "confirm": "1"}, follow=True)
    assert done.status_code == 200
    assert not Contact.objects.filter(email=email).exists()
    assert "1 contact(s)" in done.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["member", "consultant"])
def test_only_staff_may_erase_contacts(role, world, client_for):
    email = word("exp", "members") + "pii@example.org"
    response = client_for(role).post(reverse("accounts:contact_erase"), {"email": email, "confirm": "1"})
    assert response.status_code == 403
    assert Contact.objects.filter(email=email).exists()
    with pytest.raises(PermissionDenied):
        services.contact_erase(by=world.users[role], email=email)


@pytest.mark.django_db
def test_the_erase_contact_command_does_the_same(world):
    out = io.StringIO()
    email = word("exp", "draft") + "pii@example.org"
    call_command("erase_contact", email=email, by="staff", stdout=out)
    assert "1 contact(s)" in out.getvalue()
    assert not Contact.history.model.objects.filter(email=email).exists()
