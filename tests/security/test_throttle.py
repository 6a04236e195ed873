"""API rate limits with the production rates: anonymous 60/min, signed in 600/min,
exports 20/hour (every API route whose name says "export", read from the resolver)."""

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts import services
from core.api.throttling import ExportRateThrottle, throttle_exports
from tests.factories import UserFactory

from .crawl import build_url
from .routes import project_routes

PRODUCTION_RATES = {"anon": "60/min", "user": "600/min", "exports": "20/hour"}


@pytest.fixture
def production_rates(monkeypatch):
    # DRF reads the rates once, into a class attribute: patch it rather than the settings.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", PRODUCTION_RATES)
    cache.clear()
    yield
    cache.clear()


def test_the_settings_carry_the_rates_of_the_issue():
    from django.conf import settings

    from benchmark_portal.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        **PRODUCTION_RATES,
        "pdf": "60/hour",
        "reports": "30/hour",
        "imports": "30/hour",
        "password_reset": "5/hour",
    }
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ]
    assert api_settings.DEFAULT_AUTHENTICATION_CLASSES


@pytest.mark.django_db
def test_anonymous_callers_get_429_after_60_requests_a_minute(production_rates):
    client = Client()
    statuses = [client.get("/api/v1/").status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60
    assert statuses[60] == 429
    # Another address has its own budget.
    assert client.get("/api/v1/", REMOTE_ADDR="198.51.100.20").status_code == 200


@pytest.mark.django_db
def test_signed_in_callers_get_600_requests_a_minute(production_rates):
    _token, key = services.token_create(user=UserFactory(), name="script")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    statuses = [client.get("/api/v1/").status_code for _ in range(601)]
    assert statuses[:600] == [200] * 600
    assert statuses[600] == 429
    assert int(client.get("/api/v1/").headers["Retry-After"]) > 0


def export_routes():
    return [r for r in project_routes() if r.route.startswith("api/") and "export" in (r.name or "") and not r.kwargs]


@pytest.mark.django_db
@pytest.mark.parametrize("route", export_routes(), ids=lambda r: r.name)
def test_api_exports_allow_20_requests_an_hour(route, production_rates):
    _token, key = services.token_create(user=UserFactory(), name="script")
    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = build_url(route, {})
    statuses = [client.get(url).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429


@pytest.mark.django_db
def test_the_export_decorator_limits_plain_django_views(production_rates, rf):
    from django.http import HttpResponse

    @throttle_exports
    def export(request):
        return HttpResponse("csv")

    user = UserFactory()
    statuses = []
    for _ in range(21):
        request = rf.get("/export.csv")
        request.user = user
        statuses.append(export(request).status_code)
    assert statuses[:20] == [200] * 20
    assert statuses[20] == 429
    assert ExportRateThrottle.scope == "exports"
