"""What happens during and after a meeting: attendance, minutes, speaking turns, feedback.

Diversity data (gender, age band, first time) are optional and self-declared or noted at the door:
never required to take part. Feedback is anonymous: nothing links an answer to a person.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AttendeeCategory(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ASSOCIATION = "association", _("Associative actor")
    INSTITUTION = "institution", _("Institution")
    ELECTED = "elected", _("Elected representative")


class Gender(models.TextChoices):
    NOT_SAID = "", _("Not said")
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    NOT_SAID = "", _("Not said")
    UNDER_18 = "under_18", _("Under 18")
    AGE_18_25 = "18_25", _("18-25")
    AGE_26_40 = "26_40", _("26-40")
    AGE_41_60 = "41_60", _("41-60")
    AGE_61_75 = "61_75", _("61-75")
    OVER_75 = "over_75", _("Over 75")


class WalkInQuerySet(models.QuerySet):
    def for_meeting(self, meeting) -> WalkInQuerySet:
        return self.filter(meeting=meeting).order_by("-created_at", "-pk")


class WalkIn(models.Model):
    """One person counted at the door without registration (anonymous)."""

    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.CASCADE,
        related_name="walk_ins",
        verbose_name=_("meeting"),
    )
    category = models.CharField(_("category"), max_length=12, choices=AttendeeCategory.choices)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=8, choices=AgeBand.choices, blank=True)
    first_time = models.BooleanField(_("first time"), null=True, blank=True)
    created_at = models.DateTimeField(_("counted at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = WalkInQuerySet.as_manager()

    class Meta:
        verbose_name = _("walk-in")
        verbose_name_plural = _("walk-ins")
        indexes = [models.Index(fields=["meeting", "category"], name="walkin_meeting_category")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} — {self.meeting_id}"


class MinutesStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class MinutesQuerySet(models.QuerySet):
    def published(self) -> MinutesQuerySet:
        return self.filter(status=MinutesStatus.PUBLISHED)


class Minutes(models.Model):
    """The meeting's report (compte rendu): drafted by staff, then published to everyone."""

    meeting = models.OneToOneField(
        "dialogue.Meeting",
        on_delete=models.CASCADE,
        related_name="minutes",
        verbose_name=_("meeting"),
    )
    summary = models.TextField(_("summary"))
    decisions = models.TextField(_("what was decided"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    questions_raised = models.TextField(
        _("questions raised"),
        blank=True,
        help_text=_("Questions asked during the meeting; each gets an answer (Q&A)."),
    )
    attachment = models.FileField(
        _("attachment (PDF)"), upload_to="minutes/%Y/%m/", blank=True, max_length=200
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MinutesStatus.choices, default=MinutesStatus.DRAFT
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MinutesQuerySet.as_manager()

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        indexes = [models.Index(fields=["status", "published_at"], name="minutes_status_published")]

    def __str__(self) -> str:
        return str(_("Minutes of %(meeting)s") % {"meeting": self.meeting_id})

    @property
    def is_published(self) -> bool:
        return self.status == MinutesStatus.PUBLISHED


class SpeakerCategory(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    ASSOCIATION = "association", _("Association")
    INSTITUTION = "institution", _("Institution")
    ELECTED = "elected", _("Elected representative")
    FACILITATOR = "facilitator", _("Facilitator")


class SpeakingTurnQuerySet(models.QuerySet):
    def finished(self) -> SpeakingTurnQuerySet:
        return self.filter(ended_at__isnull=False)

    def running(self) -> SpeakingTurnQuerySet:
        return self.filter(ended_at__isnull=True)

    def seconds_by_category(self) -> dict[str, float]:
        """Total speaking time per category, summed by the database."""
        rows = (
            self.finished()
            .values("category")
            .annotate(total=models.Sum(models.F("ended_at") - models.F("started_at")))
            .order_by()
        )
        return {row["category"]: row["total"].total_seconds() for row in rows}


class SpeakingTurn(models.Model):
    """One person speaking, timed by the co-facilitator's tracker."""

    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.CASCADE,
        related_name="speaking_turns",
        verbose_name=_("meeting"),
    )
    category = models.CharField(_("speaker"), max_length=12, choices=SpeakerCategory.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = SpeakingTurnQuerySet.as_manager()

    class Meta:
        verbose_name = _("speaking turn")
        verbose_name_plural = _("speaking turns")
        ordering = ["started_at", "pk"]
        constraints = [
            models.CheckConstraint(
                name="speaking_turn_ends_after_start",
                condition=models.Q(ended_at__isnull=True)
                | models.Q(ended_at__gte=models.F("started_at")),
            ),
            # One running turn per meeting: starting a new one stops the previous one.
            models.UniqueConstraint(
                fields=["meeting"],
                condition=models.Q(ended_at__isnull=True),
                name="speaking_turn_one_running",
            ),
        ]
        indexes = [models.Index(fields=["meeting", "started_at"], name="turn_meeting_started")]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.started_at:%H:%M:%S}"


def feedback_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_feedback_token() -> str:
    return secrets.token_urlsafe(18)


class FeedbackToken(models.Model):
    """A one-time right to answer a meeting's survey. Only a hash is kept, and no person:
    the token itself exists only in the email (or the browser) it was given to.
    """

    meeting = models.ForeignKey(
        "dialogue.Meeting", on_delete=models.CASCADE, related_name="feedback_tokens"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("feedback token")
        verbose_name_plural = _("feedback tokens")

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.token_hash[:8]}"


class ComeBack(models.TextChoices):
    YES = "yes", _("Yes")
    MAYBE = "maybe", _("Maybe")
    NO = "no", _("No")


class Feedback(models.Model):
    """An anonymous answer to the 1-minute survey after a meeting."""

    SCORE_CHOICES = [(score, str(score)) for score in range(1, 6)]

    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.CASCADE,
        related_name="feedbacks",
        verbose_name=_("meeting"),
    )
    felt_heard = models.PositiveSmallIntegerField(_("I felt heard"), choices=SCORE_CHOICES)
    felt_legitimate = models.PositiveSmallIntegerField(
        _("I felt legitimate to speak"), choices=SCORE_CHOICES
    )
    understood_institutions = models.PositiveSmallIntegerField(
        _("I understood what institutions can and cannot do"), choices=SCORE_CHOICES
    )
    will_come_back = models.CharField(_("I will come back"), max_length=5, choices=ComeBack.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    # The day only: a precise time could be matched with the door's check-in times.
    answered_on = models.DateField(_("answered on"), default=timezone.localdate)

    class Meta:
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                name="feedback_scores_1_to_5",
                condition=models.Q(felt_heard__range=(1, 5))
                & models.Q(felt_legitimate__range=(1, 5))
                & models.Q(understood_institutions__range=(1, 5)),
            )
        ]

    def __str__(self) -> str:
        return f"{self.meeting_id} — {self.answered_on}"


class ComebackInvitation(models.Model):
    """A resident who came once and not since was invited back (opt-in): at most one a month."""

    email = models.EmailField(_("email address"), db_index=True)
    meeting = models.ForeignKey(
        "dialogue.Meeting", on_delete=models.CASCADE, related_name="+", verbose_name=_("meeting")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("come-back invitation")
        verbose_name_plural = _("come-back invitations")
        indexes = [models.Index(fields=["email", "sent_at"], name="comeback_email_sent")]

    def __str__(self) -> str:
        return f"{self.email} → {self.meeting_id}"
