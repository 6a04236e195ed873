from django.urls import path

from . import views, views_selection

app_name = "studies"

urlpatterns = [
    path("", views.study_list, name="list"),
    path("nouvelle/", views.study_create, name="create"),
    path("depuis-ma-selection/", views_selection.study_from_selection, name="from_selection"),
    path("comparer/", views.compare, name="compare"),
    path("comparer/grille.<str:fmt>", views.compare_export, name="compare_export"),
    path("<slug:slug>/grille.<str:fmt>", views.grid_export, name="grid_export"),
    path("comparer/ajouter/", views.compare_add, name="compare_add"),
    path("fiche/<slug:slug>.pdf", views.experience_fiche_pdf, name="fiche_pdf"),
    path("<slug:slug>/", views.study_detail, name="detail"),
    path("<slug:slug>/modifier/", views.study_edit, name="edit"),
    path("<slug:slug>/candidats/", views.study_candidates, name="candidates"),
    path("<slug:slug>/experiences/ajouter/", views.item_add, name="item_add"),
    path("<slug:slug>/experiences/<int:item_id>/retirer/", views.item_remove, name="item_remove"),
    path("<slug:slug>/experiences/<int:item_id>/deplacer/", views.item_move, name="item_move"),
    path("<slug:slug>/experiences/<int:item_id>/notes/", views.item_notes, name="item_notes"),
    path("<slug:slug>/criteres/ajouter/", views.criterion_add, name="criterion_add"),
    path("<slug:slug>/criteres/<int:criterion_id>/modifier/", views.criterion_edit, name="criterion_edit"),
    path("<slug:slug>/criteres/<int:criterion_id>/supprimer/", views.criterion_delete, name="criterion_delete"),
    path("<slug:slug>/grille/<int:criterion_id>/<int:item_id>/", views.cell_save, name="cell_save"),
    path("<slug:slug>/conclusions/", views.texts_save, name="texts_save"),
    path("<slug:slug>/rapports/generer/", views.report_generate, name="report_generate"),
    path("<slug:slug>/rapports/jobs/<int:job_id>/", views.report_job_status, name="report_job"),
    path("<slug:slug>/rapports/v<int:number>.pdf", views.report_download, name="report_download"),
    path("<slug:slug>/rapports/v<int:number>/", views.report_version_detail, name="report_version"),
]
