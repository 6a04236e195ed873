"""Territory pages and the territory directory.

They live here rather than in `territories` because that app is a leaf: it
knows nothing of fiches.
"""

from django.shortcuts import get_object_or_404, render

from territories.countries import country_name
from territories.models import Territory

from . import selectors_territories


def territory_detail(request, slug):
    """A territory's page: its fiches and those of every territory inside it, counted per child; nearby fiches."""
    territory = get_object_or_404(
        Territory.objects.visible_to(request.user).select_related("parent__parent", "epci__parent"), slug=slug
    )
    page = selectors_territories.territory_page(viewer=request.user, territory=territory)
    return render(
        request,
        "territories/detail.html",
        {"territory": territory, "page": page, "country_name": country_name(territory.country)},
    )


def territory_directory(request):
    """Every région, département and province of France and Belgium, with the fiches the reader may see."""
    directory = selectors_territories.territory_directory(viewer=request.user)
    return render(request, "territories/directory.html", {"directory": directory})
