"""Account services of the participation package: the purge of ended sessions, invitations."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Any

from allauth.usersessions.models import UserSession
from auditlog.context import set_actor
from django.contrib.sessions.models import Session
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from participation.dates import date_format
from participation.mail import absolute, in_french, queue_email, render_email
from participation.models import (
    INVITATION_VALIDITY,
    Invitation,
    InvitationStatus,
    RoleAssignment,
    User,
    role_scope_check,
)
from participation.roles import forget_scopes


def ended_sessions_purge(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete expired sessions and the IP address and browser kept for each of them.

    Returns (sessions, session records) deleted. Run daily (CELERY_BEAT_SCHEDULE); the privacy page
    says the IP address and browser of a session are kept until it ends.
    """
    now = now or timezone.now()
    with transaction.atomic():
        sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
        records, _ = UserSession.objects.exclude(
            session_key__in=Session.objects.values("session_key")
        ).delete()
    return sessions, records


# Invitations (issue 19) ---------------------------------------------------------------------------


class InvitationUnusable(Exception):
    """The invitation cannot be accepted: used, revoked, expired, or meant for another address."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def invitation_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_find(token: str) -> Invitation | None:
    """The invitation a link's token opens, or None. Only the digest is stored, and compared in
    constant time once found (the lookup itself is by digest, which reveals nothing of the token)."""
    if not token or len(token) > 100:
        return None
    digest = invitation_token_digest(token)
    invitation = Invitation.objects.with_scope().filter(token_hash=digest).first()
    if invitation is None or not hmac.compare_digest(invitation.token_hash, digest):
        return None
    return invitation


def invitation_path(token: str) -> str:
    return reverse("invitation_accept", kwargs={"token": token})


def _new_token() -> tuple[str, str]:
    token = secrets.token_urlsafe(32)
    return token, invitation_token_digest(token)


@in_french
def _invitation_email(invitation: Invitation, token: str) -> None:
    inviter = invitation.invited_by
    queue_email(
        render_email(
            "participation/emails/invitation",
            subject=str(_("Invitation to the professional area of Quartiers en dialogue")),
            to=invitation.email,
            context={
                "name": "",
                "invitation": invitation,
                "inviter": inviter.get_full_name() if inviter else "",
                "role": invitation.get_role_display(),
                "scope": invitation.scope_label,
                "expires_on": date_format(timezone.localtime(invitation.expires_at), "j F Y"),
                "expires_time": date_format(
                    timezone.localtime(invitation.expires_at), "TIME_FORMAT"
                ),
                "accept_url": absolute(invitation_path(token)),
            },
        )
    )


@transaction.atomic
def invitation_create(
    *,
    email: str,
    role: str,
    invited_by: User,
    # A QPV, a Commune, an Organisation, a DialogueSpace: apps of the layers above this package.
    qpv: Any = None,
    commune: Any = None,
    organisation: Any = None,
    dialogue_space: Any = None,
    now: datetime | None = None,
) -> Invitation:
    """Offer a role and its scope to an email address, and send the link."""
    now = now or timezone.now()
    token, digest = _new_token()
    invitation = Invitation(
        email=email.strip().lower(),
        role=role,
        qpv=qpv,
        commune=commune,
        organisation=organisation,
        dialogue_space=dialogue_space,
        invited_by=invited_by,
        token_hash=digest,
        sent_at=now,
        expires_at=now + INVITATION_VALIDITY,
    )
    role_scope_check(invitation)
    invitation.save()
    _invitation_email(invitation, token)
    return invitation


@transaction.atomic
def invitation_resend(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """A new link (the previous one stops working) valid INVITATION_VALIDITY from now."""
    now = now or timezone.now()
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationUnusable(invitation.status(now=now))
    token, invitation.token_hash = _new_token()
    invitation.sent_at = now
    invitation.expires_at = now + INVITATION_VALIDITY
    invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
    _invitation_email(invitation, token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, now: datetime | None = None) -> Invitation:
    """The link stops working; an accepted invitation is not undone here (remove the role)."""
    if invitation.accepted_at:
        raise InvitationUnusable(InvitationStatus.ACCEPTED)
    if not invitation.revoked_at:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


def invitation_refusal(
    invitation: Invitation, user: User | None, *, now: datetime | None = None
) -> str | None:
    """Why `user` may not accept `invitation` now ("wrong_account" or a status), or None."""
    status = invitation.status(now=now)
    if status != InvitationStatus.PENDING:
        return str(status)
    if user is not None and user.email.lower() != invitation.email.lower():
        return "wrong_account"
    return None


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User, now: datetime | None = None
) -> RoleAssignment:
    """Give `user` the invitation's role and scope, once: the invitation is then used up."""
    now = now or timezone.now()
    # Locked and read again, so that two clicks at once cannot both use it. The caller's object
    # keeps its scope loaded (with_scope): the audit log names the scope without a query.
    invitation.accepted_at, invitation.revoked_at, invitation.expires_at = (
        Invitation.objects.select_for_update()
        .values_list("accepted_at", "revoked_at", "expires_at")
        .get(pk=invitation.pk)
    )
    reason = invitation_refusal(invitation, user, now=now)
    if reason:
        raise InvitationUnusable(reason)
    with set_actor(actor=user):
        assignment, _created = RoleAssignment.objects.get_or_create(
            user=user,
            role=invitation.role,
            qpv=invitation.qpv,
            commune=invitation.commune,
            organisation=invitation.organisation,
            dialogue_space=invitation.dialogue_space,
        )
        invitation.accepted_at = now
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
    forget_scopes(user)
    return assignment
