from django.urls import path

from . import views

app_name = "experiences"

urlpatterns = [
    path("", views.experience_list, name="list"),
    path("organisations/<slug:slug>/", views.organisation_detail, name="organisation"),
    path("<slug:slug>/", views.experience_detail, name="detail"),
]
