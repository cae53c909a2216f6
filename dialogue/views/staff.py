"""Espace pro: the dialogue spaces and meetings of the user's scope.

Plan (one meeting or a series), edit, duplicate and cancel meetings, create and edit spaces, read and
export the registrants. Every view checks its permission on the object (dialogue/rules.py); the
writes are in dialogue.services.meetings.
"""

from __future__ import annotations

import csv
import logging
from datetime import datetime

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dialogue.forms.meetings import MeetingCancelForm, MeetingForm, SpaceForm
from dialogue.models import (
    DialogueSpace,
    Meeting,
    MeetingStatus,
    Minutes,
    Registration,
    RegistrationStatus,
)
from dialogue.services import meetings as services
from dialogue.shortcuts import meeting_for
from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, holds_somewhere, require_perm
from qpv.models import QPV
from qpv.shortcuts import qpv_or_404

logger = logging.getLogger(__name__)

MEETINGS_PER_PAGE = 30
TO_DO_LIMIT = 5
# Spreadsheets run a cell starting with one of these as a formula: a guest's name must not.
CSV_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _form_status(form) -> int:
    return 400 if form.is_bound else 200


def _add_service_error(form, error: services.MeetingError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error)


@login_required
@require_GET
def staff_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The spaces the user runs, grouped by QPV, and the upcoming meetings in their scope."""
    require_perm(request, "participation.access_staff_area")
    user = request.user
    groups: dict[int, dict] = {}
    # Creating a space is for referents and coordinators: offer it on each QPV they may.
    for qpv in QPV.objects.for_listing():
        if user.has_perm("dialogue.create_space", qpv):
            groups[qpv.pk] = {"qpv": qpv, "spaces": [], "can_create": True}
    spaces = (
        DialogueSpace.objects.visible_to(user)
        .select_related("qpv__commune", "host_organisation")
        .order_by("name")
    )
    for space in spaces:
        group = groups.setdefault(
            space.qpv_id, {"qpv": space.qpv, "spaces": [], "can_create": False}
        )
        group["spaces"].append(space)
    space_groups = sorted(
        groups.values(), key=lambda group: (group["qpv"].commune.name, group["qpv"].name)
    )
    meetings = (
        Meeting.objects.visible_to(user, "dialogue.manage_meeting")
        .upcoming()
        .with_place()
        .with_seats()
    )
    page = Paginator(meetings, MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dialogue/staff/home.html",
        {
            "space_groups": space_groups,
            "page": page,
            "meetings": page.object_list,
            # Online questions are moderated by the local staff (see questions.moderate_question).
            "doors": _doors(user),
            **_to_do(user),
        },
    )


# The staff area's other pages, each behind a permission held on some QPV (each page checks again).
STAFF_DOORS = {
    "moderation": "questions.moderate_question",
    "projects": "projects.manage_project",
    "envelopes": "projects.manage_fund",
    "news": "qpv.publish_news",
    "influence": "projects.manage_influence",
    "indicators": "evaluation.view_indicators",
}


def _doors(user) -> dict[str, bool]:
    """Which links of the staff home to show: no role is tested, only permissions."""
    qpvs = QPV.objects.all()
    doors = {name: holds_somewhere(user, perm, qpvs) for name, perm in STAFF_DOORS.items()}
    doors["audit_log"] = user.has_perm("participation.configure")
    return doors


def _to_do(user) -> dict:
    """What is left to do after the meetings of the user's scope (two queries): meetings over
    whose attendance is not saved ("à clôturer", with their count), held meetings without
    published minutes; the most recent first, TO_DO_LIMIT of each (one more is read to know
    there are more). Meetings under way are in the upcoming list, with their check-in."""
    now = timezone.now()
    managed = (
        Meeting.objects.visible_to(user, "dialogue.manage_meeting")
        .with_place()
        .order_by("-starts_at", "-pk")
    )
    # The count comes with the rows (a window over the whole list, computed before the limit).
    to_close = managed.to_close(now).annotate(total=Window(Count("pk")))
    to_publish = managed.filter(status=MeetingStatus.HELD).filter(
        ~Exists(Minutes.objects.published().filter(meeting=OuterRef("pk")))
    )
    lists = {
        "meetings_to_close": list(to_close[: TO_DO_LIMIT + 1]),
        "minutes_to_publish": list(to_publish[: TO_DO_LIMIT + 1]),
    }
    more = {name: len(meetings) > TO_DO_LIMIT for name, meetings in lists.items()}
    return {
        **{name: meetings[:TO_DO_LIMIT] for name, meetings in lists.items()},
        **{f"more_{name}": value for name, value in more.items()},
        "to_close_count": lists["meetings_to_close"][0].total if lists["meetings_to_close"] else 0,
    }


# Spaces ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def space_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    qpv = qpv_or_404(request.GET.get("qpv", ""))
    require_perm(request, "dialogue.create_space", qpv)
    form = SpaceForm(request.POST or None, qpv=qpv)
    if form.is_bound and form.is_valid():
        space = services.space_create(qpv=qpv, by=request.user, **form.space_fields())
        messages.success(
            request,
            _("The space “%(name)s” is created. Plan its first meeting.") % {"name": space.name},
        )
        return redirect("dialogue:staff_home")
    return render(
        request,
        "dialogue/staff/space_form.html",
        {"form": form, "qpv": qpv, "space": None},
        status=_form_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def space_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    space = get_object_for(
        request,
        DialogueSpace.objects.select_related("qpv__commune"),
        "dialogue.manage_space",
        pk=pk,
    )
    form = SpaceForm(request.POST or None, qpv=space.qpv, space=space)
    if form.is_bound and form.is_valid():
        services.space_update(space=space, by=request.user, **form.space_fields())
        messages.success(request, _("The space “%(name)s” is saved.") % {"name": space.name})
        return redirect("dialogue:staff_home")
    return render(
        request,
        "dialogue/staff/space_form.html",
        {"form": form, "qpv": space.qpv, "space": space},
        status=_form_status(form),
    )


# Meetings --------------------------------------------------------------------------------------


def _plan(
    request: AuthenticatedHttpRequest, form: MeetingForm, space: DialogueSpace
) -> HttpResponse | None:
    """Create the meeting (or the series) of a valid form; None when the service refused it."""
    try:
        series = form.series()
        if series is None:
            services.meeting_create(space=space, by=request.user, **form.meeting_fields())
            count = 1
        else:
            every_weeks, until = series
            count = len(
                services.meeting_create_series(
                    space=space,
                    by=request.user,
                    every_weeks=every_weeks,
                    until=until,
                    **form.meeting_fields(),
                )
            )
    except services.MeetingError as error:
        _add_service_error(form, error)
        return None
    messages.success(
        request,
        ngettext("The meeting is planned.", "%(count)s meetings are planned, as a series.", count)
        % {"count": count},
    )
    return redirect("dialogue:staff_home")


def _space_from_query(request: HttpRequest, perm: str) -> DialogueSpace:
    space_id = request.GET.get("espace", "")
    # isdigit() alone lets by "²" or "١٢", and thousands of digits: int() refuses them.
    if not (space_id.isascii() and space_id.isdigit()) or len(space_id) > 19:
        raise Http404("No space given.")
    return get_object_for(
        request, DialogueSpace.objects.select_related("qpv__commune"), perm, pk=int(space_id)
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    space = _space_from_query(request, "dialogue.manage_meeting")
    form = MeetingForm(request.POST or None)
    if form.is_bound and form.is_valid():
        response = _plan(request, form, space)
        if response is not None:
            return response
    return render(
        request,
        "dialogue/staff/meeting_form.html",
        {"form": form, "space": space, "meeting": None, "source": None},
        status=_form_status(form),
    )


def _weeks_until_future(meeting: Meeting, now: datetime) -> int:
    """A duplicate comes a week later, or as many weeks as it takes to land in the future."""
    weeks = 1
    if meeting.starts_at < now:
        weeks = max(weeks, (now - meeting.starts_at).days // 7 + 1)
    return weeks


@login_required
@require_http_methods(["GET", "POST"])
def meeting_duplicate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The creation form filled from a meeting; its registrations are not copied."""
    source = meeting_for(request, pk, "dialogue.manage_meeting")
    now = timezone.now()
    initial = MeetingForm.initial_from(source, weeks_later=_weeks_until_future(source, now))
    form = MeetingForm(request.POST or None, initial=initial, now=now)
    if form.is_bound and form.is_valid():
        response = _plan(request, form, source.dialogue_space)
        if response is not None:
            return response
    return render(
        request,
        "dialogue/staff/meeting_form.html",
        {"form": form, "space": source.dialogue_space, "meeting": None, "source": source},
        status=_form_status(form),
    )


