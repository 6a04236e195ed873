from django.http import JsonResponse

from .selectors import territory_autocomplete, territory_display


def territory_autocomplete_view(request):
    """The autocomplete as plain JSON: `label` tells namesakes apart ("Ramillies (Brabant wallon, Belgique)")."""
    results = territory_autocomplete(query=request.GET.get("q", ""), limit=10)
    return JsonResponse(
        {
            "results": [
                {
                    "slug": t.slug,
                    "label": territory_display(t),
                    "kind": t.get_kind_display(),
                    "population": t.population,
                    "name": t.name,
                    "code": t.code,
                    "country": t.country,
                    "kind_code": t.kind,
                }
                for t in results
            ]
        }
    )
