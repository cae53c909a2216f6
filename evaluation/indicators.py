"""The indicators of sheet T1.1 (DESIGN §4): catalogue, scopes, periods and their computation.

Every indicator is a scalar with a stable `code`, a family, a French label, a unit and a definition
precise enough to recompute the figure from the database with a plain SQL query. The computations
live in `evaluation.computations` (database aggregation only: a bounded number of queries whatever
the data size); this module is the contract the dashboard, the exports and the reports code against.

General rules of the definitions (repeated in each definition where it matters):

- A period is a pair of Paris calendar dates, both included. A date-time (a meeting's start, a
  grant's decision) belongs to the period when its date in Europe/Paris does.
- A scope is the metropole (everything), a commune (the QPV of that commune) or one QPV; a meeting,
  a speaking turn or a feedback answer belongs to the QPV of its dialogue space.
- Counts of an empty scope or period are 0; averages, shares and medians with nothing to average
  are None ("no data"), never an error.
- A period that ends after the day of computation is cut to that day (`Period.cut_to`) and says so.
- One number, one value: each indicator has its `decimals` (counts 0, euros 2 (cents shown),
  percentages and days 1, scores and ratios 2); `computations` rounds the exact value once, half
  away from zero, and every output prints exactly that many decimals (dashboard, PDF, CSV, XLSX).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone
from django.utils.functional import Promise, lazy
from django.utils.translation import gettext, gettext_noop, pgettext
from django.utils.translation import gettext_lazy as _

from dialogue.models import SpaceFormat
from evaluation.models import Report
from participation.dates import date_format
from projects.models import ParticipationLevel, ProjectStage
from qpv.models import QPV, Commune

# The Contrat de ville 2024-2030 starts on 1 January 2024.
CONTRACT_START = date(2024, 1, 1)
METROPOLE_NAME = "Tours Métropole Val de Loire"

FAMILIES = ("realisation", "resultat", "impact", "parole")
FAMILY_LABELS = {
    "realisation": _("Outputs"),
    "resultat": _("Results"),
    "impact": _("Impact"),
    "parole": _("Distribution of speaking"),
}
UNITS = ("count", "percent", "days", "score", "euros", "ratio")


# ---- Scope and period -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The metropole (both None), a commune, or a QPV."""

    commune: Commune | None = None
    qpv: QPV | None = None

    def __post_init__(self) -> None:
        if self.commune is not None and self.qpv is not None:
            raise ValueError("A scope is a commune or a QPV, not both.")

    @classmethod
    def metropole(cls) -> Scope:
        return cls()

    @classmethod
    def commune_of(cls, commune: Commune) -> Scope:
        return cls(commune=commune)

    @classmethod
    def of_qpv(cls, qpv: QPV) -> Scope:
        return cls(qpv=qpv)

    @property
    def kind(self) -> str:
        if self.qpv is not None:
            return "qpv"
        if self.commune is not None:
            return "commune"
        return "metropole"

    @property
    def label(self) -> str:
        if self.qpv is not None:
            return str(self.qpv)
        if self.commune is not None:
            return str(self.commune)
        return METROPOLE_NAME

    @property
    def permission_object(self) -> QPV | Commune | None:
        """The object `evaluation.view_indicators` is checked on (None: the metropole)."""
        return self.qpv or self.commune

    def qpvs(self):
        """The QPV of the scope, ordered as everywhere (commune, then name)."""
        qpvs = QPV.objects.for_listing()
        if self.qpv is not None:
            return qpvs.filter(pk=self.qpv.pk)
        if self.commune is not None:
            return qpvs.filter(commune=self.commune)
        return qpvs


def _quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    if quarter not in (1, 2, 3, 4):
        raise ValueError("A quarter is 1, 2, 3 or 4.")
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end - timedelta(days=1)


# "1st quarter 2026": French "1er trimestre 2026", "2e trimestre 2026" (ordinals, never "T1").
QUARTER_NAMES = {
    1: gettext_noop("1st quarter %(year)s"),
    2: gettext_noop("2nd quarter %(year)s"),
    3: gettext_noop("3rd quarter %(year)s"),
    4: gettext_noop("4th quarter %(year)s"),
}


