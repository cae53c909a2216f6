"""The check-in at the door (a phone page for the facilitator) and the meeting log.

Check-in: tick the registrants present, count the walk-ins in one tap per category (a second,
optional tap sets the gender, age band or "first time" of the last one), count several at once,
undo, save the attendance. Each write works with htmx (the row or panel is swapped in place, the
counters out of band) and without JavaScript (a normal POST, then a redirect back to the page).

Undo: each write of the check-in pushes what it did on a small stack kept in the session, per
meeting; "undo" takes back the last one (removes the walk-ins just counted, or puts a registrant's
presence back as it was). The stack is per device: two facilitators at the door each undo their own
last action, never the other's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.forms.checkin import WalkInBulkForm, WalkInDetailsForm
from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    Gender,
    Meeting,
    Minutes,
    Registration,
    RegistrationStatus,
    WalkIn,
)
from dialogue.selectors.attendance import attendance_summary
from dialogue.selectors.tools import meeting_tools
from dialogue.services import attendance as services
from dialogue.services.feedback import feedback_summary
from dialogue.services.speaking import speaking_summary
from dialogue.shortcuts import meeting_for
from participation.http import AuthenticatedHttpRequest, HtmxHttpRequest
from participation.scopes import require_perm

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

UNDO_DEPTH = 30
SEARCH_MAX_LENGTH = 100


def _logged_meeting(request: HttpRequest, pk: int) -> Meeting:
    meeting = meeting_for(request, pk, "dialogue.log_meeting", Meeting.objects.with_place())
    return meeting


# The undo stack ---------------------------------------------------------------------------------


def _undo_key(meeting: Meeting) -> str:
    return f"checkin_undo_{meeting.pk}"


def _undo_push(request: HttpRequest, meeting: Meeting, action: dict) -> None:
    stack = request.session.get(_undo_key(meeting), [])
    stack.append(action)
    request.session[_undo_key(meeting)] = stack[-UNDO_DEPTH:]


def _undo_pop(request: HttpRequest, meeting: Meeting) -> dict | None:
    stack = request.session.get(_undo_key(meeting), [])
    if not stack:
        return None
    action = stack.pop()
    request.session[_undo_key(meeting)] = stack
    return action


def _undo_top(request: HttpRequest, meeting: Meeting) -> dict | None:
    stack = request.session.get(_undo_key(meeting), [])
    return stack[-1] if stack else None


def _last_walk_in(request: HttpRequest, meeting: Meeting) -> WalkIn | None:
    """The walk-in this device just counted, while it is the last action: its details panel."""
    action = _undo_top(request, meeting)
    if not action or action["kind"] != "walk_ins" or len(action["ids"]) != 1:
        return None
    return WalkIn.objects.filter(meeting=meeting, pk=action["ids"][0]).first()


# Rendering --------------------------------------------------------------------------------------


def _search(request: HttpRequest) -> str:
    # PostgreSQL refuses NUL bytes in a query: typed in the search, they are dropped.
    return request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def _checkin_url(meeting: Meeting, *, query: str = "", anchor: str = "") -> str:
    url = reverse("dialogue:checkin", kwargs={"pk": meeting.pk})
    if query:
        url += "?" + urlencode({"q": query})
    return url + (f"#{anchor}" if anchor else "")


def _panel_context(request: HttpRequest, meeting: Meeting) -> dict:
    return {
        "meeting": meeting,
        "categories": AttendeeCategory.choices,
        "genders": Gender.choices,
        "age_bands": [band for band in AgeBand.choices if band[0]] + [AgeBand.choices[0]],
        "last_walk_in": _last_walk_in(request, meeting),
    }


def _checkin_page(request: HttpRequest, meeting: Meeting, *, status: int = 200) -> HttpResponse:
    refusal = services.checkin_refusal(meeting)
    query = _search(request)
    expected = meeting.registrations.filter(status__in=services.EXPECTED_STATUSES)
    if query:
        expected = expected.filter(Q(name__icontains=query) | Q(email__icontains=query))
    registrations = list(expected.order_by(Lower("name"), "pk"))
    context = {
        **_panel_context(request, meeting),
        "refusal": refusal,
        "save_refusal": services.save_refusal(meeting),
        "opens_at": services.checkin_opens_at(meeting),
        "attendance": attendance_summary(meeting),
        "query": query,
        "confirmed": [r for r in registrations if r.status == RegistrationStatus.CONFIRMED],
        "waitlisted": [r for r in registrations if r.status == RegistrationStatus.WAITLISTED],
        "can_undo": _undo_top(request, meeting) is not None,
    }
    return render(request, "dialogue/checkin/checkin.html", context, status=status)


def _refuse(request: HtmxHttpRequest, meeting: Meeting, message: StrOrPromise) -> HttpResponse:
    """A write the check-in cannot take: the page again, with the reason, and a 400."""
    messages.error(request, message)
    if request.htmx:
        # htmx swaps nothing on a 400: reload the page, which shows the message.
        response = HttpResponse(status=400)
        response["HX-Refresh"] = "true"
        return response
    return _checkin_page(request, meeting, status=400)


def _with_counters(request: HttpRequest, meeting: Meeting, response: HttpResponse) -> HttpResponse:
    """Append the counters, swapped out of band by htmx, to a partial response."""
    counters = render(
        request,
        "dialogue/includes/checkin_counters.html",
        {"attendance": attendance_summary(meeting), "oob": True},
    )
    response.write(counters.content)
    return response


# Check-in ---------------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """The door: registrants to tick (names: local staff only), walk-ins to count, counters."""
    meeting = _logged_meeting(request, pk)
    require_perm(request, "dialogue.view_personal_data", meeting)
    return _checkin_page(request, meeting)


@login_required
@require_POST
def checkin_toggle(
    request: AuthenticatedHttpRequest, pk: int, registration_pk: int
) -> HttpResponse:
    """Tick or untick one registrant. `present` = "1" or "0" (the state wanted, so a double tap or
    a second device does not flip it back); without it, the state is flipped."""
    meeting = _logged_meeting(request, pk)
    registration = get_object_or_404(
        Registration, pk=registration_pk, meeting=meeting, status__in=services.EXPECTED_STATUSES
    )
    wanted = request.POST.get("present")
    if wanted not in {None, "0", "1"}:
        return _refuse(request, meeting, _("Tick or untick the person, nothing else."))
    present = (not registration.attended) if wanted is None else wanted == "1"
    try:
        before = services.registration_set_present(
            meeting=meeting, registration=registration, present=present
        )
    except services.AttendanceError as error:
        return _refuse(request, meeting, error.message)
    _undo_push(
        request,
        meeting,
        {
            "kind": "presence",
            "id": before.registration_id,
            "attended": before.attended,
            "checked_in_at": before.checked_in_at.isoformat() if before.checked_in_at else None,
        },
    )
    if request.htmx:
        response = render(
            request,
            "dialogue/includes/checkin_registrant.html",
            {"meeting": meeting, "registration": registration, "query": ""},
        )
        return _with_counters(request, meeting, response)
    query = request.POST.get("q", "").strip()[:SEARCH_MAX_LENGTH]
    return redirect(_checkin_url(meeting, query=query, anchor=f"inscrit-{registration.pk}"))


@login_required
@require_POST
def walkin_add(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """First tap: `category` counts one walk-in. Second, optional tap: `walkin` (the pk of the last
    one) with one of `gender`, `age_band` or `first_time` sets that detail on it."""
    meeting = _logged_meeting(request, pk)
    if "walkin" in request.POST:
        return _walk_in_details(request, meeting)
    try:
        walk_in = services.walk_in_add(
            meeting=meeting, category=request.POST.get("category", ""), by=request.user
        )
    except services.AttendanceError as error:
        return _refuse(request, meeting, error.message)
    _undo_push(request, meeting, {"kind": "walk_ins", "ids": [walk_in.pk]})
    if request.htmx:
        response = render(
            request, "dialogue/includes/checkin_walkins.html", _panel_context(request, meeting)
        )
        return _with_counters(request, meeting, response)
    return redirect(_checkin_url(meeting, anchor="walkin-details"))


def _walk_in_details(request: HtmxHttpRequest, meeting: Meeting) -> HttpResponse:
    form = WalkInDetailsForm(request.POST)
    if not form.is_valid():
        return _refuse(request, meeting, _("This detail is not one of the choices offered."))
    walk_in = get_object_or_404(WalkIn, pk=form.cleaned_data["walkin"], meeting=meeting)
    try:
        services.walk_in_describe(meeting=meeting, walk_in=walk_in, details=form.details())
    except services.AttendanceError as error:
        return _refuse(request, meeting, error.message)
    if request.htmx:
        return render(
            request, "dialogue/includes/checkin_walkins.html", _panel_context(request, meeting)
        )
    return redirect(_checkin_url(meeting, anchor="walkin-details"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def walkin_bulk(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Several walk-ins of one category at once (counted by hand, or late from a paper sheet)."""
    meeting = _logged_meeting(request, pk)
    refusal = services.checkin_refusal(meeting)
    category = request.GET.get("categorie", "")
    initial = {"category": category} if category in AttendeeCategory.values else {}
    form = WalkInBulkForm(request.POST or None, initial=initial)
    status = 200
    if form.is_bound:
        status = 400
        if refusal:
            messages.error(request, refusal)
        elif form.is_valid():
            try:
                walk_ins = services.walk_ins_add_many(
                    meeting=meeting, by=request.user, **form.walk_ins_fields()
                )
            except services.AttendanceError as error:
                form.add_error(None, error)
            else:
                _undo_push(request, meeting, {"kind": "walk_ins", "ids": [w.pk for w in walk_ins]})
                messages.success(
                    request,
                    ngettext(
                        "%(count)s walk-in counted.", "%(count)s walk-ins counted.", len(walk_ins)
                    )
                    % {"count": len(walk_ins)},
                )
                return redirect(_checkin_url(meeting, anchor="checkin-counters"))
    return render(
        request,
        "dialogue/checkin/walkin_bulk.html",
        {"meeting": meeting, "form": form, "refusal": refusal},
        status=status,
    )


