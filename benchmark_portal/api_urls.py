"""One router for the whole API, versioned under /api/v1/."""

from django.urls import path
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from core.api.docs import RedocView, SwaggerView
from experiences.api.views import ExperienceViewSet, OrganisationViewSet, TagViewSet, ThemeViewSet
from partnerships.api.views import PartnershipViewSet
from studies.api.views import ReportJobViewSet, StudyViewSet
from territories.api.views import TerritoryViewSet

router = DefaultRouter()
router.register("experiences", ExperienceViewSet, basename="experience")
router.register("territories", TerritoryViewSet, basename="territory")
router.register("themes", ThemeViewSet, basename="theme")
router.register("tags", TagViewSet, basename="tag")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("partnerships", PartnershipViewSet, basename="partnership")
router.register("studies", StudyViewSet, basename="study")
router.register("report-jobs", ReportJobViewSet, basename="report-job")

urlpatterns = [
    # The schema is the same for every caller and took 0.5 s to build: built once an hour
    # per language and format (cache_page keys on the URL and the Accept-Language header).
    path("schema/", cache_page(60 * 60)(SpectacularAPIView.as_view()), name="api-schema"),
    path("docs/", SwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", RedocView.as_view(url_name="api-schema"), name="api-redoc"),
    *router.urls,
]
