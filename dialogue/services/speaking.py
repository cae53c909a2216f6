"""The speaking-time tracker: who has the floor, timed by the server's clock.

A co-facilitator taps a speaker category on a phone; another device may show (and drive) the same
tracker. Every write locks the meeting row, so two taps at the same instant are applied one after
the other and never leave two running turns (the database's `speaking_turn_one_running` constraint
is the last guard). The times are the server's (`timezone.now()`), never the phone's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dialogue.models import Meeting, MeetingStatus, SpeakerCategory, SpeakingTurn
from participation.dates import date_format
from participation.models import User

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# The tracker opens a little before the meeting (people arrive, the facilitator sets up) and stays
# open a day after, to stop a forgotten turn or to add one from notes.
TRACKER_OPENS_BEFORE = timedelta(hours=2)
TRACKER_CLOSES_AFTER = timedelta(days=1)
# A second tap on the category already speaking, this soon, is a double tap or another device
# tapping at the same moment: it keeps the running turn instead of starting a new one.
SAME_CATEGORY_DEBOUNCE = timedelta(seconds=2)
# Beyond this the count is a typing mistake, not a meeting.
MAX_RESIDENTS_WHO_SPOKE = 500


class SpeakingError(ValidationError):
    """A write refused for a reason the facilitator can read; `field` names the form field."""

    def __init__(
        self,
        message: StrOrPromise,
        code: str | None = None,
        params: dict[str, Any] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.field = field


# Opening hours ----------------------------------------------------------------------------------


def tracker_opens_at(meeting: Meeting) -> datetime:
    return meeting.starts_at - TRACKER_OPENS_BEFORE


def tracker_closes_at(meeting: Meeting) -> datetime:
    return meeting.ends_at + TRACKER_CLOSES_AFTER


def tracker_closed_reason(meeting: Meeting, at: datetime | None = None) -> str | None:
    """Why the tracker cannot record now (a French sentence), or None when it is open."""
    at = at or timezone.now()
    if meeting.status == MeetingStatus.CANCELLED:
        return gettext("This meeting was cancelled: there is no speaking time to record.")
    opens_at = tracker_opens_at(meeting)
    if at < opens_at:
        return gettext("The tracker opens 2 hours before the meeting, on %(date)s at %(time)s.") % {
            "date": date_format(timezone.localtime(opens_at), "l j F Y"),
            "time": date_format(timezone.localtime(opens_at), "H:i"),
        }
    if at > tracker_closes_at(meeting):
        return gettext(
            "The tracker closed one day after the meeting: speaking time can no longer be recorded."
        )
    return None


def _require_open(meeting: Meeting, at: datetime) -> None:
    reason = tracker_closed_reason(meeting, at)
    if reason is not None:
        raise SpeakingError(reason, code="closed")


def _lock(meeting: Meeting) -> Meeting:
    # Every write of the tracker takes the meeting's row lock first: concurrent taps queue here.
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    meeting.tracker_paused = locked.tracker_paused
    meeting.residents_who_spoke = locked.residents_who_spoke
    return locked


def _check_category(category: str) -> None:
    if category not in SpeakerCategory.values:
        raise SpeakingError(_("Choose who is speaking."), code="category", field="category")


# Live tracker ----------------------------------------------------------------------------------


@transaction.atomic
def turn_start(
    *, meeting: Meeting, category: str, by: User | None = None, at: datetime | None = None
) -> SpeakingTurn:
    """Give the floor to `category`: the running turn, if any, ends at the same instant."""
    _check_category(category)
    at = at or timezone.now()
    locked = _lock(meeting)
    _require_open(locked, at)
    running = SpeakingTurn.objects.running().filter(meeting=locked).first()
    if running is not None:
        if running.category == category and at - running.started_at < SAME_CATEGORY_DEBOUNCE:
            return running
        # The clocks of two web servers may differ by a little: a turn never ends before it began.
        at = max(at, running.started_at)
        running.ended_at = at
        running.save(update_fields=["ended_at"])
    elif SpeakingTurn.objects.filter(meeting=locked, ended_at__gt=at).exists():
        raise SpeakingError(
            _("A recorded turn ends after this time: turns cannot overlap."), code="overlap"
        )
    if locked.tracker_paused:
        Meeting.objects.filter(pk=locked.pk).update(tracker_paused=False)
        meeting.tracker_paused = False
    try:
        with transaction.atomic():
            return SpeakingTurn.objects.create(
                meeting=locked, category=category, started_at=at, created_by=by
            )
    except IntegrityError as error:
        # Only reachable if a write bypassed the row lock; the constraint keeps one running turn.
        raise SpeakingError(
            _("Another device started a turn at the same moment: look at the tracker again."),
            code="concurrent",
        ) from error


@transaction.atomic
def turn_stop(*, meeting: Meeting, at: datetime | None = None) -> SpeakingTurn | None:
    """End the running turn; None when nobody had the floor.

    Allowed after the tracker closed, so that a turn forgotten at the end of a meeting can still be
    stopped: it then ends when the tracker closed, never later.
    """
    at = at or timezone.now()
    locked = _lock(meeting)
    if locked.status == MeetingStatus.CANCELLED or at < tracker_opens_at(locked):
        _require_open(locked, at)
    running = SpeakingTurn.objects.running().filter(meeting=locked).first()
    if running is None:
        return None
    running.ended_at = max(min(at, tracker_closes_at(locked)), running.started_at)
    running.save(update_fields=["ended_at"])
    return running


@transaction.atomic
def tracker_toggle_pause(*, meeting: Meeting, at: datetime | None = None) -> bool:
    """Pause (the running turn stops) or resume; returns whether the tracker is now paused."""
    at = at or timezone.now()
    locked = _lock(meeting)
    _require_open(locked, at)
    paused = not locked.tracker_paused
    if paused:
        running = SpeakingTurn.objects.running().filter(meeting=locked).first()
        if running is not None:
            running.ended_at = max(at, running.started_at)
            running.save(update_fields=["ended_at"])
    Meeting.objects.filter(pk=locked.pk).update(tracker_paused=paused)
    meeting.tracker_paused = paused
    return paused


def _save_residents_who_spoke(meeting: Meeting, locked: Meeting, value: int) -> int:
    if value < 0:
        raise SpeakingError(
            _("The number of residents who spoke cannot be negative."),
            code="negative",
            field="value",
        )
    if value > MAX_RESIDENTS_WHO_SPOKE:
        raise SpeakingError(
            _("%(max)s residents who spoke at most: check the number.")
            % {"max": MAX_RESIDENTS_WHO_SPOKE},
            code="too_many",
            field="value",
        )
    Meeting.objects.filter(pk=locked.pk).update(residents_who_spoke=value)
    meeting.residents_who_spoke = value
    return value


@transaction.atomic
def residents_who_spoke_set(*, meeting: Meeting, value: int, at: datetime | None = None) -> int:
    """The number of distinct residents who spoke, counted by the facilitator."""
    locked = _lock(meeting)
    _require_open(locked, at or timezone.now())
    return _save_residents_who_spoke(meeting, locked, value)


@transaction.atomic
def residents_who_spoke_add(*, meeting: Meeting, delta: int, at: datetime | None = None) -> int:
    """+1 / −1 from the tracker: added under the lock, so two devices tapping + count twice."""
    locked = _lock(meeting)
    _require_open(locked, at or timezone.now())
    return _save_residents_who_spoke(meeting, locked, (locked.residents_who_spoke or 0) + delta)


@transaction.atomic
def turn_add(
    *,
    meeting: Meeting,
    category: str,
    started_at: datetime,
    ended_at: datetime,
    by: User | None = None,
    now: datetime | None = None,
) -> SpeakingTurn:
    """Record a finished turn after the fact (from notes), refusing what cannot have happened."""
    _check_category(category)
    now = now or timezone.now()
    locked = _lock(meeting)
    _require_open(locked, now)
    if ended_at <= started_at:
        raise SpeakingError(
            _("The turn must end after it starts."), code="ends_before", field="ended_at"
        )
    if ended_at > now:
        raise SpeakingError(
            _("The turn cannot end in the future."), code="future", field="ended_at"
        )
    first_day = timezone.localdate(locked.starts_at) - timedelta(days=1)
    last_day = timezone.localdate(locked.ends_at) + timedelta(days=1)
    if timezone.localdate(started_at) < first_day or timezone.localdate(ended_at) > last_day:
        raise SpeakingError(
            _(
                "The turn must take place on the day of the meeting (one day before or after at most)."
            ),
            code="outside",
            field="started_at",
        )
    # A running turn has no end yet: it overlaps everything after its start.
    overlapping = (
        SpeakingTurn.objects.filter(meeting=locked, started_at__lt=ended_at)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=started_at))
        .order_by("started_at")
        .first()
    )
    if overlapping is not None:
        raise SpeakingError(
            _(
                "This turn overlaps another one (%(category)s, from %(start)s): "
                "speaking turns cannot overlap."
            )
            % {
                "category": overlapping.get_category_display(),
                "start": date_format(timezone.localtime(overlapping.started_at), "H:i:s"),
            },
            code="overlap",
            field="started_at",
        )
    return SpeakingTurn.objects.create(
        meeting=locked, category=category, started_at=started_at, ended_at=ended_at, created_by=by
    )


# Summary ---------------------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """12 min 05 s: readable aloud, unlike 12:05."""
    seconds = max(int(seconds), 0)
    return gettext("%(minutes)s min %(seconds)s s") % {
        "minutes": seconds // 60,
        "seconds": f"{seconds % 60:02d}",
    }


def percent_of(share: float) -> int:
    # Half up, like the page's script (Python's round() would round 2.5 down to 2).
    return math.floor(share * 100 + 0.5)


def format_percent(percent: int | str) -> str:
    return gettext("%(percent)s%%") % {"percent": percent}


def format_clock(seconds: float) -> str:
    """The running turn's stopwatch: 02:13, or 1:02:13 past an hour."""
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class CategoryShare:
    category: str
    label: str
    # Finished turns only; `seconds` adds the running turn's time so far.
    finished_seconds: float
    seconds: float
    share: float  # 0..1 of the total speaking time
    turns: int

    @property
    def percent(self) -> int:
        return percent_of(self.share)

    @property
    def percent_text(self) -> str:
        return format_percent(self.percent)

    @property
    def duration_text(self) -> str:
        return format_duration(self.seconds)