def _refusal(meeting: Meeting) -> str | None:
    """Why a meeting can no longer be changed, if it cannot."""
    if meeting.status == MeetingStatus.CANCELLED:
        return _("This meeting has been cancelled: it can no longer be changed.")
    if meeting.status == MeetingStatus.HELD:
        return _("This meeting has already been held: it can no longer be changed.")
    if meeting.has_started:
        return _("This meeting has already started: it can no longer be changed.")
    return None


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Only a planned meeting that has not started can be edited: what happened stays as it was
    (held meetings are logged, later, through their minutes and attendance)."""
    meeting = meeting_for(request, pk, "dialogue.manage_meeting", Meeting.objects.with_seats())
    refusal = _refusal(meeting)
    if refusal:
        messages.error(request, refusal)
        return redirect("dialogue:staff_home")
    # Not the form's instance: validating would change the meeting the page still displays.
    form = MeetingForm(
        request.POST or None, initial=MeetingForm.initial_from(meeting), with_series=False
    )
    if form.is_bound and form.is_valid():
        try:
            services.meeting_update(meeting=meeting, by=request.user, **form.meeting_fields())
        except services.MeetingError as error:
            _add_service_error(form, error)
        else:
            messages.success(request, _("The meeting is saved."))
            return redirect("dialogue:staff_home")
    return render(
        request,
        "dialogue/staff/meeting_form.html",
        {"form": form, "space": meeting.dialogue_space, "meeting": meeting, "source": None},
        status=_form_status(form),
    )


@login_required
@require_http_methods(["GET", "POST"])
def meeting_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = meeting_for(request, pk, "dialogue.manage_meeting", Meeting.objects.with_seats())
    if meeting.status == MeetingStatus.CANCELLED:
        messages.info(request, _("This meeting is already cancelled."))
        return redirect("dialogue:staff_home")
    if meeting.status == MeetingStatus.HELD:
        messages.error(request, _("This meeting has already been held: it cannot be cancelled."))
        return redirect("dialogue:staff_home")
    form = MeetingCancelForm(request.POST or None)
    if form.is_bound and form.is_valid():
        try:
            services.meeting_cancel(
                meeting=meeting, reason=form.cleaned_data["reason"], by=request.user
            )
        except services.MeetingError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The meeting “%(title)s” is cancelled. Its registrants are told by email or SMS.")
                % {"title": meeting.title},
            )
            return redirect("dialogue:staff_home")
    return render(
        request,
        "dialogue/staff/meeting_cancel.html",
        {"form": form, "meeting": meeting},
        status=_form_status(form),
    )


# Registrants -----------------------------------------------------------------------------------


def _registrant_groups(registrations: list[Registration]) -> dict[str, list[Registration]]:
    by_status: dict[str, list[Registration]] = {status: [] for status in RegistrationStatus.values}
    for registration in registrations:
        by_status[registration.status].append(registration)
    # The waiting list is served in the order people joined it.
    by_status[RegistrationStatus.WAITLISTED].sort(key=lambda r: (r.waitlisted_at, r.pk))
    return by_status


def _local(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _csv_cell(value: str) -> str:
    return "'" + value if value.startswith(CSV_FORMULA_PREFIXES) else value


def _registrants_csv(
    meeting: Meeting, groups: dict[str, list[Registration]]
) -> tuple[HttpResponse, int]:
    """UTF-8 with a byte order mark and semicolons: what French spreadsheet software opens as is.
    Cancelled registrations are left out: the list serves to welcome and reach those coming."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    day = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="inscrits-{meeting.pk}-{day}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow(
        [
            _("Name"),
            _("Email address"),
            _("Phone"),
            _("Status"),
            _("Registered at"),
            _("Position on the waiting list"),
        ]
    )
    rows = 0
    for status in (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.PENDING,
    ):
        for position, registration in enumerate(groups[status], start=1):
            writer.writerow(
                [
                    _csv_cell(registration.name),
                    _csv_cell(registration.email),
                    _csv_cell(registration.phone_display),
                    registration.get_status_display(),
                    _local(registration.created_at),
                    position if status == RegistrationStatus.WAITLISTED else "",
                ]
            )
            rows += 1
    return response, rows


