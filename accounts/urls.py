"""/comptes/: sign-in, passwords, profile, API tokens, personal data, invitations.

The sign-in and password pages keep Django's URL names (login, logout, password_reset,
password_change…), un-namespaced, so that LOGIN_URL and `{% url 'login' %}` work; the
portal's own pages live in the "accounts" namespace.
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from core.throttling import throttle

from . import views
from .forms import PortalPasswordChangeForm, PortalSetPasswordForm

account_patterns = [
    path("profil/", views.profile, name="profile"),
    path("profil/modifier/", views.profile_edit, name="profile_edit"),
    path("jetons/", views.token_create, name="token_create"),
    path("jetons/<int:pk>/revoquer/", views.token_revoke, name="token_revoke"),
    path("mes-donnees/", views.data_export, name="data_export"),
    path("supprimer/", views.account_delete, name="account_delete"),
    path("invitation/<uidb64>/<token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("utilisateurs/", views.user_list, name="users"),
    path("utilisateurs/inviter/", views.invite, name="invite"),
    path("utilisateurs/<int:pk>/role/", views.user_role, name="user_role"),
    path("effacement-contact/", views.contact_erase, name="contact_erase"),
]

urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "mot-de-passe/",
        auth_views.PasswordChangeView.as_view(form_class=PortalPasswordChangeForm),
        name="password_change",
    ),
    path("mot-de-passe/modifie/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path(
        "mot-de-passe/oublie/",
        throttle("password_reset", methods=["POST"], by_address=True)(auth_views.PasswordResetView.as_view()),
        name="password_reset",
    ),
    path("mot-de-passe/oublie/envoye/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "mot-de-passe/nouveau/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(form_class=PortalSetPasswordForm),
        name="password_reset_confirm",
    ),
    path(
        "mot-de-passe/nouveau/termine/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("", include((account_patterns, "accounts"))),
]
