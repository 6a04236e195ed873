"""The shipped reference data and the demo content, end to end on real PostgreSQL."""

import pytest
from django.core.management import call_command
from django.db.models import Sum

from benchmark_portal.demo_loader import load_demo
from experiences.models import Experience
from partnerships.models import Partnership
from studies.models import Study
from territories.models import Territory


@pytest.mark.django_db
def test_full_territory_import_then_demo_content_load_twice(client, django_user_model):
    first = call_command_output("import_territories", "--no-progress")
    counts = dict(
        Territory.objects.filter(country="FR").values_list("kind").annotate(n=models_count()).values_list("kind", "n")
    )
    assert counts["region"] == 18
    assert counts["department"] == 101
    assert 1200 <= counts["epci"] <= 1300
    assert 34_800 <= counts["commune"] <= 35_000
    be = dict(
        Territory.objects.filter(country="BE").values_list("kind").annotate(n=models_count()).values_list("kind", "n")
    )
    assert be["region"] == 3 and be["province"] == 10 and 560 <= be["commune"] <= 590
    population = Territory.objects.filter(country="FR", kind="commune").aggregate(s=Sum("population"))["s"]
    assert population > 64_000_000
    assert "36" in first  # summary mentions the number of rows

    second = call_command_output("import_territories", "--no-progress")
    assert "Aucun changement" in second

    chabaniere = Territory.objects.get(country="FR", kind="commune", code="69228")
    assert chabaniere.epci is not None and chabaniere.parent.code == "69"
    assert chabaniere.density_class and chabaniere.latitude

    # The admin search is accent-insensitive.
    staff = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw-123456-long")
    client.force_login(staff)
    response = client.get("/admin/territories/territory/", {"q": "chabaniere"})
    assert response.status_code == 200
    assert "Chabanière" in response.content.decode()

    report = load_demo()
    assert Experience.objects.count() >= 40
    assert Study.objects.count() == 5
    assert Partnership.objects.count() >= 6
    assert set(Experience.objects.values_list("status", flat=True)) == {"draft", "review", "published", "archived"}
    assert set(Experience.objects.values_list("visibility", flat=True)) == {"public", "members", "confidential"}
    assert django_user_model.objects.filter(username__in=["visiteur", "membre", "consultant", "equipe"]).count() == 4
    assert report.created["experiences"] >= 40

    again = load_demo()
    assert again.created == {}
    assert Experience.objects.count() == report.created["experiences"]

    client.logout()
    home = client.get("/")
    assert home.status_code == 200
    published = Experience.objects.filter(status="published", visibility="public").order_by("-published_at").first()
    assert published.title in home.content.decode()


def models_count():
    from django.db.models import Count

    return Count("id")


def call_command_output(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
