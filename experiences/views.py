from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from territories.models import Territory

from . import selectors


def experience_list(request):
    filterset = selectors.experience_list(viewer=request.user, params=request.GET)
    page = Paginator(filterset.qs, 20).get_page(request.GET.get("page"))
    return render(request, "experiences/list.html", {"filter": filterset, "page": page})


def experience_detail(request, slug):
    experience = selectors.experience_detail(viewer=request.user, slug=slug)
    return render(request, "experiences/detail.html", {"experience": experience})


def organisation_detail(request, slug):
    organisation, experiences = selectors.organisation_detail(viewer=request.user, slug=slug)
    return render(
        request, "experiences/organisation_detail.html", {"organisation": organisation, "experiences": experiences[:50]}
    )


def territory_detail(request, slug):
    """A territory's page: its experiences, parents, EPCI and population.

    Lives here rather than in `territories` because that app is a leaf."""
    territory = get_object_or_404(
        Territory.objects.visible_to(request.user).select_related("parent__parent", "epci"), slug=slug
    )
    experiences = selectors.territory_experiences(viewer=request.user, territory=territory)
    members = territory.member_communes.order_by("-population")[:30] if territory.kind == Territory.Kind.EPCI else []
    children = territory.children.order_by("-population")[:30] if territory.kind != Territory.Kind.COMMUNE else []
    return render(
        request,
        "territories/detail.html",
        {"territory": territory, "experiences": experiences, "members": members, "children": children},
    )
