"""One router for the whole API, versioned under /api/v1/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from experiences.api.views import ExperienceViewSet, OrganisationViewSet, TagViewSet, ThemeViewSet
from territories.api.views import TerritoryViewSet

router = DefaultRouter()
router.register("experiences", ExperienceViewSet, basename="experience")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("themes", ThemeViewSet, basename="theme")
router.register("tags", TagViewSet, basename="tag")
router.register("organisations", OrganisationViewSet, basename="organisation")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *router.urls,
]
