"""Writes of a meeting's translations (issue 18): add or change one language, remove it.

The view checks dialogue.manage_meeting on the meeting; the language is one of the setting
MEETING_TRANSLATION_LANGUAGES (the model's clean() refuses any other).
"""

from __future__ import annotations

from django.db import transaction

from dialogue.models import Meeting, MeetingTranslation
from participation.models import User


@transaction.atomic
def meeting_translation_save(
    *,
    meeting: Meeting,
    language: str,
    by: User,
    title: str,
    summary: str = "",
    practical_information: str = "",
) -> MeetingTranslation:
    """Create the translation of `meeting` into `language`, or replace its texts."""
    # The meeting's row is locked: two staff members saving the same new language one after the
    # other make one translation (the second replaces the first), never a unique-constraint error.
    list(Meeting.objects.select_for_update().filter(pk=meeting.pk).values_list("pk", flat=True))
    translation = MeetingTranslation.objects.filter(
        meeting=meeting, language=language
    ).first() or MeetingTranslation(meeting=meeting, language=language)
    translation.title = title
    translation.summary = summary
    translation.practical_information = practical_information
    translation.full_clean(validate_constraints=False)
    translation.save()
    return translation


@transaction.atomic
def meeting_translation_delete(*, meeting: Meeting, language: str, by: User) -> bool:
    """Remove the translation of `meeting` into `language`; False when there was none."""
    deleted, _per_model = MeetingTranslation.objects.filter(
        meeting=meeting, language=language
    ).delete()
    return deleted > 0
