"""Public pages: the agenda (metropole, QPV, past), meeting and space pages, calendar feeds."""

from __future__ import annotations

from datetime import timedelta

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_safe

from dialogue import calendar, tokens
from dialogue.forms.public import AgendaFilterForm
from dialogue.models import DialogueSpace, Meeting, MeetingQuerySet, Registration
from dialogue.remembered import remembered_registrations
from dialogue.selectors.registrations import visitor_registration
from dialogue.selectors.translations import offered_translations
from participation.datacache import public_page
from participation.http import HtmxHttpRequest
from qpv.models import QPV

MEETINGS_PER_PAGE = 20
SPACE_UPCOMING_MEETINGS = 10
SPACE_PAST_MEETINGS = 5
# Feeds keep recent meetings, so a calendar still shows a meeting cancelled or held last month.
FEED_PAST_DAYS = 90
RESULTS_TEMPLATE = "dialogue/includes/public_meeting_results.html"


def _meeting_list(
    request: HtmxHttpRequest,
    template: str,
    *,
    form: AgendaFilterForm,
    meetings: MeetingQuerySet,
    past: bool = False,
    **context,
) -> HttpResponse:
    """A filtered, paginated list; htmx requests get the results partial only (les-emplois style)."""
    # get_page() turns a non-numeric page into the first one and an out-of-range one into the last.
    page_obj = Paginator(form.filter(meetings), MEETINGS_PER_PAGE).get_page(request.GET.get("page"))
    if request.htmx and not request.htmx.history_restore_request:
        template = RESULTS_TEMPLATE
    response = render(
        request, template, {"form": form, "page_obj": page_obj, "past": past, **context}
    )
    # The same URL answers a full page or a partial: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def _qpvs_for_filters() -> list[QPV]:
    return list(QPV.objects.for_listing())


@require_GET
@public_page("agenda")
def agenda(request: HtmxHttpRequest) -> HttpResponse:
    qpvs = _qpvs_for_filters()
    return _meeting_list(
        request,
        "dialogue/agenda.html",
        form=AgendaFilterForm(request.GET, qpvs=qpvs),
        meetings=Meeting.objects.public().upcoming().with_place().with_seats(),
        qpv=None,
        # The header's menu lists the same QPV: reuse them instead of querying twice.
        menu_qpvs=qpvs,
    )


@require_GET
@public_page("agenda")
def qpv_agenda(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    meetings = (
        Meeting.objects.public()
        .upcoming()
        .filter(dialogue_space__qpv=qpv)
        .with_place()
        .with_seats()
    )
    return _meeting_list(
        request,
        "dialogue/agenda.html",
        form=AgendaFilterForm(request.GET, without=("qpv", "commune")),
        meetings=meetings,
        qpv=qpv,
    )


@require_GET
@public_page("past_meetings")
def past_meetings(request: HtmxHttpRequest) -> HttpResponse:
    qpvs = _qpvs_for_filters()
    return _meeting_list(
        request,
        "dialogue/past_meetings.html",
        form=AgendaFilterForm(request.GET, qpvs=qpvs, without=("step_free",)),
        # The cards link to published minutes: loaded with the page, no query per card.
        meetings=Meeting.objects.public().past().with_place().select_related("minutes"),
        past=True,
        qpv=None,
        menu_qpvs=qpvs,
    )


def _public_meeting_or_404(pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.public().with_place().with_seats(), pk=pk)


def _cancel_url(registration: Registration) -> str:
    """Where the page's cancel button posts: the account's cancel view, or the guest's own
    management link (the registration is theirs: they opened a link emailed to them)."""
    if registration.user_id is not None:
        return reverse("dialogue:my_registration_cancel", args=[registration.pk])
    return tokens.manage_path(registration)


@require_GET
@public_page("meeting")
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(
        Meeting.objects.public()
        .with_place()
        .with_seats()
        .select_related("minutes")
        .prefetch_related(offered_translations()),
        pk=pk,
    )
    # Only a visitor with a session can have a registration here: the cached page of visitors
    # without one (public_page) never shows anyone's. Once the meeting is closed to registration
    # (cancelled, started, held), the page says so to everyone alike.
    user_registration = None
    if meeting.registration_open:
        user_registration = visitor_registration(
            meeting=meeting, user=request.user, remembered=remembered_registrations(request)
        )
    user = request.user
    return render(
        request,
        "dialogue/meeting_detail.html",
        {
            "meeting": meeting,
            "user_registration": user_registration,
            "cancel_url": _cancel_url(user_registration) if user_registration else "",
            "can_manage": user.has_perm("dialogue.manage_meeting", meeting),
            "can_view_personal_data": user.has_perm("dialogue.view_personal_data", meeting),
        },
    )


@require_GET
def meeting_print(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _public_meeting_or_404(pk)
    page_url = request.build_absolute_uri(meeting.get_absolute_url())
    return render(
        request, "dialogue/meeting_print.html", {"meeting": meeting, "page_url": page_url}
    )


@require_GET
@public_page("space")
def space_detail(request: HttpRequest, pk: int) -> HttpResponse:
    space = get_object_or_404(
        DialogueSpace.objects.active().select_related("qpv__commune", "host_organisation"), pk=pk
    )
    # Through the related manager, each meeting knows its space: no query per card.
    upcoming = list(space.meetings.upcoming().with_seats()[:SPACE_UPCOMING_MEETINGS])
    past = list(space.meetings.past().select_related("minutes")[:SPACE_PAST_MEETINGS])
    return render(
        request,
        "dialogue/space_detail.html",
        {
            "space": space,
            "upcoming_meetings": upcoming,
            "past_meetings": past,
            "can_manage_space": request.user.has_perm("dialogue.manage_space", space),
        },
    )


def _calendar_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    # Never None with a filename.
    response["Content-Disposition"] = content_disposition_header(False, filename)  # type: ignore[assignment]
    return response


def _feed_meetings() -> MeetingQuerySet:
    since = timezone.now() - timedelta(days=FEED_PAST_DAYS)
    return Meeting.objects.public().filter(ends_at__gte=since).order_by("starts_at", "pk")


# Calendar applications may probe a feed with HEAD before subscribing.
@require_safe
def agenda_ics(request: HttpRequest) -> HttpResponse:
    content = calendar.calendar_for(_feed_meetings(), name=_("Quartiers en dialogue: all meetings"))
    return _calendar_response(content, "quartiers-en-dialogue.ics")


@require_safe
def qpv_agenda_ics(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV, slug=slug)
    meetings = _feed_meetings().filter(dialogue_space__qpv=qpv)
    name = _("Meetings in %(qpv)s") % {"qpv": qpv.name}
    return _calendar_response(calendar.calendar_for(meetings, name=name), f"{qpv.slug}.ics")


@require_safe
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_object_or_404(Meeting.objects.public(), pk=pk)
    return _calendar_response(calendar.meeting_ics(meeting), f"rencontre-{meeting.pk}.ics")
