"""Translations of a meeting's invitation (issue 18): its title, what it is about and the practical
information, in the languages residents read better than French.

The languages offered are the setting MEETING_TRANSLATION_LANGUAGES (code → native name, in the
order they are shown). A translation whose language was taken out of the setting stays in the
database but is no longer shown.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, IntegerField, Value, When
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MeetingTranslation",
    "MeetingTranslationQuerySet",
    "is_right_to_left",
    "offered_languages",
]

# Right-to-left languages Django does not know (its list covers ar, fa, he, ur, ug, ckb...).
RIGHT_TO_LEFT = frozenset(
    {"ar", "arc", "dv", "fa", "he", "ku", "ps", "sd", "syr", "ug", "ur", "yi"}
)

TITLE_MAX_LENGTH = 200
SUMMARY_MAX_LENGTH = 1000
PRACTICAL_MAX_LENGTH = 1000


def offered_languages() -> dict[str, str]:
    """Code → native name of the languages staff may translate a meeting into, in order."""
    return settings.MEETING_TRANSLATION_LANGUAGES


def is_right_to_left(code: str) -> bool:
    try:
        return bool(get_language_info(code)["bidi"])
    except KeyError:
        return code.split("-")[0] in RIGHT_TO_LEFT


class MeetingTranslationQuerySet(models.QuerySet):
    def offered(self) -> MeetingTranslationQuerySet:
        """The translations in the languages offered today, in the setting's order."""
        codes = list(offered_languages())
        return self.filter(language__in=codes).order_by(
            Case(
                *(When(language=code, then=Value(rank)) for rank, code in enumerate(codes)),
                output_field=IntegerField(),
            )
        )


class MeetingTranslation(models.Model):
    """A meeting's invitation in one other language, written by the staff who run the meeting."""

    meeting = models.ForeignKey(
        "dialogue.Meeting",
        on_delete=models.CASCADE,
        related_name="translations",
        verbose_name=_("meeting"),
    )
    language = models.CharField(_("language"), max_length=12)
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    summary = models.TextField(
        _("what the meeting is about"),
        max_length=SUMMARY_MAX_LENGTH,
        blank=True,
        help_text=_("A few sentences: who it is for, what will be discussed."),
    )
    practical_information = models.TextField(
        _("practical information"),
        max_length=PRACTICAL_MAX_LENGTH,
        blank=True,
        help_text=_("How to get in, access, registration, childcare, interpreting…"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MeetingTranslationQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting translation")
        verbose_name_plural = _("meeting translations")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "language"], name="meeting_translation_one_per_language"
            ),
            # The text fields' limits hold whatever writes them (TextField has no column limit).
            models.CheckConstraint(
                name="meeting_translation_summary_length",
                condition=LessThanOrEqual(Length("summary"), SUMMARY_MAX_LENGTH),
            ),
            models.CheckConstraint(
                name="meeting_translation_practical_length",
                condition=LessThanOrEqual(Length("practical_information"), PRACTICAL_MAX_LENGTH),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def clean(self) -> None:
        if self.language not in offered_languages():
            raise ValidationError(
                {"language": _("Meetings cannot be translated into this language.")}
            )
        if not self.title.strip():
            raise ValidationError({"title": _("Give the title in this language.")})

    @property
    def native_name(self) -> str:
        return offered_languages().get(self.language, self.language)

    @property
    def direction(self) -> str:
        """The value of the `dir` attribute of the translated text."""
        return "rtl" if is_right_to_left(self.language) else "ltr"
