from django.shortcuts import render

from experiences import selectors as experience_selectors
from partnerships.models import Partnership
from studies.models import Study


def home(request):
    """Home page: search box, featured and latest experiences, map by département, themes, key figures."""
    context = experience_selectors.home_context(viewer=request.user)
    context["figures"]["studies"] = Study.objects.visible_to(request.user).count()
    context["figures"]["partnerships"] = Partnership.objects.visible_to(request.user).count()
    context["reference"] = getattr(request.user, "reference_territory", None)
    return render(request, "home.html", context)
