"""How each resident wants to hear from the portal: by email, by SMS, about what (issue 17)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Topic(models.TextChoices):
    """What a message is about: residents choose a channel per topic."""

    # Something the resident gave changed: a question published, passed on, answered; an idea
    # accepted or declined; a fund application decided or paid.
    UPDATES = "updates", _("News of what I gave")
    # A meeting I registered for: the reminder the day before, a last-minute change.
    REMINDERS = "reminders", _("Reminders of my meetings")


class ContactPreference(models.Model):
    """One per account, created on first use: the channels chosen per topic and the SMS consent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="contact_preference",
        verbose_name=_("account"),
    )
    email_updates = models.BooleanField(_("news of what I gave, by email"), default=True)
    email_reminders = models.BooleanField(_("meeting reminders, by email"), default=True)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    # Explicit consent per purpose (never pre-ticked), with its date: the SMS are sent only then.
    sms_updates = models.BooleanField(_("news of what I gave, by SMS"), default=False)
    sms_reminders = models.BooleanField(_("meeting reminders, by SMS"), default=False)
    sms_consent_at = models.DateTimeField(_("SMS consent given at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contact preference")
        verbose_name_plural = _("contact preferences")

    def __str__(self) -> str:
        return str(self.user)

    def wants_email(self, topic: str) -> bool:
        return self.email_updates if topic == Topic.UPDATES else self.email_reminders

    def wants_sms(self, topic: str) -> bool:
        if not self.phone:
            return False
        return self.sms_updates if topic == Topic.UPDATES else self.sms_reminders


class TextKind(models.TextChoices):
    """What an SMS is for. The two topics residents choose, and the confirmation codes, which a
    person asks for on the spot: sent at any hour, and whatever the number's earlier choices."""

    UPDATES = Topic.UPDATES.value, Topic.UPDATES.label
    REMINDERS = Topic.REMINDERS.value, Topic.REMINDERS.label
    CODE = "code", _("Confirmation code")


class TextStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Written at night: waits for the morning (09:00, Paris time).
    HELD = "held", _("held until the morning")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class TextEncoding(models.TextChoices):
    GSM7 = "gsm7", "GSM-7"
    UCS2 = "ucs2", "UCS-2"


# Rows still to be sent, by the task queued with them or by the sweep that catches lost tasks.
PENDING = (TextStatus.QUEUED, TextStatus.HELD)


class TextMessageQuerySet(models.QuerySet):
    def pending(self) -> TextMessageQuerySet:
        return self.filter(status__in=PENDING)

    def due(self, now: datetime) -> TextMessageQuerySet:
        return self.pending().filter(not_before__lte=now)

    def sent(self) -> TextMessageQuerySet:
        return self.filter(status=TextStatus.SENT)


class TextMessage(models.Model):
    """One SMS, written in the transaction of the change that causes it (the outbox).

    A Celery task queued on commit sends it; a sweep every minute sends the rows whose task was lost
    (a Redis restart) or whose time came (held at night, retried later). The row stays once sent,
    for the counts per meeting and per month; the number and the text are blanked when the person
    deletes their account or their data reach the retention limit (`forget_phone`).
    """

    phone = models.CharField(_("mobile phone"), max_length=20, blank=True)
    text = models.TextField(_("text"), blank=True)
    topic = models.CharField(_("purpose"), max_length=10, choices=TextKind.choices)
    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="text_messages",
        verbose_name=_("meeting"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=TextStatus.choices, default=TextStatus.QUEUED
    )
    encoding = models.CharField(
        _("encoding"), max_length=4, choices=TextEncoding.choices, default=TextEncoding.GSM7
    )
    segments = models.PositiveSmallIntegerField(_("segments"), default=1)
    not_before = models.DateTimeField(_("not before"), default=timezone.now)
    # A confirmation code is useless once expired; a reminder once its meeting has started.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    provider_ref = models.CharField(_("provider reference"), max_length=100, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    # Set by callers that must never send twice the same message (a reminder per registration and
    # meeting...): a second queue_sms with the same key returns the first row and sends nothing.
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=200, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = TextMessageQuerySet.as_manager()

    class Meta:
        verbose_name = _("SMS")
        verbose_name_plural = _("SMS")
        ordering = ["-created_at"]
        indexes = [
            # The sweep's query: the few rows still to send, by time.
            models.Index(
                fields=["not_before"],
                name="textmessage_pending_idx",
                condition=models.Q(status__in=["queued", "held"]),
            ),
            models.Index(fields=["meeting", "status"], name="textmessage_meeting_idx"),
            models.Index(fields=["sent_at"], name="textmessage_sent_at_idx"),
            models.Index(fields=["phone"], name="textmessage_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"SMS {self.pk} ({self.get_topic_display()}, {self.get_status_display()})"


class OptOutSource(models.TextChoices):
    KEYWORD = "keyword", _("STOP by SMS")
    SETTINGS = "settings", _("contact settings")


class SmsOptOut(models.Model):
    """A number that asked for no more SMS (STOP by SMS, or the button in the settings). Nothing is
    sent to it until its owner ticks an SMS box again in their settings (a new, explicit consent)."""

    phone = models.CharField(_("mobile phone"), max_length=20, unique=True)
    at = models.DateTimeField(_("opted out at"), default=timezone.now)
    source = models.CharField(_("how"), max_length=10, choices=OptOutSource.choices)

    class Meta:
        verbose_name = _("SMS opt-out")
        verbose_name_plural = _("SMS opt-outs")

    def __str__(self) -> str:
        return f"{self.phone[:-2]}•• ({self.get_source_display()})"
