"""The printed matter of a meeting, as PDF shown in the browser: poster and sign-in sheet."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from dialogue import printables
from dialogue.models import Meeting
from dialogue.shortcuts import meeting_for


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    # The sign-in sheet holds residents' names: no shared cache keeps a copy (nor of the poster).
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def poster(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_for(request, pk, "dialogue.manage_meeting", Meeting.objects.with_place())
    return _pdf(printables.poster_pdf(meeting), f"affiche-rencontre-{meeting.pk}.pdf")


@login_required
@require_GET
def signin_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_for(request, pk, "dialogue.view_personal_data", Meeting.objects.with_place())
    return _pdf(printables.signin_sheet_pdf(meeting), f"emargement-rencontre-{meeting.pk}.pdf")