def long_date(day: date) -> str:
    """ "1er janvier 2026": the date as every document and page prints it."""
    return date_format(day, "j F Y")


def _plain_label(start: date, end: date) -> str:
    """The name of a period: "2026", "1er trimestre 2026", or its two dates."""
    if (start, end) == (date(start.year, 1, 1), date(start.year, 12, 31)):
        return str(start.year)
    if (start, end) == _quarter_bounds(start.year, _quarter_of(start)):
        return gettext(QUARTER_NAMES[_quarter_of(start)]) % {"year": start.year}
    return gettext("%(start)s to %(end)s") % {"start": long_date(start), "end": long_date(end)}


@dataclass(frozen=True)
class Period:
    """Inclusive dates of the Paris calendar.

    A period asked for that ends after today is cut to today by `cut_to(today)`: its `end` is then
    today and `planned_end` the end asked for, and its label says so ("2026, au 7 décembre 2026
    (année en cours)"). Every figure is computed over `start`-`end`; nothing counts the future.
    """

    start: date
    end: date
    planned_end: date | None = None  # set by cut_to(): the end asked for, after `end`

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period ends on or after its start.")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(date(year, 1, 1), date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        return cls(*_quarter_bounds(year, quarter))

    @classmethod
    def contract_to_date(cls, today: date | None = None) -> Period:
        return cls(CONTRACT_START, today or timezone.localdate())

    def cut_to(self, today: date) -> Period:
        """The period up to today when it is in progress (started, not ended); else itself.

        A period entirely in the future is left as asked: its figures are zeros, not a lie.
        """
        if self.start <= today < self.end:
            return Period(self.start, today, planned_end=self.planned_end or self.end)
        return self

    @property
    def is_cut(self) -> bool:
        """True for a period in progress, cut to the day of computation."""
        return self.planned_end is not None and self.planned_end > self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def months(self) -> int:
        """Calendar months the period touches (a quarter: 3; 15 Jan-14 Feb: 2)."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def quarters(self) -> list[Period]:
        """The quarters covering the period, the first and last clipped to it."""
        quarters: list[Period] = []
        year, quarter = self.start.year, _quarter_of(self.start)
        while True:
            start, end = _quarter_bounds(year, quarter)
            if start > self.end:
                return quarters
            quarters.append(Period(max(start, self.start), min(end, self.end)))
            year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)

    @property
    def is_year(self) -> bool:
        return self.start == date(self.start.year, 1, 1) and self.end == date(
            self.start.year, 12, 31
        )

    @property
    def is_quarter(self) -> bool:
        return (self.start, self.end) == _quarter_bounds(self.start.year, _quarter_of(self.start))

    @property
    def is_partial_quarter(self) -> bool:
        """A quarter of `quarters()` clipped by the period's bounds (or by today)."""
        return not self.is_quarter

    @property
    def quarter_label(self) -> str:
        """The quarter a period lies in, "(partial)" when clipped: "4e trimestre 2026 (partiel)"."""
        name = gettext(QUARTER_NAMES[_quarter_of(self.start)]) % {"year": self.start.year}
        if self.is_quarter:
            return name
        return gettext("%(quarter)s (partial)") % {"quarter": name}

    @property
    def dates_text(self) -> str:
        """ "du 1er janvier 2026 au 7 décembre 2026"."""
        return pgettext("a period of dates", "from %(start)s to %(end)s") % {
            "start": long_date(self.start),
            "end": long_date(self.end),
        }

    @property
    def progress_text(self) -> str:
        """ "année en cours" for a period in progress (cut to today), else ""."""
        if not self.is_cut:
            return ""
        planned = Period(self.start, self.planned_end or self.end)
        if planned.is_year:
            return gettext("year in progress")
        if planned.is_quarter:
            return gettext("quarter in progress")
        return gettext("period in progress")

    @property
    def label(self) -> str:
        """ "2026", "1er trimestre 2026", "1er mars 2026 to 30 juin 2026"; a period in progress
        adds where it stops: "2026, au 7 décembre 2026 (année en cours)"."""
        planned_end = self.planned_end or self.end
        plain = _plain_label(self.start, planned_end)
        if not self.is_cut:
            return plain
        template = gettext("%(period)s, up to %(day)s (%(progress)s)")
        return template % {
            "period": plain,
            "day": long_date(self.end),
            "progress": self.progress_text,
        }


