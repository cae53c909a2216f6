"""Who came to a meeting, counted by the database: the attendance summary of the meeting log.

Two aggregate queries per call, whatever the number of attendees (and whatever the number of
meetings for `attendance_summaries`): one over the registrations ticked present, one over the
walk-ins. Registrants count as residents; a registrant is "returning" when the same person (the
`person_key`: email address, case ignored, or the mobile number of a guest registered by number
only) was ticked present at an earlier meeting (an `Exists` subquery); a walk-in is what was
declared at the door (first time, returning or unknown).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    Gender,
    Meeting,
    Registration,
    WalkIn,
)


@dataclass(frozen=True)
class Tally:
    """One line of a breakdown: a choice's value, its label and how many people."""

    value: str
    label: str
    count: int


@dataclass(frozen=True)
class AttendanceSummary:
    """Who came to one meeting, in counts only (names stay behind dialogue.view_personal_data)."""

    registrants_present: int = 0
    walk_ins: int = 0
    # Walk-ins by category, in the order of AttendeeCategory.
    walk_ins_by_category: tuple[Tally, ...] = ()
    residents: int = 0
    professionals: int = 0
    women: int = 0
    men: int = 0
    other_gender: int = 0
    gender_not_said: int = 0
    # Every age band, "not said" last.
    age_bands: tuple[Tally, ...] = ()
    first_time: int = 0
    returning: int = 0
    first_time_unknown: int = 0

    @property
    def total(self) -> int:
        return self.registrants_present + self.walk_ins

    @property
    def genders(self) -> tuple[Tally, ...]:
        return (
            Tally(Gender.WOMAN, str(Gender.WOMAN.label), self.women),
            Tally(Gender.MAN, str(Gender.MAN.label), self.men),
            Tally(Gender.OTHER, str(Gender.OTHER.label), self.other_gender),
            Tally(Gender.NOT_SAID, str(Gender.NOT_SAID.label), self.gender_not_said),
        )


def _age_band_order() -> list[AgeBand]:
    return [band for band in AgeBand if band != AgeBand.NOT_SAID] + [AgeBand.NOT_SAID]


def _breakdown_aggregates(prefix: str) -> dict:
    """Count per gender and per age band (keys prefixed), for Registration or WalkIn rows."""
    aggregates = {
        f"{prefix}gender_{gender.value or 'none'}": Count("pk", filter=Q(gender=gender.value))
        for gender in Gender
    }
    aggregates.update(
        {
            f"{prefix}age_{band.value or 'none'}": Count("pk", filter=Q(age_band=band.value))
            for band in AgeBand
        }
    )
    return aggregates


def returning_registrant() -> Exists:
    """True for a registration whose person (email, or number without one) was ticked present at
    an earlier meeting."""
    return Exists(
        Registration.objects.filter(
            person_key=OuterRef("person_key"),
            attended=True,
            meeting__starts_at__lt=OuterRef("meeting__starts_at"),
        )
    )


def attendance_summaries(
    meetings: QuerySet[Meeting] | Iterable[int],
) -> dict[int, AttendanceSummary]:
    """The summary of each meeting of a queryset (or list of ids): two queries in all."""
    registration_rows = (
        Registration.objects.filter(meeting__in=meetings, attended=True)
        .values("meeting_id")
        .annotate(
            present=Count("pk"),
            returning=Count("pk", filter=Q(returning_registrant())),
            **_breakdown_aggregates(""),
        )
        .order_by()
    )
    walk_in_rows = (
        WalkIn.objects.filter(meeting__in=meetings)
        .values("meeting_id")
        .annotate(
            walk_ins=Count("pk"),
            # Not named after the field "first_time": an annotation would shadow it in the filters.
            declared_first_time=Count("pk", filter=Q(first_time=True)),
            declared_returning=Count("pk", filter=Q(first_time=False)),
            **{
                f"category_{category.value}": Count("pk", filter=Q(category=category.value))
                for category in AttendeeCategory
            },
            **_breakdown_aggregates(""),
        )
        .order_by()
    )
    by_meeting: dict[int, tuple[dict, dict]] = {}
    for row in registration_rows:
        by_meeting.setdefault(row["meeting_id"], ({}, {}))[0].update(row)
    for row in walk_in_rows:
        by_meeting.setdefault(row["meeting_id"], ({}, {}))[1].update(row)
    return {
        meeting_id: _summary(registrations, walk_ins)
        for meeting_id, (registrations, walk_ins) in by_meeting.items()
    }


def attendance_summary(meeting: Meeting) -> AttendanceSummary:
    """The summary of one meeting (two queries); zeros when nobody came."""
    return attendance_summaries([meeting.pk]).get(meeting.pk, _summary({}, {}))


def _summary(registrations: dict, walk_ins: dict) -> AttendanceSummary:
    def both(key: str) -> int:
        return registrations.get(key, 0) + walk_ins.get(key, 0)

    present = registrations.get("present", 0)
    returning_registrants = registrations.get("returning", 0)
    by_category = tuple(
        Tally(category.value, str(category.label), walk_ins.get(f"category_{category.value}", 0))
        for category in AttendeeCategory
    )
    walk_in_count = walk_ins.get("walk_ins", 0)
    walk_in_residents = walk_ins.get(f"category_{AttendeeCategory.RESIDENT.value}", 0)
    walk_in_first = walk_ins.get("declared_first_time", 0)
    walk_in_returning = walk_ins.get("declared_returning", 0)
    return AttendanceSummary(
        registrants_present=present,
        walk_ins=walk_in_count,
        walk_ins_by_category=by_category,
        residents=present + walk_in_residents,
        professionals=walk_in_count - walk_in_residents,
        women=both(f"gender_{Gender.WOMAN.value}"),
        men=both(f"gender_{Gender.MAN.value}"),
        other_gender=both(f"gender_{Gender.OTHER.value}"),
        gender_not_said=both("gender_none"),
        age_bands=tuple(
            Tally(band.value, str(band.label), both(f"age_{band.value or 'none'}"))
            for band in _age_band_order()
        ),
        first_time=present - returning_registrants + walk_in_first,
        returning=returning_registrants + walk_in_returning,
        first_time_unknown=walk_in_count - walk_in_first - walk_in_returning,
    )
