from django.urls import include, path

from . import views

app_name = "experiences"

urlpatterns = [
    path("", views.experience_list, name="list"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("ma-collectivite/", views.reference_remember, name="reference_remember"),
    path("", include("experiences.urls_workspace")),  # consultant workspace; before the detail pattern
    path("", include("experiences.urls_reader")),  # selection, map, saved searches; before the detail pattern
    path("<slug:slug>/", views.experience_detail, name="detail"),
]