# ---- The catalogue ----------------------------------------------------------------------------


# How many decimals each unit prints, unless an indicator says otherwise. Euros keep their
# cents (amounts are printed with them: "1 234,56 €"), percentages one decimal, scores two.
DECIMALS = {"count": 0, "euros": 2, "percent": 1, "days": 1, "score": 2, "ratio": 2}
NOT_ADDITIVE_NOTE = gettext_noop("does not add up across neighbourhoods")


def round_half_up(value: float | int | Decimal | None, decimals: int) -> float | int | None:
    """`value` rounded half away from zero to `decimals` places (an int for 0 places).

    From the decimal text of the value (3.4484 → 3.45; 68.25 → 68.3), never twice: the one
    rounding of every figure (DESIGN §4, "one number, one value").
    """
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    return int(rounded) if decimals == 0 else float(rounded)


@dataclass(frozen=True)
class Indicator:
    code: str
    family: str  # one of FAMILIES
    label: str | Promise  # French through gettext_lazy (English msgid)
    definition: str | Promise
    unit: str  # one of UNITS
    decimals: int = 0  # printed everywhere with exactly this many (rounded once, half up)
    # False: the figure of a territory is not the sum of its neighbourhoods' (distinct people,
    # rates, averages, medians); tables with per-QPV rows mark it.
    additive: bool = True
    sources: str | Promise = ""  # the tables it counts, in words
    explanation: str | Promise = ""  # one sentence where the figure looks paradoxical

    @property
    def family_label(self) -> str | Promise:
        return FAMILY_LABELS[self.family]

    @property
    def is_count(self) -> bool:
        return self.unit in ("count",)

    def round(self, value: float | int | Decimal | None) -> float | int | None:
        """The exact value rounded once to the definition's decimals."""
        return round_half_up(value, self.decimals)


# The tables an indicator counts, in words (the annex says "Source : ..."), by code prefix.
SOURCES: tuple[tuple[str, str | Promise], ...] = (
    ("spaces_", _("dialogue spaces")),
    ("channel_meetings", _("meetings")),
    ("channel_online_questions", _("questions to institutions")),
    ("channel_feedback_answers", _("answers to the post-meeting survey")),
    ("channel_fph_applications", _("participation fund applications")),
    ("meetings_", _("meetings")),
    ("days_between_meetings", _("meetings")),
    ("attendance_", _("meetings, registrations, people counted at the door")),
    ("residents_distinct", _("meetings, registrations")),
    ("walk_ins", _("meetings, people counted at the door")),
    ("share_", _("meetings, registrations, people counted at the door")),
    ("first_time", _("meetings, registrations, people counted at the door")),
    ("returning", _("meetings, registrations, people counted at the door")),
    ("return_rate", _("meetings, registrations")),
    ("projects_", _("projects and their steps")),
    ("fph_envelope_share", _("participation fund decisions and envelopes")),
    ("fph_", _("participation fund decisions")),
    ("influence_", _("“you said, we did” records")),
    ("feedback_", _("answers to the post-meeting survey")),
    ("questions_", _("questions to institutions and their answers")),
    ("speaking_share_residents", _("speaking turns timed during meetings")),
    ("residents_who_spoke", _("meetings (count by the facilitator)")),
)
NOT_ADDITIVE = frozenset(["residents_distinct"])  # counts of distinct people
EXPLANATIONS: dict[str, str | Promise] = {
    "return_rate": _(
        "A person who came once in each of two neighbourhoods returned in the territory but in "
        "neither neighbourhood: a territory's rate can be higher than each of its neighbourhoods'."
    ),
    "residents_distinct": _(
        "A person who came in two neighbourhoods counts once in each of them and once in the "
        "territory: the neighbourhoods' figures do not add up to the territory's."
    ),
}


