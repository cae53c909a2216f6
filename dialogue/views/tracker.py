"""The speaking-time tracker: a live page for the co-facilitator's phone.

The buttons are plain forms: without JavaScript each tap posts and comes back to the page. With
static/js/tracker.js the same forms post in the background and the page swaps in the state partial
(`request.htmx`); every few seconds the state is read again, so a second device follows. The state
lives on the server only (dialogue.services.speaking).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.forms.tracker import SpeakersForm, TurnAddForm, TurnStartForm
from dialogue.models import Meeting, SpeakerCategory, SpeakingTurn
from dialogue.services import speaking
from dialogue.services.speaking import SpeakingError
from dialogue.shortcuts import meeting_for

RECENT_TURNS = 8
# Keys 1-5 give the floor to the categories in this order (shown on the buttons).
CATEGORY_KEYS = {category.value: str(index) for index, category in enumerate(SpeakerCategory, 1)}


def _meeting(request: HttpRequest, pk: int) -> Meeting:
    # The space and its QPV come with the meeting: the permission check then costs no query.
    return meeting_for(request, pk, "dialogue.log_meeting")


def _state_context(meeting: Meeting, *, error: str = "", announce: str = "") -> dict:
    summary = speaking.speaking_summary(meeting)
    recent = [
        {
            "turn": turn,
            "duration_text": (
                speaking.format_duration((turn.ended_at - turn.started_at).total_seconds())
                if turn.ended_at
                else ""
            ),
        }
        for turn in SpeakingTurn.objects.filter(meeting=meeting).order_by("-started_at", "-pk")[
            :RECENT_TURNS
        ]
    ]
    running = summary.running
    return {
        "meeting": meeting,
        "speaking": summary,
        "recent_turns": recent,
        "closed_reason": speaking.tracker_closed_reason(meeting, summary.computed_at),
        "tracker_error": error,
        "announce": announce,
        # Strings: numbers would be localised ("1 718 000 000 000") in French templates.
        "server_now_ms": str(int(summary.computed_at.timestamp() * 1000)),
        "started_at_ms": str(int(running.started_at.timestamp() * 1000)) if running else "",
        # Formats the page's script fills in every second, in the page's language.
        "percent_format": speaking.format_percent("{n}"),
        "duration_format": _("%(minutes)s min %(seconds)s s")
        % {"minutes": "{m}", "seconds": "{s}"},
    }


def _render(
    request: HttpRequest,
    meeting: Meeting,
    *,
    status: int = 200,
    error: str = "",
    announce: str = "",
    turn_form: TurnAddForm | None = None,
    speakers_form: SpeakersForm | None = None,
    partial: bool | None = None,
) -> HttpResponse:
    """The whole page, or only the live state for the page's script (`request.htmx`)."""
    context = _state_context(meeting, error=error, announce=announce)
    if request.htmx if partial is None else partial:
        return render(request, "dialogue/includes/tracker_state.html", context, status=status)
    context["turn_form"] = turn_form or TurnAddForm(meeting=meeting)
    context["speakers_form"] = speakers_form or SpeakersForm(
        initial={"value": meeting.residents_who_spoke or 0}
    )
    context["categories"] = [
        (category.value, category.label, CATEGORY_KEYS[category.value])
        for category in SpeakerCategory
    ]
    return render(request, "dialogue/tracker/tracker.html", context, status=status)


def _done(request: HttpRequest, meeting: Meeting, announce: str) -> HttpResponse:
    # Without JavaScript: back to the page (a reload then posts nothing). With it: the new state.
    if request.htmx:
        return _render(request, meeting, announce=announce)
    return redirect("dialogue:tracker", pk=meeting.pk)


def _refused(request: HttpRequest, meeting: Meeting, error) -> HttpResponse:
    message = error.messages[0] if hasattr(error, "messages") else str(error)
    return _render(request, meeting, status=400, error=message)