@never_cache
@login_required
@require_GET
def meeting_registrations(request: HttpRequest, pk: int) -> HttpResponse:
    """Who is coming: personal data, for the staff of the meeting's place only."""
    meeting = meeting_for(
        request, pk, "dialogue.view_personal_data", Meeting.objects.with_place().with_seats()
    )
    registrations = list(meeting.registrations.order_by("created_at", "pk"))
    groups = _registrant_groups(registrations)
    if request.GET.get("format") == "csv":
        response, rows = _registrants_csv(meeting, groups)
        # Personal data leave the portal: keep a trace of who took them, in the audit log that
        # coordinators read and in the application log.
        LogEntry.objects.log_create(
            meeting,
            action=LogEntry.Action.ACCESS,
            changes={"export": ["", f"registrant list exported ({rows} rows)"]},
            additional_data={"export": "registrants_csv", "rows": rows},
            actor=request.user,
        )
        logger.info(
            "registrant list exported",
            extra={"user_id": request.user.pk, "meeting_id": meeting.pk, "rows": rows},
        )
        return response
    return render(
        request,
        "dialogue/staff/meeting_registrations.html",
        {
            "meeting": meeting,
            "confirmed": groups[RegistrationStatus.CONFIRMED],
            "waitlisted": groups[RegistrationStatus.WAITLISTED],
            "pending": groups[RegistrationStatus.PENDING],
            "cancelled": groups[RegistrationStatus.CANCELLED],
        },
    )
