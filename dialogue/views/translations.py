"""Espace pro: a meeting's translations (issue 18), for those who may edit the meeting.

One page lists the languages offered (MEETING_TRANSLATION_LANGUAGES) with the translations written;
each language has its form; removing one is a POST from the list. The writes are in
dialogue.services.translations.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.forms.translations import MeetingTranslationForm
from dialogue.models import Meeting, is_right_to_left, offered_languages
from dialogue.services import translations as services
from dialogue.shortcuts import meeting_for
from participation.http import AuthenticatedHttpRequest

PERM = "dialogue.manage_meeting"


def _offered_language(language: str) -> str:
    if language not in offered_languages():
        raise Http404("This language is not offered.")
    return language


@login_required
@require_GET
def meeting_translations(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_for(request, pk, PERM, Meeting.objects.with_seats())
    written = {translation.language: translation for translation in meeting.translations.all()}
    languages = [
        {
            "code": code,
            "name": name,
            "dir": "rtl" if is_right_to_left(code) else "ltr",
            "translation": written.get(code),
        }
        for code, name in offered_languages().items()
    ]
    return render(
        request,
        "dialogue/staff/meeting_translations.html",
        {"meeting": meeting, "languages": languages},
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_translation_edit(
    request: AuthenticatedHttpRequest, pk: int, language: str
) -> HttpResponse:
    """Write or change the translation into one language."""
    meeting = meeting_for(request, pk, PERM, Meeting.objects.with_seats())
    language = _offered_language(language)
    translation = meeting.translations.filter(language=language).first()
    form = MeetingTranslationForm(request.POST or None, language=language, translation=translation)
    if form.is_bound and form.is_valid():
        services.meeting_translation_save(
            meeting=meeting, language=language, by=request.user, **form.translation_fields()
        )
        messages.success(
            request,
            _("The translation into %(language)s is saved.")
            % {"language": offered_languages()[language]},
        )
        return redirect("dialogue:meeting_translations", pk=meeting.pk)
    return render(
        request,
        "dialogue/staff/meeting_translation_form.html",
        {
            "meeting": meeting,
            "form": form,
            "translation": translation,
            "language": {
                "code": language,
                "name": offered_languages()[language],
                "dir": "rtl" if is_right_to_left(language) else "ltr",
            },
        },
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def meeting_translation_delete(
    request: AuthenticatedHttpRequest, pk: int, language: str
) -> HttpResponse:
    meeting = meeting_for(request, pk, PERM)
    language = _offered_language(language)
    if services.meeting_translation_delete(meeting=meeting, language=language, by=request.user):
        messages.success(
            request,
            _("The translation into %(language)s is removed.")
            % {"language": offered_languages()[language]},
        )
    return redirect("dialogue:meeting_translations", pk=meeting.pk)
