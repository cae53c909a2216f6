"""Questions residents ask and the answers institutions owe, each with a due date (DESIGN §3).

The tables keep their first names (dialogue_question, ...): the app was split out of dialogue.
"""

from __future__ import annotations

import secrets
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from dialogue.models import today_in_paris
from participation.dates import date_format
from participation.easy_read import EASY_READ_MAX_LENGTH
from participation.scopes import Reach, ScopedQuerySet

DEFAULT_ANSWER_DAYS = 30
QUESTION_MAX_LENGTH = 2000


class Theme(models.TextChoices):
    HOUSING = "housing", _("Housing")
    LIVING_ENVIRONMENT = "environment", _("Living environment and cleanliness")
    SAFETY = "safety", _("Safety and peace")
    MOBILITY = "mobility", _("Transport and mobility")
    YOUTH = "youth", _("Education and youth")
    EMPLOYMENT = "employment", _("Employment and training")
    HEALTH = "health", _("Health and social support")
    RENEWAL = "renewal", _("Urban renewal")
    CULTURE = "culture", _("Culture, sport and leisure")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    MEETING = "meeting", _("Asked during a meeting")
    ONLINE = "online", _("Asked online")


class QuestionStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Email not confirmed yet")
    MODERATION = "moderation", _("Awaiting moderation")
    REJECTED = "rejected", _("Not published (moderation)")
    RECEIVED = "received", _("Received")
    FORWARDED = "forwarded", _("Forwarded to the organisation")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed without answer")


class Addressee(models.TextChoices):
    """Whom the asker addresses the question to, in their own words (issue 17, item 7). Staff may
    correct it when they moderate or forward; the organisation that answers is `organisation`."""

    CITY = "city", pgettext_lazy("addressee of a question", "The city")
    LANDLORD = "landlord", pgettext_lazy("addressee of a question", "The landlord")
    METROPOLE = "metropole", pgettext_lazy("addressee of a question", "The metropole")
    STATE = "state", pgettext_lazy("addressee of a question", "The State")
    UNKNOWN = "unknown", pgettext_lazy("addressee of a question", "I don't know")


OPEN_STATUSES = (QuestionStatus.RECEIVED, QuestionStatus.FORWARDED)
# The asker's own questions that are still on their way: typing one of them again is a duplicate.
PENDING_OR_OPEN_STATUSES = (QuestionStatus.UNCONFIRMED, QuestionStatus.MODERATION, *OPEN_STATUSES)
# Questions that exist for everyone (the Q&A, the figures): accepted by staff, in any state.
ACCEPTED_STATUSES = (*OPEN_STATUSES, QuestionStatus.ANSWERED, QuestionStatus.CLOSED)


# "Open" and "overdue", the words of the figures, the dashboard and the reminders: defined once.
def open_question_filter() -> models.Q:
    """Still waiting for an answer: received or forwarded to an organisation."""
    return models.Q(status__in=OPEN_STATUSES)


def overdue_question_filter(today: date) -> models.Q:
    """Open, and past its due date."""
    return open_question_filter() & models.Q(due_on__lt=today)


class QuestionQuerySet(ScopedQuerySet):
    # The staff pages of a question (questions.view_question_staff, participation.scopes).
    reach = Reach(qpv="qpv", communes=("qpv__commune",))
    view_perm = "questions.view_question_staff"

    def accepted(self) -> QuestionQuerySet:
        return self.filter(status__in=ACCEPTED_STATUSES)

    def public(self) -> QuestionQuerySet:
        """On the public Q&A: accepted, and the asker agreed to public display."""
        return self.accepted().filter(public_display=True)

    def open(self) -> QuestionQuerySet:
        return self.filter(open_question_filter())

    def overdue(self, today: date | None = None) -> QuestionQuerySet:
        return self.filter(overdue_question_filter(today or today_in_paris()))

    def with_relations(self) -> QuestionQuerySet:
        return self.select_related(
            "qpv__commune", "organisation", "meeting", "answer__organisation"
        )


def new_question_token() -> str:
    return secrets.token_urlsafe(24)