@dataclass(frozen=True)
class SpeakingSummary:
    """Speaking time of one meeting, per category, at `computed_at` (a running turn counts so far)."""

    computed_at: datetime
    total_seconds: float
    categories: tuple[CategoryShare, ...]
    residents_who_spoke: int | None
    turns: int
    running: SpeakingTurn | None
    running_seconds: float
    paused: bool

    @property
    def residents_share(self) -> float | None:
        """Residents' share of the speaking time (0..1); None before anyone spoke."""
        if not self.total_seconds:
            return None
        return self.by_category[SpeakerCategory.RESIDENT].share

    @property
    def residents_percent(self) -> int | None:
        share = self.residents_share
        return None if share is None else percent_of(share)

    @property
    def residents_percent_text(self) -> str:
        percent = self.residents_percent
        return "" if percent is None else format_percent(percent)

    @property
    def by_category(self) -> dict[str, CategoryShare]:
        return {share.category: share for share in self.categories}

    @property
    def running_category(self) -> str:
        return self.running.category if self.running is not None else ""

    @property
    def total_text(self) -> str:
        return format_duration(self.total_seconds)

    @property
    def running_clock(self) -> str:
        return format_clock(self.running_seconds)

    @property
    def is_empty(self) -> bool:
        return self.turns == 0


