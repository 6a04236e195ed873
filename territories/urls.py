from django.urls import path

from . import views

app_name = "territories"

urlpatterns = [
    path("autocomplete/", views.territory_autocomplete_view, name="autocomplete"),
]
