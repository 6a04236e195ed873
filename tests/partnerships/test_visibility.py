"""One visibility rule, on every read path: lists, detail, facets, API, exports, files, links."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from partnerships.models import Partnership
from tests.factories import (
    DeliverableFactory,
    ExperienceFactory,
    StudyFactory,
)

pytestmark = pytest.mark.django_db

EXPECTED = {
    "visitor": {"Public"},
    "member": {"Public", "Membres", "Confidentiel A"},
    "member_b": {"Public", "Membres", "Confidentiel B"},
    "consultant": {"Public", "Membres"},
    "staff": {"Public", "Membres", "Confidentiel A", "Confidentiel B"},
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_each_role_sees_exactly_the_expected_partnerships(role, request, world):
    user = request.getfixturevalue(role)
    assert set(Partnership.objects.visible_to(user).values_list("title", flat=True)) == EXPECTED[role]


@pytest.mark.parametrize("role", list(EXPECTED))
def test_list_page_and_api_agree_with_the_rule(role, request, client, world):
    user = request.getfixturevalue(role)
    if role != "visitor":
        client.force_login(user)
    page = client.get(reverse("partnerships:list"))
    api = client.get("/api/v1/partnerships/").json()
    for title in EXPECTED["staff"]:
        assert (title in page.content.decode()) == (title in EXPECTED[role]), title
    assert {r["title"] for r in api["results"]} == EXPECTED[role]


def test_confidential_partnership_detail_is_404_for_another_member(client, member_b, world):
    client.force_login(member_b)
    slug = world["conf_a"].slug
    assert client.get(reverse("partnerships:detail", args=[slug])).status_code == 404
    assert client.get(f"/api/v1/partnerships/{slug}/").status_code == 404


def test_members_only_partnership_is_404_for_visitors(client, world):
    assert client.get(reverse("partnerships:detail", args=[world["members"].slug])).status_code == 404


def test_party_member_reads_the_confidential_partnership(client, member, world):
    client.force_login(member)
    assert client.get(reverse("partnerships:detail", args=[world["conf_a"].slug])).status_code == 200


def test_linked_study_and_experience_follow_their_own_rules(client, member, org_a, world):
    public = world["public"]
    secret_study = StudyFactory(title="Étude secrète")
    open_study = StudyFactory(title="Étude de l'équipe")
    open_study.team.add(member)
    hidden = ExperienceFactory(
        title="Fiche confidentielle B",
        visibility="confidential",
        client_organisation=world["conf_b"].parties.get().organisation,
    )
    shown = ExperienceFactory(title="Fiche publique")
    public.studies.set([secret_study, open_study])
    public.experiences.set([hidden, shown])
    client.force_login(member)
    html = client.get(public.get_absolute_url()).content.decode()
    assert "Étude de l&#x27;équipe" in html and "Fiche publique" in html
    assert "Étude secrète" not in html and "Fiche confidentielle B" not in html
    api = client.get(f"/api/v1/partnerships/{public.slug}/").json()
    assert [s["title"] for s in api["studies"]] == ["Étude de l'équipe"]
    assert [e["title"] for e in api["experiences"]] == ["Fiche publique"]


def test_visitors_see_no_linked_study(client, world):
    world["public"].studies.set([StudyFactory(title="Étude client")])
    assert "Étude client" not in client.get(world["public"].get_absolute_url()).content.decode()


def test_deliverable_file_is_served_only_to_who_may_read_the_partnership(
    client, member, member_b, world, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    deliverable = DeliverableFactory(partnership=world["conf_a"], due_date=datetime.date(2026, 1, 1))
    deliverable.file.save("rapport.pdf", ContentFile(b"%PDF-1.4 secret"))
    url = reverse("partnerships:deliverable_file", args=[world["conf_a"].slug, deliverable.pk])
    assert client.get(url).status_code == 404
    client.force_login(member_b)
    assert client.get(url).status_code == 404
    client.force_login(member)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 secret"
    assert "attachment" in response["Content-Disposition"]


def test_a_deliverable_cannot_be_fetched_through_another_partnership(client, member, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    deliverable = DeliverableFactory(partnership=world["conf_b"], due_date=datetime.date(2026, 1, 1))
    deliverable.file.save("b.pdf", ContentFile(b"B"))
    client.force_login(member)
    url = reverse("partnerships:deliverable_file", args=[world["public"].slug, deliverable.pk])
    assert client.get(url).status_code == 404


def test_export_holds_only_visible_rows(client, world):
    body = client.get(reverse("partnerships:export_csv")).content.decode("utf-8-sig")
    assert "Public" in body
    assert "Confidentiel" not in body and "Membres" not in body


def test_map_of_a_visitor_leaves_out_members_only_cooperations(client, world):
    world["members"].kind = Partnership.Kind.TWINNING
    world["members"].save()
    html = client.get(reverse("partnerships:map")).content.decode()
    assert world["members"].title not in html
