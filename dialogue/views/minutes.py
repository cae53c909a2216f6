"""Minutes (compte rendu): written by the staff of the place, then public on the meeting's pages.

A draft is never public: the public page and the attachment answer 404 until the minutes are
published; the staff read their draft on the edit page.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from dialogue import emails
from dialogue.forms.minutes import MinutesForm
from dialogue.models import Meeting, Minutes
from dialogue.services import minutes as services
from dialogue.shortcuts import meeting_for
from participation.http import AuthenticatedHttpRequest
from participation.storage import stored_file_response
from participation.uploads import accepts_upload

PDF_CONTENT_TYPE = "application/pdf"


def _published_minutes_or_404(pk: int) -> Minutes:
    return get_object_or_404(
        Minutes.objects.published()
        .filter(meeting__dialogue_space__is_active=True)
        .select_related(
            "meeting__dialogue_space__qpv__commune", "meeting__dialogue_space__host_organisation"
        ),
        meeting_id=pk,
    )


def _success_message(saved: services.MinutesSaved, *, was_published: bool) -> str:
    if saved.first_publication:
        return ngettext(
            "The minutes are published. %(count)s email is on its way.",
            "The minutes are published. %(count)s emails are on their way.",
            saved.emails_queued,
        ) % {"count": saved.emails_queued}
    if was_published:
        return _("The corrections are published. No email was sent again.")
    return _("The draft is saved. It stays private until you publish it.")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@accepts_upload
def minutes_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_for(
        request,
        pk,
        "dialogue.log_meeting",
        Meeting.objects.with_place().with_seats().select_related("minutes"),
    )
    refusal = services.minutes_refusal(meeting)
    if refusal:
        # Reading the page is no error (it says when the minutes open); writing is refused.
        return render(
            request,
            "dialogue/minutes/refused.html",
            {"meeting": meeting, "refusal": refusal},
            status=400 if request.method == "POST" else 200,
        )
    minutes: Minutes | None = getattr(meeting, "minutes", None)
    was_published = minutes is not None and minutes.is_published
    bound = request.method == "POST"
    form = MinutesForm(
        request.POST if bound else None, request.FILES if bound else None, minutes=minutes
    )
    if bound and form.is_valid():
        try:
            saved = services.minutes_save(
                meeting=meeting,
                by=request.user,
                # Without a (known) button, save: publishing is never a default.
                publish=request.POST.get("action") == MinutesForm.PUBLISH,
                attachment=form.cleaned_data["attachment"],
                remove_attachment=form.cleaned_data.get("remove_attachment", False),
                **form.minutes_fields(),
            )
        except services.MinutesError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _success_message(saved, was_published=was_published))
            if saved.minutes.is_published:
                return redirect("dialogue:minutes", pk=meeting.pk)
            return redirect("dialogue:minutes_edit", pk=meeting.pk)
    attendees, followers = ([], []) if was_published else emails.minutes_recipients(meeting)
    return render(
        request,
        "dialogue/minutes/edit.html",
        {
            "meeting": meeting,
            "minutes": minutes,
            "form": form,
            "attendee_count": len(attendees),
            "follower_count": len(followers),
        },
        status=400 if bound else 200,
    )


@require_safe
def minutes_detail(request: HttpRequest, pk: int) -> HttpResponse:
    minutes = _published_minutes_or_404(pk)
    meeting = minutes.meeting
    return render(
        request,
        "dialogue/minutes/detail.html",
        {
            "minutes": minutes,
            "meeting": meeting,
            "next_meeting": Meeting.objects.next_of_space(meeting),
            "can_edit": request.user.has_perm("dialogue.log_meeting", meeting),
        },
    )


@require_safe
def minutes_attachment(request: HttpRequest, pk: int) -> FileResponse:
    minutes = _published_minutes_or_404(pk)
    meeting = minutes.meeting
    day = timezone.localdate(meeting.starts_at)
    filename = f"compte-rendu-{day:%Y-%m-%d}-{slugify(meeting.title)[:50]}.pdf"
    # Inline: the browser's PDF viewer opens it; the upload was checked to be a PDF.
    response = stored_file_response(
        minutes.attachment, content_type=PDF_CONTENT_TYPE, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
