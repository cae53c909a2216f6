"""Following a QPV: its new meetings reach the follower in a weekly digest (dialogue.emails).

Unsubscribe links carry the ids of the follows they end (participation.unsubscribe: signed, no
login, never expiring, GET asks and POST acts).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.urls import reverse

from participation.models import User
from participation.unsubscribe import sign, unsign_ids
from qpv.models import QPV, Follow

UNSUBSCRIBE_SALT = "qpv.follow.unsubscribe"


@transaction.atomic
def follow_create(*, user: User, qpv: QPV) -> Follow:
    """Follow a QPV; following it again changes nothing (and keeps the digest's history)."""
    follow = Follow.objects.filter(user=user, qpv=qpv).first()
    if follow is not None:
        return follow
    try:
        with transaction.atomic():
            return Follow.objects.create(user=user, qpv=qpv)
    except IntegrityError:
        # A double click raced us to the unique constraint: the follow exists, which is the goal.
        return Follow.objects.get(user=user, qpv=qpv)


@transaction.atomic
def follow_delete(*, user: User, qpv: QPV) -> bool:
    """Stop following; True if there was something to stop."""
    deleted, _ = Follow.objects.filter(user=user, qpv=qpv).delete()
    return bool(deleted)


def follow_unsubscribe_path(follow_ids: list[int]) -> str:
    signed = sign(sorted(follow_ids), salt=UNSUBSCRIBE_SALT)
    return reverse("qpv:unsubscribe", kwargs={"signed": signed})


def follow_ids_from_unsubscribe_link(signed: str) -> list[int]:
    """The follows a link names, or participation.unsubscribe.InvalidUnsubscribeLink."""
    return unsign_ids(signed, salt=UNSUBSCRIBE_SALT)


@transaction.atomic
def follow_unsubscribe(*, follow_ids: list[int]) -> list[QPV]:
    """End the follows named by an unsubscribe link; returns their QPV (empty if already ended)."""
    follows = list(Follow.objects.filter(pk__in=follow_ids).select_related("qpv"))
    Follow.objects.filter(pk__in=[follow.pk for follow in follows]).delete()
    return sorted((follow.qpv for follow in follows), key=lambda qpv: qpv.name)