def _sources_of(code: str) -> str | Promise:
    for prefix, sources in SOURCES:
        if code.startswith(prefix):
            return sources
    raise KeyError(f"No source for the indicator {code}")


def _i(code: str, family: str, label, definition, unit: str) -> Indicator:
    return Indicator(
        code=code,
        family=family,
        label=label,
        definition=definition,
        unit=unit,
        decimals=DECIMALS[unit],
        additive=unit in ("count", "euros") and code not in NOT_ADDITIVE,
        sources=_sources_of(code),
        explanation=EXPLANATIONS.get(code, ""),
    )


def _translate_labelled(msgid: str, value) -> str:
    return gettext(msgid) % {"value": value}


# A label made of a translated template and a choice's label, both translated when displayed.
_labelled = lazy(_translate_labelled, str)

CATALOGUE: tuple[Indicator, ...] = (
    # -- Réalisation: how residents are asked to speak --
    _i(
        "spaces_active",
        "realisation",
        _("Active dialogue spaces"),
        _(
            "Dialogue spaces of the scope's QPV marked active. The portal keeps no history of this "
            "flag: the figure is the state on the day of computation, whatever the period."
        ),
        "count",
    ),
    _i(
        "spaces_strengthened",
        "realisation",
        _("Active spaces: existing, strengthened"),
        _(
            "Active dialogue spaces (state on the day of computation) of origin “existing "
            "space, strengthened”."
        ),
        "count",
    ),
    _i(
        "spaces_created",
        "realisation",
        _("Active spaces: new format, created"),
        _(
            "Active dialogue spaces (state on the day of computation) of origin “new format, "
            "created”."
        ),
        "count",
    ),
    *(
        _i(
            f"spaces_format_{space_format.value}",
            "realisation",
            _labelled(gettext_noop("Active spaces: %(value)s"), space_format.label),
            _("Active dialogue spaces (state on the day of computation) of this format."),
            "count",
        )
        for space_format in SpaceFormat
    ),
    _i(
        "channel_meetings",
        "realisation",
        _("Channel: meetings held"),
        _(
            "Meetings whose status is “held” and whose start (Paris date) lies in the "
            "period, bounds included (the same figure as “meetings held”)."
        ),
        "count",
    ),
    _i(
        "channel_online_questions",
        "realisation",
        _("Channel: questions asked online"),
        _(
            "Accepted questions (received, forwarded, answered or closed) asked online, whose "
            "reception date lies in the period, bounds included."
        ),
        "count",
    ),
    _i(
        "channel_feedback_answers",
        "realisation",
        _("Channel: answers to the feedback survey"),
        _(
            "Answers to the post-meeting survey about meetings of the scope, whose answer date "
            "lies in the period, bounds included."
        ),
        "count",
    ),
    _i(
        "channel_fph_applications",
        "realisation",
        _("Channel: participation fund applications"),
        _(
            "Applications to the scope's participation fund envelopes (an envelope of a QPV, or "
            "of a commune for a commune or the metropole) submitted in the period (Paris date of "
            "submission, bounds included), whatever their status."
        ),
        "count",
    ),
    _i(
        "meetings_held",
        "realisation",
        _("Meetings held"),
        _(
            "Meetings whose status is “held” (attendance saved) and whose start, as a "
            "Paris date, lies in the period, bounds included."
        ),
        "count",
    ),
    _i(
        "meetings_cancelled",
        "realisation",
        _("Meetings cancelled"),
        _(
            "Meetings whose status is “cancelled” and whose start (Paris date) lies in the "
            "period, bounds included."
        ),
        "count",
    ),
    _i(
        "meetings_per_qpv_month",
        "realisation",
        _("Meetings held per QPV and month"),
        _(
            "Meetings held divided by the number of QPV of the scope (with or without a space) "
            "and by the number of calendar months the period touches (a quarter: 3, a year: "
            "12), rounded to 2 decimals."
        ),
        "ratio",
    ),
    _i(
        "days_between_meetings",
        "realisation",
        _("Average days between two meetings of a space"),
        _(
            "For each dialogue space, its held meetings of the period ordered by start; for each "
            "meeting after the first, the calendar days since the previous one (Paris dates). The "
            "figure is the average of these gaps over all spaces of the scope, rounded to 1 "
            "decimal; none when no space held two meetings in the period."
        ),
        "days",
    ),
    # -- Résultat: residents mobilised --
    _i(
        "attendance_total",
        "resultat",
        _("Attendances"),
        _(
            "At the held meetings of the period (start as a Paris date in the period): "
            "registrations ticked present plus people counted at the door (walk-ins, any "
            "category). A person who came to three meetings counts three times."
        ),
        "count",
    ),
    _i(
        "attendance_residents",
        "resultat",
        _("Attendances of residents"),
        _(
            "Attendances of residents at the held meetings of the period: registrations ticked "
            "present (registrants count as residents) plus walk-ins of category "
            "“resident”."
        ),
        "count",
    ),
    _i(
        "residents_distinct",
        "resultat",
        _("Distinct residents"),
        _(
            "Distinct people among the registrations ticked present at the held meetings of the "
            "period: by email address (case ignored), or by mobile number for guests registered "
            "with a number only. Walk-ins are anonymous and not counted here."
        ),
        "count",
    ),
    _i(
        "walk_ins",
        "resultat",
        _("Walk-ins (counted at the door)"),
        _(
            "People counted at the door without registration, any category, at the held meetings "
            "of the period."
        ),
        "count",
    ),
    _i(
        "share_women",
        "resultat",
        _("Share of women"),
        _(
            "Resident attendances (registrations present and resident walk-ins, held meetings of "
            "the period) with gender “woman”, in percent of the resident attendances "
            "whose gender was declared (woman, man or other), rounded to 1 decimal."
        ),
        "percent",
    ),
    _i(
        "share_men",
        "resultat",
        _("Share of men"),
        _(
            "Resident attendances with gender “man”, in percent of the resident "
            "attendances whose gender was declared (woman, man or other), rounded to 1 decimal."
        ),
        "percent",
    ),
    _i(
        "share_under_26",
        "resultat",
        _("Share of under-26s"),
        _(
            "Resident attendances in the age bands “under 18” or “18-25”, in "
            "percent of the resident attendances whose age band was declared, rounded to 1 "
            "decimal."
        ),
        "percent",
    ),
    _i(
        "share_over_60",
        "resultat",
        _("Share of over-60s"),
        _(
            "Resident attendances in the age bands “61-75” or “over 75”, in "
            "percent of the resident attendances whose age band was declared, rounded to 1 "
            "decimal."
        ),
        "percent",
    ),
    _i(
        "first_time",
        "resultat",
        _("First-time participations"),
        _(
            "Resident attendances of the period that were a first time: a registration ticked "
            "present whose person (email address, case ignored, or mobile number for guests "
            "registered with a number only) was never ticked present at an earlier held meeting "
            "(anywhere, at any date), plus resident walk-ins declared “first time”."
        ),
        "count",
    ),
    _i(
        "returning",
        "resultat",
        _("Returning participations"),
        _(
            "Resident attendances of the period by someone who came before: a registration ticked "
            "present whose person (email address, case ignored, or mobile number for guests "
            "registered with a number only) was ticked present at an earlier held meeting "
            "(anywhere, at any date), plus resident walk-ins declared “not the first time”. "
            "Walk-ins who did not say are neither first-time nor returning."
        ),
        "count",
    ),
    _i(
        "return_rate",
        "resultat",
        _("Return rate"),
        _(
            "Among the distinct residents of the period (people ticked present, by email address, "
            "case ignored, or by mobile number for guests registered with a number only), the "
            "percent who were present at two different held meetings of the scope or more in the "
            "period, rounded to 1 decimal."
        ),
        "percent",
    ),
    _i(
        "projects_total",
        "resultat",
        _("Projects involving residents"),
        _(
            "Published projects of the scope's QPV with at least one dated step (a change of "
            "stage) whose date lies in the period, bounds included."
        ),
        "count",
    ),
    _i(
        "projects_co_construction_or_more",
        "resultat",
        _("Projects at co-construction level or above"),
        _(
            "Among those projects, those with a step of the period at the participation level "
            "co-construction or co-decision."
        ),
        "count",
    ),
    *(
        _i(
            f"projects_stage_{stage.value}",
            "resultat",
            _labelled(gettext_noop("Projects at the stage: %(value)s"), stage.label),
            _(
                "Among the projects involving residents in the period, those whose stage at the "
                "end of the period (the stage of their latest step dated on or before the last "
                "day; of two steps on the same date, the one recorded last) is this one."
            ),
            "count",
        )
        for stage in ProjectStage
    ),
    *(
        _i(
            f"projects_level_{level.value}",
            "resultat",
            _labelled(gettext_noop("Projects whose highest level is: %(value)s"), level.label),
            _(
                "Among the projects involving residents in the period, those whose highest "
                "participation level over their steps of the period is this one."
            ),
            "count",
        )
        for level in ParticipationLevel
    ),
    _i(
        "fph_grants",
        "resultat",
        _("Participation fund grants"),
        _(
            "Applications granted by the committee on the scope's envelopes (a QPV's, or a "
            "commune's for a commune or the metropole), whose decision date (Paris) lies in the "
            "period, bounds included."
        ),
        "count",
    ),
    _i(
        "fph_granted_euros",
        "resultat",
        _("Amount granted by the participation fund"),
        _("Sum of the amounts granted by those decisions, in euros, shown with their cents."),
        "euros",
    ),
    _i(
        "fph_envelope_share",
        "resultat",
        _("Share of the participation fund envelope granted"),
        _(
            "The amount granted in the period, in percent of the sum of the scope's envelopes "
            "for the calendar years the period touches, rounded to 1 decimal; none without an "
            "envelope."
        ),
        "percent",
    ),
    # -- Impact --
    _i(
        "influence_adopted",
        "impact",
        _("Residents' proposals adopted"),
        _(
            "Influence records (“you said, we did”) of the scope's QPV with outcome "
            "“adopted”, dated in the period, bounds included."
        ),
        "count",
    ),
    _i(
        "influence_partly",
        "impact",
        _("Residents' proposals partly adopted"),
        _(
            "Influence records of the scope's QPV with outcome “partly adopted”, dated in "
            "the period, bounds included."
        ),
        "count",
    ),
    _i(
        "influence_not_adopted",
        "impact",
        _("Residents' proposals not adopted"),
        _(
            "Influence records of the scope's QPV with outcome “not adopted”, dated in the "
            "period, bounds included."
        ),
        "count",
    ),
    _i(
        "projects_changed_course",
        "impact",
        _("Projects whose course changed after residents' input"),
        _(
            "Distinct projects linked to an influence record of the scope's QPV dated in the "
            "period with outcome “adopted” or “partly adopted”."
        ),
        "count",
    ),
    _i(
        "feedback_answers",
        "impact",
        _("Answers to the feedback survey"),
        _(
            "Answers to the post-meeting survey about meetings of the scope, answered in the period "
            "(answer date, bounds included)."
        ),
        "count",
    ),
    _i(
        "feedback_heard",
        "impact",
        _("“I felt heard” (average, 1 to 5)"),
        _(
            "Average of the “I felt heard” scores (1 to 5) of those answers, rounded to 2 "
            "decimals; none without answers."
        ),
        "score",
    ),
    _i(
        "feedback_legitimate",
        "impact",
        _("“I felt legitimate to speak” (average, 1 to 5)"),
        _(
            "Average of the “I felt legitimate to speak” scores (1 to 5) of those "
            "answers, rounded to 2 decimals; none without answers."
        ),
        "score",
    ),
    _i(
        "feedback_understood",
        "impact",
        _("“I understood what institutions can do” (average, 1 to 5)"),
        _(
            "Average of the “I understood what institutions can and cannot do” scores (1 "
            "to 5) of those answers, rounded to 2 decimals; none without answers."
        ),
        "score",
    ),
    _i(
        "questions_received",
        "impact",
        _("Questions received"),
        _(
            "Accepted questions (received, forwarded, answered or closed; never those awaiting "
            "moderation nor rejected ones) of the scope's QPV whose reception date lies in the "
            "period, bounds included. The other question figures count questions of this cohort."
        ),
        "count",
    ),
    _i(
        "questions_answered",
        "impact",
        _("Questions answered"),
        _(
            "Questions of the cohort answered, at any date up to the day of computation (an answer "
            "after the end of the period counts)."
        ),
        "count",
    ),
    _i(
        "questions_answered_on_time",
        "impact",
        _("Questions answered within the due date"),
        _(
            "Questions of the cohort answered on or before their due date in force (extensions "
            "granted with a reason included)."
        ),
        "count",
    ),
    _i(
        "questions_on_time_rate",
        "impact",
        _("Share of questions answered within the due date"),
        _(
            "Questions answered within the due date in percent of the questions received, rounded "
            "to 1 decimal; none without questions."
        ),
        "percent",
    ),
    _i(
        "questions_delay_median",
        "impact",
        _("Median answer delay"),
        _(
            "Median (continuous, linear interpolation) of the calendar days between reception and "
            "answer dates of the cohort's answered questions, rounded to 1 decimal; none without "
            "answers."
        ),
        "days",
    ),
    _i(
        "questions_overdue",
        "impact",
        _("Questions overdue"),
        _(
            "Questions of the cohort still open (received or forwarded) on the day of computation "
            "whose due date is before that day."
        ),
        "count",
    ),
    _i(
        "questions_logged_late",
        "impact",
        _("Questions logged more than 7 days after their meeting"),
        _(
            "Questions of the cohort heard at a meeting (channel “meeting”) that the staff logged "
            "more than 7 calendar days after the meeting's day: Paris date of the logging minus "
            "the reception date, which is the meeting's date. Their due date counts from the "
            "meeting, so late logging shortens the institution's delay."
        ),
        "count",
    ),
    # -- Parole --
    _i(
        "speaking_share_residents",
        "parole",
        _("Residents' share of speaking time"),
        _(
            "Speaking time of residents in percent of all timed speaking time (finished turns "
            "only), over the held meetings of the period, rounded to 1 decimal; none when no "
            "speaking time was recorded."
        ),
        "percent",
    ),
    _i(
        "residents_who_spoke",
        "parole",
        _("Residents who spoke"),
        _(
            "Sum over the held meetings of the period of the number of distinct residents who took "
            "the floor, as counted by the facilitator (meetings without a count add nothing)."
        ),
        "count",
    ),
)

INDICATORS: dict[str, Indicator] = {indicator.code: indicator for indicator in CATALOGUE}
CODES: tuple[str, ...] = tuple(INDICATORS)

Values = dict[str, float | int | None]


def codes_of_family(family: str) -> list[str]:
    return [indicator.code for indicator in CATALOGUE if indicator.family == family]


def report_scope(report: Report) -> Scope:
    """The territory a report covers."""
    if report.qpv is not None:
        return Scope.of_qpv(report.qpv)
    if report.commune is not None:
        return Scope.commune_of(report.commune)
    return Scope.metropole()


def report_period(report: Report, today: date | None = None) -> Period:
    """The period a report covers: the one asked for (kept on the record), cut to the day it was
    built (`generated_at` of a ready report; else `today`) when that day fell inside it."""
    if today is None:
        if report.status == "ready" and report.generated_at is not None:
            today = timezone.localdate(report.generated_at)
        else:
            today = timezone.localdate()
    return Period(report.period_start, report.period_end).cut_to(today)
