"""Invitations (issue 19): a coordinator invites a person by email with a role and its scope; the
person follows the link, creates their account (allauth's sign-up, the address proven by the link)
or signs in to theirs, and accepts. The professional area then asks for the second factor
(participation.middleware.staff_mfa_required) before it opens.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from participation import services
from participation.forms import InvitationForm
from participation.http import AuthenticatedHttpRequest
from participation.models import Invitation, InvitationStatus, User
from participation.ratelimit import rate_limited
from participation.scopes import require_perm

# The invitation a visitor is signing up for: its token's digest and its address. Set when they
# press "create my account" on the invitation's page, read when allauth creates the account.
INVITATION_SESSION_KEY = "participation_invitation"
# How many invitations a page lists, newest first (pending ones before the others).
INVITATIONS_LISTED = 100
# What each reason a link cannot be used answers.
UNUSABLE_STATUS = {
    "unknown": 404,
    InvitationStatus.ACCEPTED: 410,
    InvitationStatus.EXPIRED: 410,
    InvitationStatus.REVOKED: 410,
    "wrong_account": 403,
}
STAFF_HOME = "dialogue:staff_home"


@never_cache
@login_required
@rate_limited("invitation")
@require_http_methods(["GET", "POST"])
def invitations(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The coordinator's invitations, pending, accepted, expired or revoked, and the form."""
    require_perm(request, "participation.invite")
    form = InvitationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        invitation = services.invitation_create(invited_by=request.user, **form.cleaned_data)
        messages.success(
            request,
            _("The invitation is sent to %(email)s. The link works for 7 days.")
            % {"email": invitation.email},
        )
        return redirect("invitations")
    listed = list(Invitation.objects.with_scope()[:INVITATIONS_LISTED])
    return render(
        request,
        "participation/invitations/list.html",
        {
            "form": form,
            "pending": [i for i in listed if i.current_status == InvitationStatus.PENDING],
            "others": [i for i in listed if i.current_status != InvitationStatus.PENDING],
        },
        status=400 if form.is_bound else 200,
    )


def _managed_invitation(request: AuthenticatedHttpRequest, pk: int) -> Invitation:
    require_perm(request, "participation.invite")
    return get_object_or_404(Invitation.objects.with_scope(), pk=pk)


@login_required
@rate_limited("invitation")
@require_POST
def invitation_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _managed_invitation(request, pk)
    try:
        services.invitation_resend(invitation=invitation)
    except services.InvitationUnusable:
        messages.error(request, _("An accepted or revoked invitation cannot be sent again."))
        return redirect("invitations")
    messages.success(
        request,
        _("A new link is sent to %(email)s; the previous one no longer works.")
        % {"email": invitation.email},
    )
    return redirect("invitations")


@login_required
@require_POST
def invitation_revoke(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    invitation = _managed_invitation(request, pk)
    try:
        services.invitation_revoke(invitation=invitation)
    except services.InvitationUnusable:
        messages.error(
            request,
            _("This invitation is already accepted: remove the role in the administration."),
        )
        return redirect("invitations")
    messages.success(
        request,
        _("The invitation sent to %(email)s is revoked: its link no longer works.")
        % {"email": invitation.email},
    )
    return redirect("invitations")


def _welcome(request: HttpRequest, invitation: Invitation) -> None:
    messages.success(
        request,
        _("Welcome: you now hold the role “%(role)s” (scope: %(scope)s).")
        % {"role": invitation.get_role_display(), "scope": invitation.scope_label},
    )


def _unusable(request: HttpRequest, reason: str, invitation: Invitation | None) -> HttpResponse:
    return render(
        request,
        "participation/invitations/unusable.html",
        {"reason": str(reason), "invitation": invitation},
        status=UNUSABLE_STATUS[reason],
    )


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page the email links to. GET explains (mail scanners open links); POST acts: accepts
    for the signed-in invitee, or sends a newcomer to sign up and an account holder to sign in."""
    invitation = services.invitation_find(token)
    if invitation is None:
        return _unusable(request, "unknown", None)
    user = request.user if request.user.is_authenticated else None
    reason = services.invitation_refusal(invitation, user)
    if reason:
        return _unusable(request, reason, invitation)
    has_account = user is None and User.objects.filter(email__iexact=invitation.email).exists()
    if request.method == "POST":
        if user is not None:
            try:
                services.invitation_accept(invitation=invitation, user=user)
            except services.InvitationUnusable as refused:
                return _unusable(request, refused.reason, invitation)
            _welcome(request, invitation)
            return redirect(STAFF_HOME)
        if has_account:
            query = urlencode({"next": request.path})
            return redirect(f"{reverse('account_login')}?{query}")
        # A newcomer: allauth's sign-up, with the address the link proved already verified.
        get_adapter(request).stash_verified_email(request, invitation.email)
        request.session[INVITATION_SESSION_KEY] = {
            "digest": invitation.token_hash,
            "email": invitation.email,
        }
        query = urlencode({"next": reverse(STAFF_HOME)})
        return redirect(f"{reverse('account_signup')}?{query}")
    return render(
        request,
        "participation/invitations/accept.html",
        {"invitation": invitation, "has_account": has_account},
    )


def invited_email(request: HttpRequest | None) -> str | None:
    """The address of the invitation the visitor is signing up for, if any."""
    if request is None or not hasattr(request, "session"):
        return None
    pending = request.session.get(INVITATION_SESSION_KEY)
    return pending.get("email") if isinstance(pending, dict) else None


def accept_invitation_on_signup(sender, request, user, **kwargs) -> None:
    """user_signed_up receiver: the account created from an invitation's page takes its role."""
    if request is None or not hasattr(request, "session"):
        return
    pending = request.session.pop(INVITATION_SESSION_KEY, None)
    if not isinstance(pending, dict):
        return
    invitation = Invitation.objects.filter(token_hash=pending.get("digest", "")).first()
    if invitation is None or services.invitation_refusal(invitation, user):
        return
    services.invitation_accept(invitation=invitation, user=user)
    _welcome(request, invitation)
