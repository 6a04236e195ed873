from django.urls import path

from . import views

app_name = "partnerships"

urlpatterns = [
    path("", views.partnership_list, name="list"),
    path("nouveau/", views.partnership_create, name="create"),
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("carte/", views.cooperation_map, name="map"),
    path("export.csv", views.export, {"fmt": "csv"}, name="export_csv"),
    path("export.xlsx", views.export, {"fmt": "xlsx"}, name="export_xlsx"),
    path("suggestions/experiences/", views.experience_autocomplete, name="experience_autocomplete"),
    path("<slug:slug>/", views.partnership_detail, name="detail"),
    path("<slug:slug>/modifier/", views.partnership_edit, name="edit"),
    path("<slug:slug>/livrables/<int:pk>/fichier/", views.deliverable_file, name="deliverable_file"),
    path("<slug:slug>/documents/<int:pk>/fichier/", views.document_file, name="document_file"),
]
