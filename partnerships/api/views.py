from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from core.api.throttling import ExportRateThrottle

from .. import exports, selectors
from ..filtersets import PartnershipFilterSet
from ..models import Partnership
from .serializers import PartnershipDetailSerializer, PartnershipListSerializer


class PartnershipViewSet(viewsets.ReadOnlyModelViewSet):
    """Partnerships the caller may read, filtered by the same FilterSet as the list page."""

    filterset_class = PartnershipFilterSet
    lookup_field = "slug"

    def get_queryset(self):
        qs = Partnership.objects.visible_to(self.request.user).with_list_relations()
        if self.action == "retrieve":
            qs = qs.prefetch_related("funding_lines__funder", "deliverables", "milestones")
        return qs

    def get_serializer_class(self):
        return PartnershipDetailSerializer if self.action == "retrieve" else PartnershipListSerializer

    def retrieve(self, request, *args, **kwargs):
        partnership = self.get_object()
        studies, experiences = selectors.partnership_links(viewer=request.user, partnership=partnership)
        context = {
            **self.get_serializer_context(),
            "funding": selectors.funding_tables(partnership=partnership),
            "studies": studies,
            "experiences": experiences,
        }
        return Response(PartnershipDetailSerializer(partnership, context=context).data)

    @extend_schema(
        filters=True,
        parameters=[
            OpenApiParameter(
                "output", OpenApiTypes.STR, enum=["csv", "xlsx"], description="Format du fichier (csv par défaut)"
            )
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="Export CSV"),
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiResponse(OpenApiTypes.BINARY, description="Export XLSX"),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request):
        """The filtered list as a spreadsheet (cells starting with = + - @ are neutralised)."""
        output = request.query_params.get("output", "csv")
        if output not in ("csv", "xlsx"):
            raise ValidationError({"output": "csv | xlsx"})
        queryset = exports.export_queryset(self.filter_queryset(self.get_queryset()))
        data = exports.rows(queryset, base_url=request.build_absolute_uri("/").rstrip("/"))
        if output == "xlsx":
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            response = HttpResponse(exports.to_xlsx(data), content_type=content_type)
        else:
            response = HttpResponse(exports.to_csv(data), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = f'attachment; filename="partenariats-{stamp}.{output}"'
        return response

    def get_throttles(self):
        # Exports are heavier: they get the "exports" rate instead of the default ones.
        if self.action == "export":
            return [ExportRateThrottle()]
        return super().get_throttles()