def speaking_summary(meeting: Meeting, now: datetime | None = None) -> SpeakingSummary:
    """Two queries whatever the number of turns: the sums per category, and the running turn."""
    now = now or timezone.now()
    turns = SpeakingTurn.objects.filter(meeting=meeting)
    rows = (
        turns.values("category")
        .annotate(
            # A running turn has no end: SUM skips it, COUNT counts it.
            total=Sum(F("ended_at") - F("started_at"), filter=Q(ended_at__isnull=False)),
            turns=Count("pk"),
        )
        .order_by()
    )
    finished = {row["category"]: row["total"] for row in rows}
    counts = {row["category"]: row["turns"] for row in rows}
    running = turns.running().first()
    running_seconds = 0.0
    if running is not None:
        # A turn forgotten when the tracker closed does not keep growing in the log.
        until = min(now, tracker_closes_at(meeting))
        running_seconds = max((until - running.started_at).total_seconds(), 0.0)
    seconds = {}
    for category in SpeakerCategory.values:
        total = finished.get(category)
        seconds[category] = total.total_seconds() if total else 0.0
    total_seconds = sum(seconds.values()) + running_seconds
    categories = []
    for category in SpeakerCategory:
        current = seconds[category.value]
        if running is not None and running.category == category.value:
            current += running_seconds
        categories.append(
            CategoryShare(
                category=category.value,
                label=str(category.label),
                finished_seconds=seconds[category.value],
                seconds=current,
                share=current / total_seconds if total_seconds else 0.0,
                turns=counts.get(category.value, 0),
            )
        )
    return SpeakingSummary(
        computed_at=now,
        total_seconds=total_seconds,
        categories=tuple(categories),
        residents_who_spoke=meeting.residents_who_spoke,
        turns=sum(counts.values()),
        running=running,
        running_seconds=running_seconds,
        paused=meeting.tracker_paused,
    )
