from django.http import JsonResponse

from .selectors import territory_autocomplete


def territory_autocomplete_view(request):
    results = territory_autocomplete(query=request.GET.get("q", ""), limit=10)
    return JsonResponse(
        {
            "results": [
                {"slug": t.slug, "label": t.label, "kind": t.get_kind_display(), "population": t.population}
                for t in results
            ]
        }
    )
