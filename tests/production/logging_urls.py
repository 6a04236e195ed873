"""A URLconf for tests/production/test_logging.py: one view that ignores the user, one that reads it."""

from django.http import HttpResponse
from django.urls import path


def ignores_user(request):
    return HttpResponse("ok")


def greets_user(request):
    return HttpResponse(f"bonjour {request.user.username}")


urlpatterns = [path("plain/", ignores_user), path("greet/", greets_user)]
