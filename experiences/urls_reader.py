"""URLs of the reader's tools, included by experiences/urls.py before the fiche detail pattern
(so that "selection/", "carte/" and "recherches/" are not read as slugs)."""

from django.urls import path

from . import views_reader as views

urlpatterns = [
    path("carte/", views.search_map, name="map"),
    path("selection/", views.selection_page, name="selection"),
    path("selection/vider/", views.selection_clear, name="selection_clear"),
    path("selection/export/", views.selection_export, name="selection_export"),
    path("selection/<int:pk>/", views.selection_toggle, name="selection_toggle"),
    path("recherches/", views.saved_search_list, name="saved_searches"),
    path("recherches/enregistrer/", views.saved_search_create, name="saved_search_create"),
    path("recherches/<int:pk>/", views.saved_search_update, name="saved_search_update"),
    path("recherches/<int:pk>/modifier/", views.saved_search_edit, name="saved_search_edit"),
    path("recherches/<int:pk>/supprimer/", views.saved_search_delete, name="saved_search_delete"),
]
