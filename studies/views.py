from django.shortcuts import get_object_or_404, render

from .models import Study


def study_list(request):
    studies = Study.objects.visible_to(request.user).select_related("client_organisation", "client_territory")
    return render(request, "studies/list.html", {"studies": studies})


def study_detail(request, slug):
    study = get_object_or_404(
        Study.objects.visible_to(request.user).select_related("client_organisation", "client_territory", "lead"),
        slug=slug,
    )
    items = study.items.select_related("experience__lead_territory").prefetch_related("criterion_values")
    return render(request, "studies/detail.html", {"study": study, "items": items, "criteria": study.criteria.all()})
