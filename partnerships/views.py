from django.shortcuts import get_object_or_404, render

from .models import Partnership


def partnership_list(request):
    partnerships = Partnership.objects.visible_to(request.user).prefetch_related("parties__organisation", "territories")
    return render(request, "partnerships/list.html", {"partnerships": partnerships})


def partnership_detail(request, slug):
    partnership = get_object_or_404(Partnership.objects.visible_to(request.user), slug=slug)
    return render(
        request,
        "partnerships/detail.html",
        {
            "partnership": partnership,
            "parties": partnership.parties.select_related("organisation"),
            "funding": partnership.funding_lines.select_related("funder"),
            "deliverables": partnership.deliverables.all(),
            "milestones": partnership.milestones.all(),
            "territories": partnership.territories.all(),
        },
    )
