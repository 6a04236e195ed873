from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from accounts import views as account_views
from benchmark_portal import views as portal_views
from core import health
from experiences import views_territories

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include("benchmark_portal.api_urls")),
]

urlpatterns += i18n_patterns(
    # Inside i18n_patterns: with prefix_default_language=False, LocaleMiddleware activates
    # French on any unprefixed path, so /i18n/setlang/ could not resolve an /en/… `next`
    # and switching back to French kept the English URL. Under /en/i18n/setlang/ it can.
    path("i18n/", include("django.conf.urls.i18n")),
    path("", portal_views.home, name="home"),
    path("comptes/", include("accounts.urls")),
    path("confidentialite/", account_views.privacy, name="privacy"),
    path("experiences/", include("experiences.urls")),
    path("territoires/", views_territories.territory_directory, name="territory_directory"),
    path("territoires/", include("territories.urls")),
    path("territoires/<slug:slug>/", views_territories.territory_detail, name="territory_detail"),
    path("etudes/", include("studies.urls")),
    path("partenariats/", include("partnerships.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

handler404 = "core.views.page_not_found"

if settings.DEBUG:
    # Public media only (report logos): private files live under PRIVATE_MEDIA_ROOT,
    # outside MEDIA_ROOT, and are served by views that check visibility (core/storage.py).
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
