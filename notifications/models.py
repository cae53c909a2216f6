"""How each resident wants to hear from the portal: by email, by SMS, about what (issue 17)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
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
