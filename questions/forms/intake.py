"""Forms of the questions' intake: logged at a meeting, asked online, moderated (issue 5)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from questions.models import QUESTION_MAX_LENGTH, Addressee, Theme

THEME_CHOICES = [("", _("Choose a theme")), *Theme.choices]
THEME_LABEL = _("Theme")
# The staff read "not said" where the resident answered "I don't know".
STAFF_ADDRESSEE_CHOICES = [
    (
        value,
        pgettext_lazy("addressee of a question", "Not said")
        if value == Addressee.UNKNOWN
        else label,
    )
    for value, label in Addressee.choices
]


class QuestionTextField(forms.CharField):
    """The question itself: spaces alone are empty, and the limit is said in French."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", QUESTION_MAX_LENGTH)
        super().__init__(
            error_messages={
                "required": _("Write the question."),
                "max_length": _(
                    "The question is too long: %(limit_value)d characters at most "
                    "(it has %(show_value)d). Shorten it or split it in two questions."
                ),
            },
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": QUESTION_MAX_LENGTH}),
            **kwargs,
        )


class AddresseeField(forms.ChoiceField):
    """Whom the question is for. Optional: empty is "I don't know" for a new question, and
    "unchanged" on the staff's forms (moderation, forwarding)."""

    def __init__(self, *, staff: bool, **kwargs) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", Addressee.UNKNOWN)
        super().__init__(
            choices=STAFF_ADDRESSEE_CHOICES if staff else Addressee.choices,
            error_messages={"invalid_choice": _("Choose one of the answers of the list.")},
            **kwargs,
        )


def _theme_field(label=THEME_LABEL, **kwargs) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=label,
        choices=THEME_CHOICES,
        error_messages={
            "required": _("Choose the theme of the question."),
            "invalid_choice": _("Choose one of the themes of the list."),
        },
        **kwargs,
    )


class MeetingQuestionForm(forms.Form):
    """Staff note a question heard during a meeting: quick, several in a row."""

    text = QuestionTextField(label=_("Question heard"))
    theme = _theme_field()
    addressed_to = AddresseeField(staff=True, label=_("For whom, as the person said"))
    asker_name = forms.CharField(
        label=_("Name of the person who asked (optional)"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    show_name = forms.BooleanField(
        label=_("Show the name publicly"),
        required=False,
        help_text=_("Only if the person agrees, and only with a name."),
    )
    public_display = forms.BooleanField(
        label=_("The person agrees that the question and its answer are shown publicly"),
        required=False,
        initial=True,
    )

    def clean_asker_name(self) -> str:
        return " ".join(self.cleaned_data["asker_name"].split())

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("show_name") and not cleaned.get("asker_name"):
            self.add_error("asker_name", _("Write the name, or untick “Show the name publicly”."))
        return cleaned


class AskQuestionForm(forms.Form):
    """A resident asks online. Visitors give a name and an email to confirm; accounts do not."""

    text = QuestionTextField(
        label=_("Your question"),
        help_text=_(
            "One question at a time, up to 2,000 characters. Do not write personal data "
            "(address, phone, health…) nor anyone's name."
        ),
    )
    theme = _theme_field()
    addressed_to = AddresseeField(
        staff=False,
        label=_("Who is your question for?"),
        widget=forms.RadioSelect,
        help_text=_("If you do not know, the team of the neighbourhood finds who must answer."),
    )
    public_display = forms.BooleanField(
        label=_("I agree that my question and its answer are shown publicly"),
        required=False,
        initial=True,
        help_text=_("If you untick it, only you and the staff will see the answer."),
    )
    show_name = forms.BooleanField(
        label=_("Show my name next to the question"),
        required=False,
        help_text=_("Unticked, the question is shown without any name."),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Please give your name.")},
    )
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("We send you a link to confirm it, then the answer."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": _("Please give your email address."),
            "invalid": _("Enter a valid email address, e.g. prenom.nom@example.org."),
        },
    )
    # Set by the button "Send my question anyway", shown when similar questions are open: without
    # it, a question like an open one is not sent at once (the view shows those first).
    send_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # A field people never see: robots that fill every field give themselves away.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, guest: bool, similar_url: str = "", **kwargs):
        """`similar_url`: where htmx asks, as the resident types, for the open questions like
        theirs (shown under the field before sending)."""
        super().__init__(*args, **kwargs)
        self.guest = guest
        if similar_url:
            self.fields["text"].widget.attrs.update(
                {
                    "data-hx-get": similar_url,
                    "data-hx-trigger": "keyup changed delay:600ms",
                    "data-hx-target": "#similar-questions",
                    "data-hx-swap": "innerHTML",
                    "data-hx-sync": "this:replace",
                }
            )
        if not guest:
            # An account already has a name and a confirmed email.
            del self.fields["name"]
            del self.fields["email"]

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Please give your name."), code="required")
        return name


class ModerationForm(forms.Form):
    """Publish (the theme may be corrected first) or reject with a reason sent to the asker."""

    PUBLISH = "publish"
    REJECT = "reject"

    decision = forms.ChoiceField(
        choices=[(PUBLISH, _("Publish")), (REJECT, _("Reject"))], widget=forms.HiddenInput
    )
    theme = _theme_field(label=_("Theme (correct it if needed)"), required=False)
    addressed_to = AddresseeField(staff=True, label=_("For whom (correct it if needed)"))
    reason = forms.CharField(
        label=_("Reason for not publishing"),
        required=False,
        max_length=2000,
        help_text=_(
            "Sent by email to the person who asked: stay polite and explain what to change."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        super().clean()
        cleaned = self.cleaned_data
        if cleaned.get("decision") == self.REJECT and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give the reason: it is sent to the person who asked."))
        return cleaned
