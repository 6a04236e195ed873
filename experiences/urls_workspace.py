"""URLs of the consultant workspace, included by experiences/urls.py before the
fiche detail pattern (so that "espace/" and "export/" are not read as slugs)."""

from django.urls import path

from . import views_semantic
from . import views_workspace as views

urlpatterns = [
    path("espace/", views.my_work, name="workspace"),
    path("espace/nouvelle/", views.experience_create, name="create"),
    path("espace/fiche/indices/", views_semantic.form_hints, name="semantic_form_hints"),
    path("espace/import/", views.import_upload, name="import"),
    path("espace/import/modele.<str:fmt>", views.import_template, name="import_template"),
    path("espace/import/<uuid:pk>/", views.import_detail, name="import_detail"),
    path("espace/import/<uuid:pk>/confirmer/", views.import_commit, name="import_commit"),
    path("espace/mots-cles/", views.tag_list, name="tag_list"),
    path("espace/mots-cles/autocomplete/", views.tag_autocomplete, name="tag_autocomplete"),
    path("espace/mots-cles/suggestions/", views.tag_suggestions, name="tag_suggestions"),
    path("espace/mots-cles/<int:pk>/", views.tag_detail, name="tag_detail"),
    path("espace/organisations/autocomplete/", views.organisation_autocomplete, name="organisation_autocomplete"),
    path("export/", views.export_start, name="export"),
    path("export/<uuid:pk>/", views.export_job, name="export_job"),
    path("export/<uuid:pk>/telecharger/", views.export_download, name="export_download"),
    path("<slug:slug>/modifier/", views.experience_edit, name="edit"),
    path("<slug:slug>/statut/<str:action>/", views.experience_transition, name="transition"),
    path("<slug:slug>/historique/", views.experience_history, name="history"),
    path("<slug:slug>/historique/<int:history_id>/restaurer/", views.experience_restore, name="restore"),
    path("<slug:slug>/pieces-jointes/<int:pk>/", views.attachment_download, name="attachment"),
]
