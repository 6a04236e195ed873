from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from benchmark_portal import views as portal_views
from experiences import views as experience_views

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("benchmark_portal.api_urls")),
]

urlpatterns += i18n_patterns(
    path("", portal_views.home, name="home"),
    path("comptes/", include("django.contrib.auth.urls")),
    path("experiences/", include("experiences.urls")),
    path("territoires/", include("territories.urls")),
    path("territoires/<slug:slug>/", experience_views.territory_detail, name="territory_detail"),
    path("etudes/", include("studies.urls")),
    path("partenariats/", include("partnerships.urls")),
    path("admin/", admin.site.urls),
    prefix_default_language=False,
)

if settings.DEBUG:
    urlpatterns += [path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})]