@login_required
@require_POST
def checkin_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Take back this device's last check-in action on this meeting."""
    meeting = _logged_meeting(request, pk)
    refusal = services.checkin_refusal(meeting)
    if refusal:
        return _refuse(request, meeting, refusal)
    action = _undo_pop(request, meeting)
    if action is None:
        messages.info(request, _("Nothing to undo."))
    elif action["kind"] == "walk_ins":
        removed = services.walk_ins_remove(meeting=meeting, walk_in_ids=action["ids"])
        messages.success(
            request,
            ngettext(
                "Undone: %(count)s walk-in removed.", "Undone: %(count)s walk-ins removed.", removed
            )
            % {"count": removed},
        )
    else:
        checked_in_at = action["checked_in_at"]
        presence = services.Presence(
            registration_id=action["id"],
            attended=action["attended"],
            checked_in_at=datetime.fromisoformat(checked_in_at) if checked_in_at else None,
        )
        services.registration_restore(meeting=meeting, presence=presence)
        # No name in a flash message: the list below shows whose presence it was.
        messages.success(request, _("Undone: the last presence ticked is back as it was."))
    return redirect(_checkin_url(meeting, anchor="checkin-counters"))


@login_required
@require_POST
def attendance_save(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Save the attendance: the meeting is held; attendees get the feedback survey (once)."""
    meeting = _logged_meeting(request, pk)
    refusal = services.save_refusal(meeting)
    if refusal:
        return _refuse(request, meeting, refusal)
    was_saved = meeting.attendance_saved_at is not None
    try:
        meeting = services.attendance_save(meeting=meeting)
    except services.AttendanceError as error:
        return _refuse(request, meeting, error.message)
    total = attendance_summary(meeting).total
    if was_saved:
        message = _("The corrections of the attendance are saved.")
    else:
        message = ngettext(
            "The attendance is saved: %(count)s person present. The meeting is marked as held.",
            "The attendance is saved: %(count)s people present. The meeting is marked as held.",
            total,
        ) % {"count": total}
    messages.success(request, message)
    return redirect("dialogue:meeting_log", pk=pk)


# The meeting log --------------------------------------------------------------------------------


@never_cache
@login_required
@require_GET
def meeting_log(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything of one meeting: attendance, speaking time, minutes, feedback. Names of the
    attendees only for the staff of the place; delegates in scope see the counts."""
    meeting = meeting_for(
        request,
        pk,
        "dialogue.view_meeting_log",
        Meeting.objects.with_place().select_related("minutes"),
    )
    personal = request.user.has_perm("dialogue.view_personal_data", meeting)
    try:
        minutes = meeting.minutes
    except Minutes.DoesNotExist:
        minutes = None
    present = None
    if personal:
        present = list(meeting.registrations.filter(attended=True).order_by(Lower("name"), "pk"))
    return render(
        request,
        "dialogue/meeting_log.html",
        {
            "meeting": meeting,
            "can_log": request.user.has_perm("dialogue.log_meeting", meeting),
            "tools": meeting_tools(request.user, meeting),
            "personal": personal,
            "present": present,
            "attendance": attendance_summary(meeting),
            "speaking": speaking_summary(meeting),
            "feedback": feedback_summary(meeting),
            "minutes": minutes,
            # The meeting too: the related manager reads it on each row (deferred, it costs a query).
            "meeting_questions": list(meeting.questions.only("pk", "meeting")),
        },
    )
