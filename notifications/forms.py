"""The contact preferences form: per topic, email yes/no and SMS yes/no, and the mobile number."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from notifications.models import Topic
from notifications.phones import NOT_A_MOBILE, normalise_mobile


class ContactPreferenceForm(forms.Form):
    email_updates = forms.BooleanField(label=_("By email"), required=False)
    sms_updates = forms.BooleanField(label=_("By SMS"), required=False)
    email_reminders = forms.BooleanField(label=_("By email"), required=False)
    sms_reminders = forms.BooleanField(label=_("By SMS"), required=False)
    phone = forms.CharField(
        label=_("Mobile phone number"),
        required=False,
        max_length=30,
        help_text=_("Only for the SMS you choose above. Example: 06 12 34 56 78."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    # The boxes of each topic, in the order of the page.
    TOPICS = (
        (Topic.UPDATES, "email_updates", "sms_updates"),
        (Topic.REMINDERS, "email_reminders", "sms_reminders"),
    )

    def clean_phone(self) -> str:
        typed = self.cleaned_data["phone"].strip()
        if not typed:
            return ""
        number = normalise_mobile(typed)
        if number is None:
            raise forms.ValidationError(NOT_A_MOBILE, code="not_a_mobile")
        return number

    def clean(self) -> dict:
        cleaned = super().clean() or {}
        wants_sms = cleaned.get("sms_updates") or cleaned.get("sms_reminders")
        if wants_sms and "phone" in cleaned and not cleaned["phone"]:
            self.add_error(
                "phone",
                forms.ValidationError(
                    _("Give your mobile number to receive SMS, or untick the SMS boxes."),
                    code="phone_required",
                ),
            )
        return cleaned

    def topics(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        """(topic's label, its email box, its SMS box), for the template."""
        return [(str(topic.label), self[email], self[sms]) for topic, email, sms in self.TOPICS]
