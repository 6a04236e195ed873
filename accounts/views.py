"""Account pages: sign-in and password (Django's views, our templates), profile,
API tokens, personal data, invitations and user management. Thin: they call
accounts.services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import services
from .forms import (
    AccountDeleteForm,
    ContactEraseForm,
    InviteForm,
    PortalSetPasswordForm,
    ProfileForm,
    RoleForm,
    TokenCreateForm,
)
from .models import ApiToken
from .roles import ROLE_LABELS, Role, role_of

User = get_user_model()


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Sign-in and passwords (Django's views) --------------------------------------------


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """An invited person chooses their password (the link is a password-reset token)."""

    template_name = "account/invitation_accept.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("accounts:profile")
    post_reset_login = True
    post_reset_login_backend = "accounts.backends.PortalAuthBackend"


# --- Profile ---------------------------------------------------------------------------


@login_required
def profile(request):
    user = request.user
    return render(
        request,
        "account/profile.html",
        {
            "role_label": ROLE_LABELS[role_of(user)],
            "tokens": user.api_tokens.all(),
            "token_form": TokenCreateForm(),
        },
    )


@login_required
def profile_edit(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.profile_update(user=user, **form.cleaned_data)
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Profil enregistré."))
                return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={
                "first_name": user.first_name,
                "last_name": user.last_name,
                "email": user.email,
                "reference_territory": user.reference_territory.slug if user.reference_territory_id else "",
            }
        )
    return render(request, "account/profile_edit.html", {"form": form})


# --- API tokens ------------------------------------------------------------------------


@never_cache
@login_required
@require_POST
def token_create(request):
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.token_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            # Rendered, not redirected: the key must never sit in a URL or a later page.
            return render(request, "account/token_created.html", {"token": token, "key": key})
    return render(
        request,
        "account/profile.html",
        {"role_label": ROLE_LABELS[role_of(request.user)], "tokens": request.user.api_tokens.all(), "token_form": form},
        status=400,
    )


@login_required
@require_POST
def token_revoke(request, pk: int):
    try:
        services.token_revoke(user=request.user, token_id=pk)
    except ApiToken.DoesNotExist:
        raise Http404 from None
    messages.success(request, _("Jeton révoqué : il ne donne plus accès à l'API."))
    return redirect("accounts:profile")


# --- Personal data (RGPD) --------------------------------------------------------------


@never_cache
@login_required
def data_export(request):
    data = services.user_export_data(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="periscope-mes-donnees-{stamp}.json"'
    return response


@login_required
def account_delete(request):
    if request.method == "POST":
        form = AccountDeleteForm(request.POST, user=request.user)
        if form.is_valid():
            user = request.user
            logout(request)
            services.user_delete(user=user)
            messages.success(request, _("Votre compte a été supprimé."))
            return redirect("home")
    else:
        form = AccountDeleteForm(user=request.user)
    return render(request, "account/delete.html", {"form": form})


def privacy(request):
    return render(request, "account/privacy.html")


@login_required
@permission_required("accounts.erase_personal_data", raise_exception=True)
def contact_erase(request):
    """Staff erase a person's contact details everywhere, on request (two steps: find, confirm)."""
    result = None
    matches = None
    if request.method == "POST":
        form = ContactEraseForm(request.POST)
        if form.is_valid():
            email, name = form.cleaned_data["email"], form.cleaned_data["name"]
            if request.POST.get("confirm") == "1":
                result = services.contact_erase(by=request.user, email=email, name=name)
                messages.success(
                    request,
                    _(
                        "Effacé : %(contacts)d contact(s), %(history)d version(s) d'historique, "
                        "%(report_versions)d version(s) de rapport."
                    )
                    % result,
                )
                return redirect("accounts:contact_erase")
            matches = list(services.contact_matches(email=email, name=name))
    else:
        form = ContactEraseForm()
    return render(request, "account/contact_erase.html", {"form": form, "matches": matches, "result": result})


# --- Staff: invitations and roles ------------------------------------------------------


@login_required
@permission_required("accounts.invite_user", raise_exception=True)
def invite(request):
    if request.method == "POST":
        form = InviteForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                user = services.user_invite(
                    by=request.user, base_url=request.build_absolute_uri("/"), role=Role(data.pop("role")), **data
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": user.email})
                return redirect("accounts:users")
    else:
        form = InviteForm()
    return render(request, "account/invite.html", {"form": form})


@login_required
@permission_required("accounts.invite_user", raise_exception=True)
def user_list(request):
    users = User.objects.select_related("organisation").prefetch_related("groups").order_by("username")
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    rows = [(u, ROLE_LABELS[role_of(u)], role_of(u).value) for u in page]
    return render(request, "account/users.html", {"page": page, "rows": rows, "role_form": RoleForm()})


@login_required
@permission_required("accounts.invite_user", raise_exception=True)
@require_POST
def user_role(request, pk: int):
    user = get_object_or_404(User, pk=pk)
    form = RoleForm(request.POST)
    if form.is_valid():
        services.user_set_role(user=user, role=Role(form.cleaned_data["role"]), by=request.user)
        messages.success(request, _("Rôle de %(user)s modifié.") % {"user": user})
    return redirect(reverse("accounts:users") + f"?page={request.GET.get('page', 1)}")
