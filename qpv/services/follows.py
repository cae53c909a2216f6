"""Following a QPV: its new meetings reach the follower in a weekly digest (dialogue.emails).

Unsubscribe links carry the ids of the follows they end, signed with a purpose-specific salt: no
login is needed to stop an email, and a forged or garbled link fails before any query. They do not
expire, since an old digest should still let one stop the next ones.
"""

from __future__ import annotations

from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse

from participation.models import User
from qpv.models import QPV, Follow

UNSUBSCRIBE_SALT = "qpv.follow.unsubscribe"


class InvalidUnsubscribeLink(Exception):
    pass


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
    # No timestamp: the link never expires, and the same follows always give the same link.
    signed = signing.Signer(salt=UNSUBSCRIBE_SALT).sign_object(sorted(follow_ids))
    return reverse("qpv:unsubscribe", kwargs={"signed": signed})


def follow_ids_from_unsubscribe_link(signed: str) -> list[int]:
    try:
        follow_ids = signing.Signer(salt=UNSUBSCRIBE_SALT).unsign_object(signed)
    except (signing.BadSignature, ValueError):  # binascii.Error and JSON errors are ValueErrors
        raise InvalidUnsubscribeLink() from None
    if not isinstance(follow_ids, list) or not all(isinstance(pk, int) for pk in follow_ids):
        raise InvalidUnsubscribeLink()
    return follow_ids


@transaction.atomic
def follow_unsubscribe(*, signed: str) -> list[QPV]:
    """End the follows named by an unsubscribe link; returns their QPV (empty if already ended)."""
    follow_ids = follow_ids_from_unsubscribe_link(signed)
    follows = list(Follow.objects.filter(pk__in=follow_ids).select_related("qpv"))
    Follow.objects.filter(pk__in=[follow.pk for follow in follows]).delete()
    return [follow.qpv for follow in follows]