class Question(models.Model):
    qpv = models.ForeignKey(
        "qpv.QPV", on_delete=models.PROTECT, related_name="questions", verbose_name=_("QPV")
    )
    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("meeting"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    text = models.TextField(_("question"), max_length=QUESTION_MAX_LENGTH)
    theme = models.CharField(_("theme"), max_length=12, choices=Theme.choices)
    organisation = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("addressed to"),
    )
    addressed_to = models.CharField(
        _("intended for (as the asker said)"),
        max_length=10,
        choices=Addressee.choices,
        default=Addressee.UNKNOWN,
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="questions",
        verbose_name=_("asked by"),
    )
    asker_name = models.CharField(_("name of the asker"), max_length=150, blank=True)
    asker_email = models.EmailField(_("email of the asker"), blank=True)
    show_name = models.BooleanField(
        _("show my name"), default=False, help_text=_("Shown publicly only if ticked.")
    )
    public_display = models.BooleanField(
        _("public display"),
        default=True,
        help_text=_("The asker agrees that the question and its answer are shown publicly."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=QuestionStatus.choices, db_index=True
    )
    received_on = models.DateField(_("received on"), default=today_in_paris)
    due_on = models.DateField(_("answer due on"))
    answered_on = models.DateField(_("answered on"), null=True, blank=True)
    closed_reason = models.TextField(_("reason for closing without answer"), blank=True)
    rejected_reason = models.TextField(_("reason for not publishing"), blank=True)
    token = models.CharField(max_length=64, unique=True, default=new_question_token, editable=False)
    forwarded_at = models.DateTimeField(_("forwarded at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = QuestionQuerySet.as_manager()

    class Meta:
        db_table = "dialogue_question"
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["-received_on", "-pk"]
        indexes = [
            models.Index(fields=["qpv", "status", "received_on"], name="question_qpv_status"),
            models.Index(fields=["status", "due_on"], name="question_status_due"),
            models.Index(fields=["organisation", "status", "due_on"], name="question_org_due"),
            models.Index(fields=["received_on"], name="question_received"),
            # The latest answers (home page): read backwards, a few rows.
            models.Index(fields=["answered_on"], name="question_answered"),
        ]
        constraints = [
            models.CheckConstraint(
                name="question_due_after_received", condition=Q(due_on__gte=models.F("received_on"))
            ),
            models.CheckConstraint(
                name="question_closed_has_reason",
                condition=~Q(status=QuestionStatus.CLOSED) | ~Q(closed_reason=""),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def get_absolute_url(self) -> str:
        return reverse("questions:question", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and (today or today_in_paris()) > self.due_on

    @property
    def delay_days(self) -> int | None:
        """Calendar days from reception to the published answer (Paris dates: DST-proof)."""
        if self.answered_on is None:
            return None
        return (self.answered_on - self.received_on).days

    @property
    def public_asker(self) -> str:
        return self.asker_name if self.show_name and self.asker_name else ""


class AnswerStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class Answer(models.Model):
    question = models.OneToOneField(
        Question, on_delete=models.CASCADE, related_name="answer", verbose_name=_("question")
    )
    organisation = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="answers",
        verbose_name=_("answering organisation"),
    )
    text = models.TextField(_("answer"), max_length=10000)
    easy_read = models.CharField(
        _("easy-read summary"), max_length=EASY_READ_MAX_LENGTH, blank=True
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    received_by_other_channel = models.BooleanField(
        _("received by another channel"),
        default=False,
        help_text=_("Entered by a referent from a letter, an email or a phone call."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AnswerStatus.choices, default=AnswerStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        db_table = "dialogue_answer"
        verbose_name = _("answer")
        verbose_name_plural = _("answers")

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_published(self) -> bool:
        return self.status == AnswerStatus.PUBLISHED


class AnswerRevision(models.Model):
    """The text of a published answer before each edit: the public history of corrections."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="revisions")
    previous_text = models.TextField(_("previous text"))
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    edited_at = models.DateTimeField(_("edited at"), default=timezone.now)

    class Meta:
        db_table = "dialogue_answerrevision"
        verbose_name = _("answer revision")
        verbose_name_plural = _("answer revisions")
        ordering = ["-edited_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.answer_id} @ {self.edited_at:%Y-%m-%d %H:%M}"


class DueDateChange(models.Model):
    """A due date moved, with its reason: kept, and shown to staff."""

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="due_date_changes"
    )
    previous_due_on = models.DateField(_("previous due date"))
    new_due_on = models.DateField(_("new due date"))
    reason = models.TextField(_("reason"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        db_table = "dialogue_duedatechange"
        verbose_name = _("due date change")
        verbose_name_plural = _("due date changes")
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.previous_due_on} → {self.new_due_on}"


# The history of a question (issue 17): one row per step the asker sees in "Mon espace" ---------


class QuestionEventKind(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("question event", "Received")
    PUBLISHED = "published", pgettext_lazy("question event", "Accepted by the team")
    REJECTED = "rejected", pgettext_lazy("question event", "Not published")
    ADDRESSEE_CHANGED = "addressee_changed", pgettext_lazy("question event", "Addressee corrected")
    FORWARDED = "forwarded", pgettext_lazy("question event", "Passed on")
    DUE_DATE_EXTENDED = "due_date_extended", pgettext_lazy("question event", "Due date extended")
    ANSWERED = "answered", pgettext_lazy("question event", "Answered")
    CLOSED = "closed", pgettext_lazy("question event", "Closed without answer")


class QuestionEventQuerySet(models.QuerySet):
    def in_order(self) -> QuestionEventQuerySet:
        """Oldest first, with what a history line shows (no query per line)."""
        return self.select_related("organisation", "due_date_change").order_by("at", "pk")


class QuestionEvent(models.Model):
    """A dated step of a question, written by questions.services.record_question_event.

    It holds no personal data: the asker is the question's, never copied here; `note` is a reason
    written by the staff (a reason for not publishing or for closing, already sent to the asker).
    """

    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="events", verbose_name=_("question")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=QuestionEventKind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True)
    # Forwarded: to whom. Kept if the question is forwarded again to another organisation.
    organisation = models.ForeignKey(
        "qpv.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    # Due date extended: the change itself (previous and new date, reason).
    due_date_change = models.ForeignKey(
        DueDateChange,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("due date change"),
    )
    # The due date in force after this step (received, forwarded, extended), else empty.
    due_on = models.DateField(_("answer due on"), null=True, blank=True)
    # Addressee corrected: the new one.
    addressed_to = models.CharField(
        _("intended for"), max_length=10, choices=Addressee.choices, blank=True
    )

    objects = QuestionEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("question event")
        verbose_name_plural = _("question events")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["question", "at"], name="question_event_at")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.kind} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def summary(self) -> str:
        """The step in one plain sentence, for the asker (pages, and the messages to come): in the
        active language. Reads `question` (set by selectors.history_of and with_history),
        `organisation` and `due_date_change` (QuestionEventQuerySet.in_order)."""
        kind = self.kind
        if kind == QuestionEventKind.RECEIVED:
            if self.question.channel == Channel.MEETING:
                return gettext("Asked at the meeting of %(day)s, and noted by the team.") % {
                    "day": _day(self.question.received_on)
                }
            return gettext("Received by the team.")
        if kind == QuestionEventKind.PUBLISHED:
            return gettext("Checked and accepted by the team of the neighbourhood.")
        if kind == QuestionEventKind.REJECTED:
            return gettext("Not published: %(reason)s") % {"reason": self.note}
        if kind == QuestionEventKind.ADDRESSEE_CHANGED:
            return gettext("The team noted it is for: %(addressee)s.") % {
                "addressee": self.get_addressed_to_display()
            }
        if kind == QuestionEventKind.FORWARDED:
            text = (
                gettext("Passed on to %(organisation)s.") % {"organisation": self.organisation.name}
                if self.organisation is not None
                else gettext("Passed on to the organisation that must answer.")
            )
            if self.due_on is not None:
                text += " " + gettext("Answer due by %(day)s.") % {"day": _day(self.due_on)}
            return text
        if kind == QuestionEventKind.DUE_DATE_EXTENDED:
            change = self.due_date_change
            if change is None:
                return gettext("Due date moved to %(day)s.") % {"day": _day(self.due_on)}
            return gettext(
                "Due date moved to %(day)s (it was %(previous)s), because: %(reason)s"
            ) % {
                "day": _day(change.new_due_on),
                "previous": _day(change.previous_due_on),
                "reason": change.reason,
            }
        if kind == QuestionEventKind.ANSWERED:
            return gettext("Answered: the answer is published.")
        if kind == QuestionEventKind.CLOSED:
            return gettext("Closed without answer, because: %(reason)s") % {"reason": self.note}
        return str(self.get_kind_display())


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value is not None else ""


class QuestionFollow(models.Model):
    """A resident follows a public question asked by someone else ("follow that one" rather than
    asking it again): it shows in their "Mon espace" (questions.selectors.followed_questions_of)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="question_follows",
        verbose_name=_("user"),
    )
    question = models.ForeignKey(
        Question, on_delete=models.CASCADE, related_name="follows", verbose_name=_("question")
    )
    created_at = models.DateTimeField(_("followed since"), auto_now_add=True)

    class Meta:
        verbose_name = _("question followed")
        verbose_name_plural = _("questions followed")
        constraints = [
            models.UniqueConstraint(fields=["user", "question"], name="question_follow_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.question_id}"
