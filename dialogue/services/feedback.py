"""The 1-minute anonymous survey after a meeting: tokens, answers, and their summary.

Anonymity is the rule everywhere here. A FeedbackToken keeps a hash and the meeting only; the token
itself lives in one email or one browser session. A Feedback row has no link to its token nor to any
person, and keeps the day of the answer only. The token's `used_at` is cut to the day as well: with a
precise time, the order in which tokens were used would match the order of the Feedback rows'
primary keys, and a token given on the spot is known to the session that received it.

An account that attended has one token per meeting, derived from the meeting and the account with
the secret key (`account_feedback_token`) rather than drawn at random: its invitation email carries
it, and "Mon espace" (the account route, `feedback_token_of_account`) finds it again, so the same
person answers once, by either way. The server can therefore tell that an account answered (to the
day), never what: the Feedback row still has no link to its token. Guests keep random tokens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count, Field, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from dialogue import emails
from dialogue.models import (
    ComeBack,
    Feedback,
    FeedbackToken,
    Meeting,
    MeetingStatus,
    feedback_token_hash,
    new_feedback_token,
)
from participation.text import without_contact_details

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from participation.models import User

# Answers are taken for 30 days after the end of the meeting: later, memories blur.
FEEDBACK_WINDOW = timedelta(days=30)
SCORE_FIELDS = ("felt_heard", "felt_legitimate", "understood_institutions")
ANSWER_FIELDS = (*SCORE_FIELDS, "will_come_back", "comment")
# Below this number of answers the meeting log hides the details: with one or two answers, anyone
# who knows who came could tell who wrote what.
MIN_ANSWERS_SHOWN = 3
COMMENT_MAX_LENGTH = 2000

_shuffle = random.SystemRandom().shuffle
ACCOUNT_TOKEN_SALT = "dialogue.feedback.account"  # noqa: S105  (a salt, not a secret)


class FeedbackError(ValidationError):
    """An answer refused for a reason the person can read; `code` says which."""


def feedback_deadline(meeting: Meeting) -> datetime:
    return meeting.ends_at + FEEDBACK_WINDOW


def feedback_is_open(meeting: Meeting, *, now: datetime | None = None) -> bool:
    """Open from the start of the meeting (answers on the spot) until 30 days after its end."""
    now = now or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return False
    return meeting.starts_at <= now <= feedback_deadline(meeting)


def _start_of_day(now: datetime) -> datetime:
    day = timezone.localdate(now)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def feedback_tokens_create(*, meeting: Meeting, count: int) -> list[str]:
    """Create `count` tokens for the meeting and return the raw tokens, in a random order.

    Only the hashes are stored, all with the same creation time; the caller hands the raw tokens
    out in the returned (shuffled) order, so neither the primary keys nor the times of the rows
    tell which person received which token.
    """
    raw = [new_feedback_token() for _index in range(count)]
    now = timezone.now()
    FeedbackToken.objects.bulk_create(
        FeedbackToken(meeting=meeting, token_hash=feedback_token_hash(token), created_at=now)
        for token in raw
    )
    _shuffle(raw)
    return raw


def account_feedback_token(*, meeting_id: int, user_id: int) -> str:
    """The survey token of an account for a meeting: the same each time, never stored (only its
    hash is, like every token's)."""
    return salted_hmac(
        ACCOUNT_TOKEN_SALT, f"{meeting_id}:{user_id}", algorithm="sha256"
    ).hexdigest()


def account_feedback_token_hash(*, meeting_id: int, user_id: int) -> str:
    return feedback_token_hash(account_feedback_token(meeting_id=meeting_id, user_id=user_id))


def feedback_token_of_account(*, meeting: Meeting, user: User) -> FeedbackToken | None:
    """The account's token for the meeting, if it was created (by its invitation or an answer)."""
    token_hash = account_feedback_token_hash(meeting_id=meeting.pk, user_id=user.pk)
    return FeedbackToken.objects.filter(token_hash=token_hash).first()


def feedback_token_for_account(*, meeting: Meeting, user: User) -> FeedbackToken:
    """The account's token for the meeting, created on its first answer from "Mon espace"."""
    now = timezone.now()
    token, _created = FeedbackToken.objects.get_or_create(
        token_hash=account_feedback_token_hash(meeting_id=meeting.pk, user_id=user.pk),
        # The day only, like `used_at`: a precise time would tell when the account answered.
        defaults={"meeting": meeting, "created_at": _start_of_day(now)},
    )
    return token


@transaction.atomic
def feedback_invitations_send(meeting: Meeting) -> int:
    """Thank each attendee with an email and give them their own link to the anonymous survey.

    Idempotent: `feedback_sent_at` is claimed by a conditional UPDATE in the same transaction, so a
    second call (or a concurrent one, which waits for the row) sends nothing. Nothing is claimed
    while no attendee has an email yet, so a later save of the attendance still sends. One email per
    address, however many registrations it has. Guests' tokens are random, accounts' are derived
    (`account_feedback_token`): an account that already answered from "Mon espace" gets no email.
    The rows are inserted in an order independent of the recipients, and the raw tokens are never
    stored nor logged: only the emails carry them. Returns the number of emails queued.
    """
    now = timezone.now()
    if not feedback_is_open(meeting, now=now):
        return 0
    recipients: dict[str, str] = {}
    accounts: dict[str, int] = {}
    attendees = (
        meeting.registrations.filter(attended=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("email", "name", "user_id")
    )
    for email, name, user_id in attendees:
        address = email.strip().lower()
        recipients.setdefault(address, name)
        if user_id is not None:
            accounts.setdefault(address, user_id)
    tokens = {
        address: (
            account_feedback_token(meeting_id=meeting.pk, user_id=accounts[address])
            if address in accounts
            else new_feedback_token()
        )
        for address in recipients
    }
    answered = set(
        FeedbackToken.objects.filter(
            token_hash__in=[feedback_token_hash(tokens[address]) for address in accounts],
            used_at__isnull=False,
        ).values_list("token_hash", flat=True)
    )
    for address in list(recipients):
        if feedback_token_hash(tokens[address]) in answered:
            del recipients[address]
    if not recipients:
        return 0
    claimed = Meeting.objects.filter(pk=meeting.pk, feedback_sent_at__isnull=True).update(
        feedback_sent_at=now
    )
    if not claimed:
        return 0
    meeting.feedback_sent_at = now
    rows = [
        FeedbackToken(
            meeting=meeting, token_hash=feedback_token_hash(tokens[address]), created_at=now
        )
        for address in recipients
    ]
    _shuffle(rows)
    # An account's token may exist already, unused: created by an answer from "Mon espace" that
    # was then refused (invalid, or closed meanwhile).
    FeedbackToken.objects.bulk_create(rows, ignore_conflicts=True)
    emails.feedback_invitations(
        meeting,
        recipients=recipients,
        tokens=[tokens[address] for address in sorted(recipients)],
        deadline=feedback_deadline(meeting),
        now=now,
    )
    return len(recipients)


def feedback_token_lookup(token: str) -> FeedbackToken | None:
    return (
        FeedbackToken.objects.select_related("meeting__dialogue_space__qpv")
        .filter(token_hash=feedback_token_hash(token))
        .first()
    )


@transaction.atomic
def feedback_submit(*, token: FeedbackToken, data: dict, now: datetime | None = None) -> Feedback:
    """Record one answer and use up the token; a second answer with the same token is refused.

    The token row is locked, so two submissions at the same time give one answer and one refusal.
    """
    now = now or timezone.now()
    locked = (
        FeedbackToken.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .get(pk=token.pk)
    )
    if locked.used_at is not None:
        raise FeedbackError(_("This survey has already been answered."), code="used")
    if not feedback_is_open(locked.meeting, now=now):
        raise FeedbackError(
            _("The survey of this meeting is closed: answers are taken for 30 days."),
            code="closed",
        )
    feedback = Feedback(
        meeting_id=locked.meeting_id,
        answered_on=timezone.localdate(now),
        **{name: data[name] for name in ANSWER_FIELDS if name in data},
    )
    # The model's max_length of a TextField is not a validator: the form checks it, and so do we.
    if len(feedback.comment) > COMMENT_MAX_LENGTH:
        raise FeedbackError(_("The comment is too long."), code="comment_too_long")
    # Anonymous: a phone number or an email typed in the comment is not kept.
    feedback.comment = without_contact_details(
        feedback.comment, replacement=str(_("[contact details removed]"))
    )
    feedback.full_clean(exclude=["meeting"])
    feedback.save()
    locked.used_at = _start_of_day(now)
    locked.save(update_fields=["used_at"])
    return feedback


@dataclass(frozen=True)
class FeedbackSummary:
    """The survey of one meeting in figures: what the meeting log shows (never who answered)."""

    meeting_id: int
    answers: int
    invitations: int
    felt_heard: float | None
    felt_legitimate: float | None
    understood_institutions: float | None
    come_back_yes: int
    come_back_maybe: int
    come_back_no: int
    comments: tuple[str, ...]

    @property
    def response_rate(self) -> float | None:
        """Answers per token handed out (by email or on the spot); None before any token."""
        if not self.invitations:
            return None
        return self.answers / self.invitations

    @property
    def response_rate_percent(self) -> int | None:
        rate = self.response_rate
        return None if rate is None else round(rate * 100)

    @property
    def is_shown(self) -> bool:
        """Enough answers for the details to stay anonymous."""
        return self.answers >= MIN_ANSWERS_SHOWN

    @property
    def scores(self) -> list[tuple[StrOrPromise, float | None]]:
        return [
            (cast(Field, Feedback._meta.get_field(name)).verbose_name, getattr(self, name))
            for name in SCORE_FIELDS
        ]


def feedback_summary(meeting: Meeting) -> FeedbackSummary:
    """Three queries whatever the number of answers: figures, tokens, comments (sorted A→Z, so
    their order says nothing of when or by whom they were written)."""
    answers = Feedback.objects.filter(meeting=meeting)
    figures = answers.aggregate(
        answers=Count("pk"),
        **{name: Avg(name) for name in SCORE_FIELDS},
        come_back_yes=Count("pk", filter=Q(will_come_back=ComeBack.YES)),
        come_back_maybe=Count("pk", filter=Q(will_come_back=ComeBack.MAYBE)),
        come_back_no=Count("pk", filter=Q(will_come_back=ComeBack.NO)),
    )
    invitations = FeedbackToken.objects.filter(meeting=meeting).count()
    comments = tuple(
        answers.exclude(comment="").order_by("comment").values_list("comment", flat=True)
    )
    return FeedbackSummary(
        meeting_id=meeting.pk,
        invitations=invitations,
        comments=comments,
        **{
            name: (round(value, 2) if name in SCORE_FIELDS and value is not None else value)
            for name, value in figures.items()
        },
    )