@login_required
@require_GET
@never_cache
def tracker(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    return _render(request, meeting)


@login_required
@require_GET
@never_cache
def tracker_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The live state: the partial the page swaps in, or JSON with ?format=json."""
    meeting = _meeting(request, pk)
    if request.GET.get("format") != "json":
        return _render(request, meeting, partial=True)
    summary = speaking.speaking_summary(meeting)
    running = summary.running
    return JsonResponse(
        {
            "server_now": summary.computed_at.isoformat(),
            "paused": summary.paused,
            "open": speaking.tracker_closed_reason(meeting, summary.computed_at) is None,
            "running": (
                {
                    "category": running.category,
                    "started_at": running.started_at.isoformat(),
                    "seconds": round(summary.running_seconds, 1),
                }
                if running
                else None
            ),
            "total_seconds": round(summary.total_seconds, 1),
            "categories": {
                share.category: {
                    "seconds": round(share.seconds, 1),
                    "share": round(share.share, 4),
                    "turns": share.turns,
                }
                for share in summary.categories
            },
            "residents_who_spoke": summary.residents_who_spoke,
            "turns": summary.turns,
        }
    )


@login_required
@require_POST
def tracker_start(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    form = TurnStartForm(request.POST)
    if not form.is_valid():
        return _refused(request, meeting, form.errors["category"][0])
    category = form.cleaned_data["category"]
    try:
        speaking.turn_start(meeting=meeting, category=category, by=request.user)
    except SpeakingError as error:
        return _refused(request, meeting, error)
    label = SpeakerCategory(category).label
    return _done(request, meeting, _("%(speaker)s has the floor.") % {"speaker": label})


@login_required
@require_POST
def tracker_stop(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        stopped = speaking.turn_stop(meeting=meeting)
    except SpeakingError as error:
        return _refused(request, meeting, error)
    return _done(request, meeting, _("Turn stopped.") if stopped else _("Nobody was being timed."))


@login_required
@require_POST
def tracker_pause(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _meeting(request, pk)
    try:
        paused = speaking.tracker_toggle_pause(meeting=meeting)
    except SpeakingError as error:
        return _refused(request, meeting, error)
    return _done(request, meeting, _("Tracker paused.") if paused else _("Tracker resumed."))


@login_required
@require_POST
def tracker_speakers(request: HttpRequest, pk: int) -> HttpResponse:
    """The count of residents who spoke: a new value, or +1 / −1."""
    meeting = _meeting(request, pk)
    form = SpeakersForm(request.POST)
    if not form.is_valid():
        message = next(iter(form.errors.values()))[0]
        return _render(request, meeting, status=400, error=message, speakers_form=form)
    try:
        if form.cleaned_data["value"] is not None:
            count = speaking.residents_who_spoke_set(
                meeting=meeting, value=form.cleaned_data["value"]
            )
        else:
            count = speaking.residents_who_spoke_add(
                meeting=meeting, delta=form.cleaned_data["delta"]
            )
    except SpeakingError as error:
        form.add_error("value", error)
        return _render(request, meeting, status=400, error=error.messages[0], speakers_form=form)
    return _done(request, meeting, _("Residents who spoke: %(count)s.") % {"count": count})


@login_required
@require_http_methods(["POST"])
def turn_add(request: HttpRequest, pk: int) -> HttpResponse:
    """A turn noted on paper, entered afterwards: refused when it overlaps another one."""
    meeting = _meeting(request, pk)
    form = TurnAddForm(request.POST, meeting=meeting)
    if form.is_valid():
        started_at, ended_at = form.times()
        try:
            speaking.turn_add(
                meeting=meeting,
                category=form.cleaned_data["category"],
                started_at=started_at,
                ended_at=ended_at,
                by=request.user,
                now=timezone.now(),
            )
        except SpeakingError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("The turn is added."))
            return redirect("dialogue:tracker", pk=meeting.pk)
    # The full page, whoever asks: the form keeps what was typed and shows why it was refused.
    return _render(request, meeting, status=400, turn_form=form, partial=False)
