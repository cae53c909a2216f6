"""Fuzzing: every form and every query parameter of the portal gets random and hostile values.

For each entry of the inventory below (a view, the method, the role allowed to use it, and the
parameters it reads), hypothesis sends requests whose values are drawn by
tests/whole_site/fuzz_strategies.py: all fields valid but with hostile text (markup, SQL, right-to-left
marks...), one field hostile and the others valid, or anything anywhere (very long strings, NUL
bytes, invalid UTF-8, wrong types, impossible dates, several values for one key). Each answer must
be:

- below 500, and one of the statuses the entry expects (a 403 or 429 means the fuzzing did not
  reach the form: a wrong role in the inventory, or a rate limit not reset);
- free of the injected markup in raw form (`<script>`, `onerror=`...): shown escaped, or not at all;
- for a POST that is taken, the page it redirects to, and the pages that show what it saved to
  whoever reads them (`SHOWN_ON`), are checked the same way (stored XSS); a redirect never leaves
  the site;
- after any POST, no date or amount in the database is out of its bounds (`INSANE_ROWS`): within the
  Contrat de ville, not after today for what already happened, amounts above zero and below
  participation.contract.MAX_EUROS. The date and amount fields draw their hostile values among
  dates outside the contract and impossible amounts (fuzz_strategies.OUT_OF_CONTRACT_DATES...).

Every example runs in a savepoint rolled back at its end, with the cache (rate limits) cleared and a
fresh client on the role's session (one login per role and test), so examples do not depend on
each other. Inputs that once answered 500 are replayed as they were found (`KNOWN_HOSTILE`).

The inventory is checked against the code: `test_inventory_covers_every_route`,
`test_inventory_covers_every_parameter_read` (an AST reading of the view modules) and
`test_inventory_fuzzes_every_field_of_its_forms` fail when a view is added, or reads a parameter or
binds a form (or a form field) the inventory does not know.

With CI=true the examples are reproducible (a fixed seed per entry); elsewhere they are random.
FUZZ_SCALE=10 runs ten times as many; FUZZ_STATS=<file> writes each example's status there.
"""

from __future__ import annotations

import ast
import inspect
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.cache import cache
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from dialogue.forms.checkin import WalkInBulkForm, WalkInDetailsForm
from dialogue.forms.feedback import FeedbackForm
from dialogue.forms.meetings import MeetingCancelForm, MeetingForm, SpaceForm
from dialogue.forms.minutes import MinutesForm
from dialogue.forms.public import AgendaFilterForm
from dialogue.forms.registration import (
    GuestRegistrationForm,
    OneClickRegistrationForm,
    RegistrationCodeForm,
)
from dialogue.forms.tracker import SpeakersForm, TurnAddForm, TurnStartForm
from dialogue.forms.translations import MeetingTranslationForm
from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    ComeBack,
    FacilitatedBy,
    Food,
    Gender,
    MeetingMode,
    MeetingStatus,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
    SpeakerCategory,
    WalkIn,
)
from evaluation.forms import ScopePeriodForm, TargetForm, scope_options
from evaluation.indicators import CATALOGUE
from evaluation.models import (
    MAX_COMMENT_CHARS,
    MAX_SECTION_CHARS,
    IndicatorTarget,
    Report,
    ReportStatus,
    SectionKind,
    TextStatus,
)
from evaluation.text_forms import ReportCommentForm, ReportTextsForm, TextStatusForm
from notifications.forms import ContactPreferenceForm
from participation import audit
from participation.contract import MAX_EUROS, contract_end, contract_start, contract_years
from participation.forms import InvitationForm
from participation.roles import Role
from portal.forms import AccountDeleteForm, ChooseQPVForm, NameForm
from projects.forms.fund import (
    BUDGET_LINES,
    ApplicationForm,
    DecisionForm,
    EnvelopeAmountForm,
    EnvelopeForm,
    FileCheckForm,
    PaymentForm,
)
from projects.forms.influence import InfluenceFilterForm, InfluenceRecordForm
from projects.forms.projects import (
    STAFF_ORIGINS,
    AbandonForm,
    EvaluationForm,
    IdeaModerationForm,
    ProjectCreateForm,
    ProjectFilterForm,
    ProjectForm,
    ProposeIdeaForm,
    StepForm,
)
from projects.models import (
    CarriedBy,
    GrantStatus,
    InfluenceOutcome,
    ModerationStatus,
    ParticipationLevel,
    ProjectStage,
)
from projects.services.projects import CREATION_STAGES
from qpv.forms import NewsFilterForm, NewsForm
from qpv.models import QPV, Commune
from questions.forms.intake import AskQuestionForm, MeetingQuestionForm, ModerationForm
from questions.forms.public import QuestionFilterForm as PublicQuestionFilterForm
from questions.forms.staff import (
    AnswerForm,
    CloseForm,
    ExtendForm,
    RouteForm,
)
from questions.forms.staff import QuestionFilterForm as StaffQuestionFilterForm
from questions.models import Addressee, QuestionStatus, Theme
from questions.selectors import PublicStatus
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.helpers import OUR_APPS, PortalClient
from tests.participation.factories import PASSWORD, UserFactory, grant
from tests.projects.factories import (
    FundEnvelopeFactory,
    GrantApplicationFactory,
    InfluenceRecordFactory,
    ProjectFactory,
)
from tests.qpv.factories import NewsItemFactory, OrganisationFactory
from tests.questions.factories import QuestionFactory
from tests.whole_site.fuzz_strategies import (
    OMIT,
    XSS_PAYLOADS,
    Choice,
    Clock,
    Day,
    Drawn,
    Email,
    Euro,
    Flag,
    Int,
    Kind,
    Moment,
    Raw,
    Text,
    Upload,
    example_strategy,
    hostile_scalar,
    injected_markup,
)

pytestmark = pytest.mark.django_db

CI = os.environ.get("CI", "").lower() == "true"
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))

# Reproducible in CI (the seed is fixed per entry), random elsewhere. No example database: nothing
# is written in the working tree; a failure prints the seed or the blob that replays it.
hypothesis_settings.register_profile(
    "fuzz",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
FUZZ_PROFILE = hypothesis_settings.get_profile("fuzz")


# The world the requests act on ---------------------------------------------------------------------


class World:
    """The objects the inventory's URLs and choices refer to, created when first needed."""

    @cached_property
    def sanitas(self) -> QPV:
        return QPV.objects.select_related("commune").get(slug="sanitas")

    @cached_property
    def tours_qpv_slugs(self) -> list[str]:
        return list(QPV.objects.filter(commune__slug="tours").values_list("slug", flat=True))

    @cached_property
    def qpv_slugs(self) -> list[str]:
        return list(QPV.objects.values_list("slug", flat=True))

    @cached_property
    def commune_slugs(self) -> list[str]:
        return list(Commune.objects.values_list("slug", flat=True))

    # People

    @cached_property
    def resident(self):
        return UserFactory()

    @cached_property
    def sms_guest(self) -> None:
        """Not an account: a visitor whose session registered by mobile number (see `_login`)."""
        return None

    @cached_property
    def referent(self):
        """Referent of Tours (Sanitas is in Tours): most of the espace pro is theirs."""
        user = UserFactory()
        grant(user, Role.REFERENT, commune=self.sanitas.commune)
        return user

    @cached_property
    def coordinator(self):
        user = UserFactory()
        grant(user, Role.COORDINATOR)
        return user

    # Dialogue

    @cached_property
    def organisation(self):
        organisation = OrganisationFactory(name="Bailleur du Sanitas")
        organisation.qpvs.add(self.sanitas)
        return organisation

    @cached_property
    def space(self):
        return DialogueSpaceFactory(qpv=self.sanitas, host_organisation=self.organisation)

    @cached_property
    def future_meeting(self):
        return MeetingFactory(dialogue_space=self.space)

    @cached_property
    def current_meeting(self):
        """Started an hour ago, ends in an hour: check-in, tracker, minutes and feedback are open."""
        now = timezone.now().replace(microsecond=0)
        return MeetingFactory(
            dialogue_space=self.space,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1),
        )

    @cached_property
    def past_meeting(self):
        start = timezone.now().replace(microsecond=0) - timedelta(days=20)
        return MeetingFactory(
            dialogue_space=self.space,
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            status=MeetingStatus.HELD,
        )

    @cached_property
    def registration(self):
        """Confirmed on the current meeting (the check-in ticks it)."""
        return RegistrationFactory(meeting=self.current_meeting)

    @cached_property
    def resident_registration(self):
        return RegistrationFactory(
            meeting=self.future_meeting, user=self.resident, email=self.resident.email
        )

    @cached_property
    def attended_meeting(self):
        """The past meeting, which the resident came to: its survey is in "Mon espace"."""
        RegistrationFactory(
            meeting=self.past_meeting, user=self.resident, email=self.resident.email, attended=True
        )
        return self.past_meeting

    @cached_property
    def pending_registration(self):
        return RegistrationFactory(
            meeting=self.future_meeting, status=RegistrationStatus.PENDING, confirmed_at=None
        )

    @cached_property
    def walk_in(self):
        return WalkIn.objects.create(
            meeting=self.current_meeting, category=AttendeeCategory.RESIDENT
        )

    @cached_property
    def feedback_token(self) -> str:
        from dialogue.services.feedback import feedback_tokens_create

        (token,) = feedback_tokens_create(meeting=self.current_meeting, count=1)
        return token

    @cached_property
    def question(self):
        """Received, addressed to the organisation: routed, extended, closed, answered."""
        return QuestionFactory(qpv=self.sanitas, organisation=self.organisation)

    @cached_property
    def moderated_question(self):
        return QuestionFactory(qpv=self.sanitas, status=QuestionStatus.MODERATION)

    @cached_property
    def unconfirmed_question(self):
        return QuestionFactory(qpv=self.sanitas, status=QuestionStatus.UNCONFIRMED)

    @cached_property
    def follow_link(self) -> str:
        from qpv.models import Follow
        from qpv.services.follows import follow_unsubscribe_path

        follow = Follow.objects.create(user=self.resident, qpv=self.sanitas)
        return follow_unsubscribe_path([follow.pk]).rstrip("/").rsplit("/", 1)[1]

    @cached_property
    def email_unsubscribe_link(self) -> str:
        from notifications.services import email_unsubscribe_path

        path = email_unsubscribe_path(user_id=self.resident.pk, topic="updates")
        return path.rstrip("/").rsplit("/", 1)[1]

    @cached_property
    def comeback_link(self) -> str:
        from dialogue.tokens import comeback_unsubscribe_path

        registration = RegistrationFactory(comeback_opt_in=True)
        return comeback_unsubscribe_path(registration.pk).rstrip("/").rsplit("/", 1)[1]

    # Projects

    @cached_property
    def project(self):
        return ProjectFactory(qpv=self.sanitas, origin_space=self.space)

    @cached_property
    def completed_project(self):
        return ProjectFactory(
            qpv=self.sanitas, origin_space=self.space, stage=ProjectStage.COMPLETED
        )

    @cached_property
    def idea(self):
        return ProjectFactory(
            qpv=self.sanitas,
            origin="online",
            moderation=ModerationStatus.PENDING,
            proposed_by=self.resident,
        )

    @cached_property
    def envelope(self):
        return FundEnvelopeFactory(qpv=self.sanitas, year=timezone.localdate().year)

    @cached_property
    def application(self):
        return GrantApplicationFactory(envelope=self.envelope)

    @cached_property
    def granted_application(self):
        from decimal import Decimal

        return GrantApplicationFactory(
            envelope=self.envelope,
            status=GrantStatus.GRANTED,
            amount_granted=Decimal("1500.00"),
            # Decided before the payment dates the examples draw (Day(-30, 0)): a payment cannot
            # come before its decision.
            decided_at=timezone.now() - timedelta(days=60),
        )

    @cached_property
    def influence_record(self):
        return InfluenceRecordFactory(qpv=self.sanitas)

    @cached_property
    def news(self):
        return NewsItemFactory(qpv=self.sanitas)

    @cached_property
    def failed_report(self):
        return Report.objects.create(
            qpv=self.sanitas,
            period_start=timezone.localdate().replace(month=1, day=1),
            period_end=timezone.localdate(),
            status=ReportStatus.FAILED,
            requested_by=self.referent,
        )

    @cached_property
    def ready_report(self):
        """A ready report of Sanitas: its written parts are drafted, commented, published."""
        return Report.objects.create(
            qpv=self.sanitas,
            period_start=timezone.localdate().replace(month=1, day=1),
            period_end=timezone.localdate(),
            status=ReportStatus.READY,
            progress=100,
            generated_at=timezone.now(),
            requested_by=self.referent,
        )

    @cached_property
    def target(self):
        return IndicatorTarget.objects.create(code="meetings_held", value=10, year=2026)

    @cached_property
    def referent_scopes(self) -> list[str]:
        return list(scope_options(self.referent))


# The inventory -------------------------------------------------------------------------------------

PAGE = Raw(examples=("1", "2", "0", "-1", "last", "999999"))
QPV_SLUG = Choice(of=lambda w: w.qpv_slugs)
TOURS_QPV = Choice(of=lambda w: w.tours_qpv_slugs, required=True)
LEVELS = [str(level) for level in ParticipationLevel.values]
ORGANISATIONS = Choice(of=lambda w: [w.organisation.pk])
PRESETS = Choice(["contract", "year-2025", "year-2026", "quarter-2026-1", "custom"])
SCOPE = Choice(of=lambda w: w.referent_scopes)
TARGET_FIELDS = {
    "code": Choice([indicator.code for indicator in CATALOGUE]),
    "level": Choice(["qpv", "metropole"]),
    "year": Choice(["", *(str(year) for year in range(2024, 2031))]),
    "direction": Choice(["gte", "lte"]),
    "value": Euro(required=True),
}
# A filter page answers its page, or a 400 for invalid filters; a form also redirects once taken
# (or answers 200 to an empty POST, as `Form(request.POST or None)` does).
STATUS_GET = frozenset({200, 400})
STATUS_FORM = frozenset({200, 302, 400})
HONEYPOT = Choice([""])


@dataclass(frozen=True)
class Endpoint:
    """One row of the inventory: a view, how it is called, by whom, and what it reads."""

    url: str  # the URL name
    method: str  # GET: `fields` are query parameters; POST: form fields
    role: str | None  # None for a visitor; "sms_guest" (see _login); else an attribute of World
    fields: dict[str, Kind]
    forms: tuple[type, ...] = ()  # the forms it binds: their fields must all be in `fields`
    args: Callable[[World], dict] | None = None  # URL kwargs
    query: Callable[[World], dict] | None = None  # a fixed query string of a POST
    prefix: Callable[[World], str] | None = None  # the form's prefix
    path: dict[str, tuple[Callable[[World], str], ...]] = field(default_factory=dict)
    statuses: frozenset[int] = frozenset()  # the statuses expected: by default, by the method
    coherent: Callable[[dict, World], None] | None = None  # makes an "accepted" example valid
    # After a redirect (the form was taken), the pages that show what it saved: (role, URL).
    shown_on: tuple[tuple[str | None, Callable[[World], str]], ...] = ()
    examples: int = 0  # 0: by the number of fields (see `budget`)
    label: str = ""

    def __post_init__(self) -> None:
        if not self.statuses:
            default = STATUS_GET if self.method == "GET" else STATUS_FORM
            object.__setattr__(self, "statuses", default)

    @property
    def budget(self) -> int:
        """Examples per run: a few for a lone parameter, up to 10 for the largest forms."""
        return (self.examples or min(10, 3 + len(self.fields) // 2)) * SCALE

    @property
    def id(self) -> str:
        return f"{self.method} {self.url}{self.label}"


def _page(name: str, **kwargs: Callable[[World], object] | object) -> Callable[[World], str]:
    """The URL of a page, its kwargs given as values or as functions of the world."""

    def url(w: World) -> str:
        values = {key: value(w) if callable(value) else value for key, value in kwargs.items()}
        return reverse(name, kwargs=values or None)

    return url


def _meeting(w: World, which: str = "future_meeting") -> dict:
    return {"pk": getattr(w, which).pk}


def _current(w: World) -> dict:
    return _meeting(w, "current_meeting")


# -- coherence of "accepted" examples: all fields valid together, so the success path is reached.


def _coherent_meeting(data: dict, w: World) -> None:
    data["start_time"], data["end_time"] = "18:00", "20:00"
    if data["mode"] in (MeetingMode.ONLINE, MeetingMode.HYBRID):
        data["online_url"] = "https://visio.example.org/salle"
    if data["mode"] in (MeetingMode.IN_PERSON, MeetingMode.HYBRID) and data["address"] is OMIT:
        data["address"] = "1 place Neuve, 37000 Tours"
    if "repeat_every_weeks" in data:
        data["repeat_every_weeks"], data["repeat_until"] = OMIT, OMIT


def _coherent_walk_ins(data: dict, w: World) -> None:
    data["count"] = "50"


def _coherent_application(data: dict, w: World) -> None:
    total = 0
    for number in range(1, BUDGET_LINES + 1):
        label, amount = f"line_label_{number}", f"line_amount_{number}"
        if number == 1 or data.get(amount) not in (None, OMIT):
            data[amount] = str(10 * number)
            data[label] = data.get(label) if data.get(label) not in (None, OMIT) else "Matériel"
            total += 10 * number
        else:
            data[label] = OMIT
    data["amount_requested"] = str(total)


def _coherent_project(data: dict, w: World) -> None:
    data["origin"] = "space"
    data["origin_space"] = str(w.space.pk)


def _coherent_decision(data: dict, w: World) -> None:
    data["amount"] = "100"


def _coherent_payment(data: dict, w: World) -> None:
    data["amount"] = "100"


def _coherent_turn(data: dict, w: World) -> None:
    start = timezone.localtime(w.current_meeting.starts_at)
    data["date"] = start.date().isoformat()
    data["start_time"] = (start + timedelta(minutes=1)).strftime("%H:%M:%S")
    data["end_time"] = (start + timedelta(minutes=2)).strftime("%H:%M:%S")


def _coherent_influence(data: dict, w: World) -> None:
    data["reason"] = "Le budget ne le permet pas."


SPACE_FIELDS = {
    "name": Text(200, required=True),
    "format": Choice(SpaceFormat.values, required=True),
    "origin": Choice(SpaceOrigin.values, required=True),
    "host_organisation": ORGANISATIONS,
    "facilitated_by": Choice(FacilitatedBy.values, required=True),
    "charter": Text(5000),
    "is_active": Flag(),
}
MEETING_FIELDS = {
    "title": Text(200, required=True),
    "agenda": Text(5000),
    "easy_read": Text(600),
    "date": Day(1, 60, required=True),
    "start_time": Clock(required=True),
    "end_time": Clock(required=True),
    "mode": Choice(MeetingMode.values, required=True),
    "venue": Text(200),
    "address": Text(300),
    "access_notes": Text(2000),
    "accessibility_notes": Text(2000),
    "step_free": Flag(),
    "childcare": Flag(),
    "interpreting": Text(200),
    "food": Choice(Food.values),
    "online_url": Choice(["https://visio.example.org/salle", "visio.example.org/r"]),
    "registration_required": Flag(),
    "capacity": Int(1, 500),
    # Series: creation and duplication only (the edit form has no such fields: they are ignored).
    "repeat_every_weeks": Choice(["1", "2", "4"]),
    "repeat_until": Day(2, 400),
}
PROJECT_FIELDS = {
    "title": Text(200, required=True),
    "summary": Text(2000, required=True),
    "origin": Choice([value for value, _label in STAFF_ORIGINS], required=True),
    "origin_meeting": Choice(of=lambda w: [w.past_meeting.pk]),
    "origin_question": Choice(of=lambda w: [w.question.pk]),
    # The question search without JavaScript: its words, and its button (the form comes back).
    "origin_question_q": Text(100),
    "origin_question_search": Flag(),
    "origin_space": Choice(of=lambda w: [w.space.pk]),
    "carried_by": Choice(CarriedBy.values, required=True),
    "carrier_name": Text(200),
}
STEP_FIELDS = {
    "step_date": Day(-30, 0, required=True),
    "participation_level": Choice(LEVELS, required=True),
    "residents_involved": Int(0, 500, required=True),
    "note": Text(5000),
}
INFLUENCE_FIELDS = {
    "said": Text(3000, required=True),
    "meeting": Choice(of=lambda w: [w.past_meeting.pk]),
    "question": Choice(of=lambda w: [w.question.pk]),
    "question_q": Text(100),
    "question_search": Flag(),
    "outcome": Choice(InfluenceOutcome.values, required=True),
    "what_was_done": Text(3000, required=True),
    "reason": Text(3000),
    "project": Choice(of=lambda w: [w.project.pk]),
    "action": Text(200),
    "institution": ORGANISATIONS,
    "decided_on": Day(-30, 0, required=True),
}
NEWS_FIELDS = {
    "title": Text(200, required=True),
    "body_markdown": Text(20000, required=True),
    "easy_read": Text(600),
    "image": Upload("image"),
    "image_alt": Text(250),
    "publication": Choice(["draft", "now", "later"], required=True),
    "publish_at": Moment(1, 30),
    "remove_image": Flag(),
}
QUESTION_TEXT = Text(2000, required=True)
SCOPE_PERIOD = {
    "scope": SCOPE,
    "preset": PRESETS,
    "start": Day(-4000, 400),
    "end": Day(-4000, 400),
}
# A report's period lies within the contract: its valid days are the contract's, a year ahead at most.
_TODAY = timezone.localdate()
CONTRACT_DAY = Day((contract_start() - _TODAY).days, min(365, (contract_end() - _TODAY).days))
REPORT_PERIOD = {**SCOPE_PERIOD, "start": CONTRACT_DAY, "end": CONTRACT_DAY}
AGENDA_FILTERS = {
    "qpv": QPV_SLUG,
    "commune": Choice(of=lambda w: w.commune_slugs),
    "format": Choice(SpaceFormat.values),
    "date_from": Day(-400, 400),
    "date_to": Day(-400, 400),
    "step_free": Flag(),
    "page": PAGE,
}
PUBLIC_QUESTION_FILTERS = {
    "status": Choice(PublicStatus.values),
    "theme": Choice(Theme.values),
    "organisation": ORGANISATIONS,
    "qpv": QPV_SLUG,
    "page": PAGE,
}
PROJECT_FILTERS = {
    "qpv": QPV_SLUG,
    "stage": Choice(ProjectStage.values),
    "level": Choice(LEVELS),
    "carried_by": Choice(CarriedBy.values),
    "moderation": Choice(ModerationStatus.values),
    "page": PAGE,
}
INFLUENCE_FILTERS = {
    "qpv": QPV_SLUG,
    "outcome": Choice(InfluenceOutcome.values),
    "page": PAGE,
}
SANITAS = {"slug": "sanitas"}

INVENTORY: list[Endpoint] = [
    # notifications: contact preferences -------------------------------------------------------
    Endpoint(
        "notifications:preferences",
        "POST",
        "resident",
        {
            "email_updates": Flag(),
            "sms_updates": Flag(),
            "email_reminders": Flag(),
            "sms_reminders": Flag(),
            "phone": Text(30),
        },
        forms=(ContactPreferenceForm,),
    ),
    # participation: account, audit log, language ----------------------------------------------
    Endpoint(
        "account_delete",
        "POST",
        "resident",
        {"confirmation": Choice([PASSWORD, "SUPPRIMER"], required=True)},
        forms=(AccountDeleteForm,),
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "account_name",
        "POST",
        "resident",
        {
            "first_name": Text(70),
            "last_name": Text(70),
            "display_name": Text(150),
            "home_qpv": Choice(of=lambda w: [w.sanitas.pk]),
            "next": Raw(examples=("/compte/", "https://evil.example/")),
        },
        forms=(NameForm,),
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "audit_log",
        "GET",
        "coordinator",
        {
            "model": Choice([value for value, _label in audit.model_choices()]),
            "actor": Text(254),
            "page": PAGE,
        },
        statuses=frozenset({200}),
    ),
    # Invitations (issue 19): the coordinators' form; every role and scope, shapes valid or not.
    Endpoint(
        "invitations",
        "POST",
        "coordinator",
        {
            "email": Email(required=True),
            "role": Choice(Role.values, required=True),
            "qpv": Choice(of=lambda w: [w.sanitas.pk]),
            "commune": Choice(of=lambda w: [w.sanitas.commune_id]),
            "organisation": ORGANISATIONS,
            "dialogue_space": Choice(of=lambda w: [w.space.pk]),
        },
        forms=(InvitationForm,),
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "set_language",
        "POST",
        None,
        {
            "language": Choice(["fr", "en"], required=True),
            "next": Raw(examples=("/", "/rencontres/")),
        },
        statuses=frozenset({204, 302}),
    ),
    # portal: the neighbourhood chosen on the home page (a cookie, then the home page) ----------
    Endpoint(
        "choose_qpv",
        "POST",
        None,
        {"qpv": QPV_SLUG},
        forms=(ChooseQPVForm,),
        statuses=frozenset({302, 400}),
    ),
    # qpv: news, following ----------------------------------------------------------------------
    Endpoint("qpv:news", "GET", None, {"qpv": QPV_SLUG, "page": PAGE}, forms=(NewsFilterForm,)),
    Endpoint("qpv:qpv_news", "GET", None, {"page": PAGE}, args=lambda w: SANITAS),
    Endpoint("qpv:staff_news", "GET", "referent", {"page": PAGE}, statuses=frozenset({200})),
    Endpoint(
        "qpv:news_create",
        "GET",
        "coordinator",
        {"qpv": QPV_SLUG},
        statuses=frozenset({200, 404}),
        label=" ?qpv",
    ),
    Endpoint(
        "qpv:news_create",
        "POST",
        "referent",
        NEWS_FIELDS,
        forms=(NewsForm,),
        query=lambda w: {"qpv": "sanitas"},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "qpv:news_edit",
        "POST",
        "referent",
        NEWS_FIELDS,
        forms=(NewsForm,),
        args=lambda w: {"pk": w.news.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "qpv:follow",
        "POST",
        "resident",
        {"junk": Raw()},
        args=lambda w: SANITAS,
        statuses=frozenset({302}),
        examples=2,
    ),
    Endpoint(
        "qpv:unfollow",
        "POST",
        "resident",
        {"junk": Raw()},
        args=lambda w: SANITAS,
        statuses=frozenset({302}),
        examples=2,
    ),
    Endpoint(
        "qpv:unsubscribe",
        "GET",
        None,
        {},
        path={"signed": (lambda w: w.follow_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "qpv:unsubscribe",
        "POST",
        None,
        {"List-Unsubscribe": Choice(["One-Click"])},
        path={"signed": (lambda w: w.follow_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "notifications:email_unsubscribe",
        "GET",
        None,
        {},
        path={"signed": (lambda w: w.email_unsubscribe_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "notifications:email_unsubscribe",
        "POST",
        None,
        {"List-Unsubscribe": Choice(["One-Click"])},
        path={"signed": (lambda w: w.email_unsubscribe_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "dialogue:comeback_unsubscribe",
        "GET",
        None,
        {},
        path={"signed": (lambda w: w.comeback_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "dialogue:comeback_unsubscribe",
        "POST",
        None,
        {"List-Unsubscribe": Choice(["One-Click"])},
        path={"signed": (lambda w: w.comeback_link,)},
        statuses=frozenset({200, 400, 404}),
    ),
    # dialogue: public pages, registration ------------------------------------------------------
    Endpoint("dialogue:agenda", "GET", None, AGENDA_FILTERS, forms=(AgendaFilterForm,)),
    Endpoint("dialogue:past", "GET", None, AGENDA_FILTERS, forms=(AgendaFilterForm,)),
    Endpoint(
        "dialogue:qpv_agenda",
        "GET",
        None,
        AGENDA_FILTERS,
        forms=(AgendaFilterForm,),
        args=lambda w: SANITAS,
    ),
    Endpoint(
        "dialogue:register",
        "POST",
        None,
        {
            "name": Text(150, required=True),
            # An email, a mobile number (a code by SMS), or both.
            "email": Email(),
            "phone": Choice(["06 12 34 56 78", "+33 6 12 34 56 78", "07.12.34.56.78"]),
            "sms_reminders": Flag(),
            "comeback_opt_in": Flag(),
            "gender": Choice(Gender.values),
            "age_band": Choice(AgeBand.values),
            "website": HONEYPOT,
        },
        forms=(GuestRegistrationForm,),
        args=_meeting,
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "dialogue:register",
        "POST",
        "resident",
        {"comeback_opt_in": Flag()},
        forms=(OneClickRegistrationForm,),
        args=_meeting,
        statuses=STATUS_FORM,
        label=" (account)",
    ),
    # The code received by SMS, in the session of a guest who registered by mobile number.
    Endpoint(
        "dialogue:registration_code",
        "POST",
        "sms_guest",
        {"code": Text(12, required=True), "resend": Flag()},
        forms=(RegistrationCodeForm,),
        args=_meeting,
    ),
    Endpoint(
        "dialogue:registration_confirm",
        "POST",
        None,
        {},
        path={"signed": (lambda w: _signed("confirm_path", w.pending_registration),)},
        statuses=frozenset({200, 302, 400, 404}),
    ),
    Endpoint(
        "dialogue:registration_manage",
        "POST",
        None,
        {},
        path={"signed": (lambda w: _signed("manage_path", w.pending_registration),)},
        statuses=frozenset({200, 302, 400, 404}),
    ),
    Endpoint(
        "dialogue:my_registration_cancel",
        "POST",
        "resident",
        {"next": Raw(examples=("/compte/inscriptions/", "/rencontres/"))},
        args=lambda w: {"pk": w.resident_registration.pk},
        statuses=frozenset({302}),
    ),
    # dialogue: espace pro, spaces and meetings ------------------------------------------------
    Endpoint("dialogue:staff_home", "GET", "referent", {"page": PAGE}, statuses=frozenset({200})),
    Endpoint(
        "dialogue:space_create",
        "GET",
        "referent",
        {"qpv": TOURS_QPV},
        statuses=frozenset({200, 404}),
        label=" ?qpv",
    ),
    Endpoint(
        "dialogue:space_create",
        "POST",
        "referent",
        SPACE_FIELDS,
        forms=(SpaceForm,),
        query=lambda w: {"qpv": "sanitas"},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "dialogue:space_edit",
        "POST",
        "referent",
        SPACE_FIELDS,
        forms=(SpaceForm,),
        args=lambda w: {"pk": w.space.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "dialogue:meeting_create",
        "GET",
        "referent",
        {"espace": Choice(of=lambda w: [w.space.pk], required=True)},
        statuses=frozenset({200, 404}),
        label=" ?espace",
    ),
    Endpoint(
        "dialogue:meeting_create",
        "POST",
        "referent",
        MEETING_FIELDS,
        forms=(MeetingForm,),
        query=lambda w: {"espace": w.space.pk},
        statuses=STATUS_FORM,
        coherent=_coherent_meeting,
    ),
    Endpoint(
        "dialogue:meeting_edit",
        "POST",
        "referent",
        MEETING_FIELDS,
        forms=(MeetingForm,),
        args=_meeting,
        statuses=STATUS_FORM,
        coherent=_coherent_meeting,
    ),
    Endpoint(
        "dialogue:meeting_duplicate",
        "POST",
        "referent",
        MEETING_FIELDS,
        forms=(MeetingForm,),
        args=_meeting,
        statuses=STATUS_FORM,
        coherent=_coherent_meeting,
    ),
    Endpoint(
        "dialogue:meeting_cancel",
        "POST",
        "referent",
        {"reason": Text(2000, required=True)},
        forms=(MeetingCancelForm,),
        args=_meeting,
        statuses=STATUS_FORM,
    ),
    # Translations (issue 18): the language is in the path (hostile ones answer 404).
    Endpoint(
        "dialogue:meeting_translation_edit",
        "POST",
        "referent",
        {
            "title": Text(200, required=True),
            "summary": Text(1000),
            "practical_information": Text(1000),
        },
        forms=(MeetingTranslationForm,),
        args=_meeting,
        path={"language": (lambda w: "ar", lambda w: "tr")},
        statuses=frozenset({200, 302, 400, 404}),
    ),
    Endpoint(
        "dialogue:meeting_translation_delete",
        "POST",
        "referent",
        {"junk": Raw()},
        args=_meeting,
        path={"language": (lambda w: "ar",)},
        statuses=frozenset({302, 404}),
        examples=2,
    ),
    Endpoint(
        "dialogue:meeting_registrations",
        "GET",
        "referent",
        {"format": Choice(["csv", "html"])},
        args=_meeting,
        statuses=frozenset({200}),
    ),
    # dialogue: check-in, tracker, minutes, feedback --------------------------------------------
    Endpoint(
        "dialogue:checkin",
        "GET",
        "referent",
        {"q": Text(100)},
        args=_current,
        statuses=frozenset({200}),
    ),
    Endpoint(
        "dialogue:checkin_toggle",
        "POST",
        "referent",
        {"present": Choice(["0", "1"]), "q": Text(100)},
        args=lambda w: {"pk": w.current_meeting.pk, "registration_pk": w.registration.pk},
        statuses=frozenset({200, 302, 400}),
    ),
    Endpoint(
        "dialogue:walkin_add",
        "POST",
        "referent",
        {"category": Choice(AttendeeCategory.values, required=True)},
        args=_current,
        statuses=frozenset({200, 302, 400}),
    ),
    Endpoint(
        "dialogue:walkin_add",
        "POST",
        "referent",
        {
            "walkin": Choice(of=lambda w: [w.walk_in.pk], required=True),
            "gender": Choice(Gender.values),
            "age_band": Choice(AgeBand.values),
            "first_time": Choice(["yes", "no", ""]),
        },
        forms=(WalkInDetailsForm,),
        args=_current,
        statuses=frozenset({200, 302, 400, 404}),
        label=" (details)",
    ),
    Endpoint(
        "dialogue:walkin_bulk",
        "GET",
        "referent",
        {"categorie": Choice(AttendeeCategory.values)},
        args=_current,
        statuses=frozenset({200}),
        label=" ?categorie",
    ),
    Endpoint(
        "dialogue:walkin_bulk",
        "POST",
        "referent",
        {
            "category": Choice(AttendeeCategory.values, required=True),
            "count": Int(1, 500, required=True),
            **{
                name: Int(0, 5)
                for name in (
                    "women",
                    "men",
                    "other_gender",
                    "gender_not_said",
                    "first_time",
                    "returning",
                )
            },
            **{f"age_{band}": Int(0, 5) for band in AgeBand.values if band},
        },
        forms=(WalkInBulkForm,),
        args=_current,
        statuses=STATUS_FORM,
        coherent=_coherent_walk_ins,
    ),
    Endpoint(
        "dialogue:checkin_undo",
        "POST",
        "referent",
        {"junk": Raw()},
        args=_current,
        statuses=STATUS_FORM,
        examples=2,
    ),
    Endpoint(
        "dialogue:attendance_save",
        "POST",
        "referent",
        {"junk": Raw()},
        args=_current,
        statuses=STATUS_FORM,
        examples=2,
    ),
    Endpoint(
        "dialogue:tracker_state",
        "GET",
        "referent",
        {"format": Choice(["json", "html"])},
        args=_current,
        statuses=frozenset({200}),
    ),
    Endpoint(
        "dialogue:tracker_start",
        "POST",
        "referent",
        {"category": Choice(SpeakerCategory.values, required=True)},
        forms=(TurnStartForm,),
        args=_current,
        statuses=frozenset({200, 302, 400}),
    ),
    Endpoint(
        "dialogue:tracker_stop",
        "POST",
        "referent",
        {"junk": Raw()},
        args=_current,
        statuses=frozenset({200, 302, 400}),
        examples=2,
    ),
    Endpoint(
        "dialogue:tracker_pause",
        "POST",
        "referent",
        {"junk": Raw()},
        args=_current,
        statuses=frozenset({200, 302, 400}),
        examples=2,
    ),
    Endpoint(
        "dialogue:tracker_speakers",
        "POST",
        "referent",
        {"value": Int(0, 500), "delta": Choice(["-1", "1"])},
        forms=(SpeakersForm,),
        args=_current,
        statuses=frozenset({200, 302, 400}),
    ),
    Endpoint(
        "dialogue:turn_add",
        "POST",
        "referent",
        {
            "category": Choice(SpeakerCategory.values, required=True),
            "date": Day(-1, 0, required=True),
            "start_time": Clock(seconds=True, required=True),
            "end_time": Clock(seconds=True, required=True),
        },
        forms=(TurnAddForm,),
        prefix=lambda w: "turn",
        args=_current,
        statuses=STATUS_FORM,
        coherent=_coherent_turn,
    ),
    Endpoint(
        "dialogue:minutes_edit",
        "POST",
        "referent",
        {
            "summary": Text(20000, required=True),
            "decisions": Text(10000),
            "next_steps": Text(10000),
            "questions_raised": Text(10000),
            "attachment": Upload("pdf"),
            "remove_attachment": Flag(),
            "action": Choice(["publish", "save"]),
        },
        forms=(MinutesForm,),
        args=_current,
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "dialogue:feedback",
        "POST",
        None,
        {
            "felt_heard": Choice(["1", "2", "3", "4", "5"], required=True),
            "felt_legitimate": Choice(["1", "2", "3", "4", "5"], required=True),
            "understood_institutions": Choice(["1", "2", "3", "4", "5"], required=True),
            "will_come_back": Choice(ComeBack.values, required=True),
            "comment": Text(2000),
        },
        forms=(FeedbackForm,),
        path={"token": (lambda w: w.feedback_token,)},
        statuses=frozenset({200, 400, 404, 409, 410}),
    ),
    Endpoint(
        "dialogue:feedback_mine",
        "POST",
        "resident",
        {
            "felt_heard": Choice(["1", "2", "3", "4", "5"], required=True),
            "felt_legitimate": Choice(["1", "2", "3", "4", "5"], required=True),
            "understood_institutions": Choice(["1", "2", "3", "4", "5"], required=True),
            "will_come_back": Choice(ComeBack.values, required=True),
            "comment": Text(2000),
        },
        forms=(FeedbackForm,),
        args=lambda w: {"pk": w.attended_meeting.pk},
        statuses=frozenset({200, 400, 409}),
    ),
    # dialogue: questions ------------------------------------------------------------------------
    Endpoint(
        "questions:questions",
        "GET",
        None,
        PUBLIC_QUESTION_FILTERS,
        forms=(PublicQuestionFilterForm,),
    ),
    Endpoint(
        "questions:qpv_questions",
        "GET",
        None,
        PUBLIC_QUESTION_FILTERS,
        forms=(PublicQuestionFilterForm,),
        args=lambda w: SANITAS,
    ),
    Endpoint(
        "questions:question_ask",
        "GET",
        None,
        {"envoyee": Raw(examples=("",))},
        args=lambda w: SANITAS,
        statuses=frozenset({200}),
        label=" ?envoyee",
    ),
    Endpoint(
        "questions:question_ask",
        "POST",
        None,
        {
            "text": QUESTION_TEXT,
            "theme": Choice(Theme.values, required=True),
            "addressed_to": Choice(Addressee.values),
            "public_display": Flag(),
            "show_name": Flag(),
            "send_anyway": Flag(),
            "name": Text(150, required=True),
            "email": Email(required=True),
            "website": HONEYPOT,
        },
        forms=(AskQuestionForm,),
        args=lambda w: SANITAS,
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "questions:question_ask",
        "POST",
        "resident",
        {
            "text": QUESTION_TEXT,
            "theme": Choice(Theme.values, required=True),
            "addressed_to": Choice(Addressee.values),
            "public_display": Flag(),
            "show_name": Flag(),
            "send_anyway": Flag(),
            "website": HONEYPOT,
        },
        args=lambda w: SANITAS,
        statuses=STATUS_FORM,
        label=" (account)",
    ),
    Endpoint(
        "questions:similar_questions",
        "GET",
        None,
        {"text": Text(2000)},
        args=lambda w: SANITAS,
        statuses=frozenset({200}),
    ),
    Endpoint(
        "questions:follow",
        "POST",
        "resident",
        {"junk": Raw()},
        args=lambda w: {"pk": w.question.pk},
        statuses=frozenset({302}),
        examples=2,
    ),
    Endpoint(
        "questions:unfollow",
        "POST",
        "resident",
        {"junk": Raw()},
        args=lambda w: {"pk": w.question.pk},
        statuses=frozenset({302}),
        examples=2,
    ),
    Endpoint(
        "questions:question_confirm",
        "POST",
        None,
        {},
        path={"signed": (lambda w: _signed("question_confirm_path", w.unconfirmed_question),)},
        statuses=frozenset({200, 302, 400, 404}),
    ),
    Endpoint(
        "questions:my_questions", "GET", "resident", {"page": PAGE}, statuses=frozenset({200})
    ),
    Endpoint(
        "questions:meeting_questions",
        "POST",
        "referent",
        {
            "text": QUESTION_TEXT,
            "theme": Choice(Theme.values, required=True),
            "addressed_to": Choice(Addressee.values),
            "asker_name": Text(150),
            "show_name": Flag(),
            "public_display": Flag(),
        },
        forms=(MeetingQuestionForm,),
        args=_current,
        statuses=frozenset({200, 302, 400}),
    ),
    Endpoint(
        "questions:moderation_queue", "GET", "referent", {"page": PAGE}, statuses=frozenset({200})
    ),
    Endpoint(
        "questions:question_moderate",
        "POST",
        "referent",
        {
            "decision": Choice(["publish", "reject"], required=True),
            "theme": Choice(Theme.values),
            "addressed_to": Choice(Addressee.values),
            "reason": Text(2000),
        },
        forms=(ModerationForm,),
        args=lambda w: {"pk": w.moderated_question.pk},
        prefix=lambda w: f"q{w.moderated_question.pk}",
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "questions:questions_dashboard",
        "GET",
        "referent",
        {
            "status": Choice(["open", *QuestionStatus.values]),
            "theme": Choice(Theme.values),
            "organisation": ORGANISATIONS,
            "qpv": QPV_SLUG,
            "overdue": Flag(),
            "page": PAGE,
        },
        forms=(StaffQuestionFilterForm,),
    ),
    Endpoint(
        "questions:question_route",
        "POST",
        "referent",
        {
            "organisation": Choice(of=lambda w: [w.organisation.pk], required=True),
            "addressed_to": Choice(Addressee.values),
        },
        forms=(RouteForm,),
        args=lambda w: {"pk": w.question.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "questions:question_extend",
        "POST",
        "referent",
        {"new_due_on": Day(31, 400, required=True), "reason": Text(2000, required=True)},
        forms=(ExtendForm,),
        args=lambda w: {"pk": w.question.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "questions:question_close",
        "POST",
        "referent",
        {"reason": Text(2000, required=True)},
        forms=(CloseForm,),
        args=lambda w: {"pk": w.question.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "questions:question_answer",
        "POST",
        "referent",
        {
            "text": Text(10000, required=True),
            "easy_read": Text(600),
            "received_by_other_channel": Flag(),
            "action": Choice(["draft", "publish"]),
        },
        forms=(AnswerForm,),
        args=lambda w: {"pk": w.question.pk},
        statuses=STATUS_FORM,
    ),
    # projects -----------------------------------------------------------------------------------
    Endpoint("projects:projects", "GET", None, PROJECT_FILTERS, forms=(ProjectFilterForm,)),
    Endpoint(
        "projects:qpv_projects",
        "GET",
        None,
        PROJECT_FILTERS,
        forms=(ProjectFilterForm,),
        args=lambda w: SANITAS,
    ),
    Endpoint(
        "projects:project_propose",
        "POST",
        "resident",
        {
            "title": Text(200, required=True),
            "summary": Text(2000, required=True),
            "carried_by": Choice(CarriedBy.values, required=True),
            "carrier_name": Text(200),
            "website": HONEYPOT,
        },
        forms=(ProposeIdeaForm,),
        args=lambda w: SANITAS,
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:staff_projects",
        "GET",
        "referent",
        PROJECT_FILTERS,
        forms=(ProjectFilterForm,),
    ),
    Endpoint(
        "projects:project_create",
        "GET",
        "referent",
        {"qpv": TOURS_QPV},
        statuses=frozenset({200, 404}),
        label=" ?qpv",
    ),
    Endpoint(
        "projects:project_create",
        "POST",
        "referent",
        {
            **PROJECT_FIELDS,
            **STEP_FIELDS,
            "stage": Choice([stage.value for stage in CREATION_STAGES], required=True),
        },
        forms=(ProjectCreateForm,),
        query=lambda w: {"qpv": "sanitas"},
        statuses=STATUS_FORM,
        coherent=_coherent_project,
    ),
    Endpoint(
        "projects:project_edit",
        "POST",
        "referent",
        PROJECT_FIELDS,
        forms=(ProjectForm,),
        args=lambda w: {"pk": w.project.pk},
        statuses=STATUS_FORM,
        coherent=_coherent_project,
    ),
    Endpoint(
        "projects:project_step",
        "POST",
        "referent",
        {
            **STEP_FIELDS,
            "stage": Choice(
                [s for s in ProjectStage.values if s not in ("idea", "evaluated")], required=True
            ),
            "reason": Text(2000),
        },
        forms=(StepForm,),
        args=lambda w: {"pk": w.project.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:project_abandon",
        "POST",
        "referent",
        {"reason": Text(2000, required=True), "step_date": Day(-30, 0, required=True)},
        forms=(AbandonForm,),
        args=lambda w: {"pk": w.project.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:project_evaluation",
        "POST",
        "referent",
        {
            "voice_changed": Text(5000, required=True),
            "to_keep": Text(5000),
            "to_change": Text(5000),
            "highest_level": Choice(LEVELS, required=True),
            "evaluated_on": Day(-10, 0, required=True),
            "participation_level": Choice(LEVELS, required=True),
            "residents_involved": Int(0, 500, required=True),
        },
        forms=(EvaluationForm,),
        args=lambda w: {"pk": w.completed_project.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:question_choices",
        "GET",
        "referent",
        {
            "qpv": TOURS_QPV,
            "field": Choice(["origin_question", "question"], required=True),
            "chosen": Choice(of=lambda w: [w.question.pk]),
            "origin_question_q": Text(100),
            "question_q": Text(100),
        },
        statuses=frozenset({200, 400, 404}),
    ),
    Endpoint(
        "projects:idea_moderation", "GET", "referent", {"page": PAGE}, statuses=frozenset({200})
    ),
    Endpoint(
        "projects:idea_moderate",
        "POST",
        "referent",
        {"decision": Choice(["publish", "reject"], required=True), "reason": Text(2000)},
        forms=(IdeaModerationForm,),
        args=lambda w: {"pk": w.idea.pk},
        prefix=lambda w: f"p{w.idea.pk}",
        statuses=STATUS_FORM,
    ),
    # projects: the participation fund -----------------------------------------------------------
    Endpoint(
        "projects:grant_apply",
        "POST",
        "resident",
        {
            "title": Text(200, required=True),
            "description": Text(5000, required=True),
            "collective_name": Text(200, required=True),
            "contact_name": Text(150, required=True),
            "contact_email": Email(required=True),
            "contact_phone": Text(30),
            "project": Choice(of=lambda w: [w.project.pk]),
            "amount_requested": Euro(required=True),
            **{f"line_label_{n}": Text(200) for n in range(1, BUDGET_LINES + 1)},
            **{f"line_amount_{n}": Euro() for n in range(1, BUDGET_LINES + 1)},
        },
        forms=(ApplicationForm,),
        args=lambda w: {"pk": w.envelope.pk},
        statuses=STATUS_FORM,
        coherent=_coherent_application,
    ),
    Endpoint(
        "projects:envelope_create",
        "GET",
        "referent",
        {"place": Raw(examples=("qpv-1", "commune-1"))},
        statuses=frozenset({200}),
        label=" ?place",
    ),
    Endpoint(
        "projects:envelope_create",
        "POST",
        "referent",
        {
            "place": Choice(
                of=lambda w: (
                    [f"commune-{w.sanitas.commune_id}"]
                    + [
                        f"qpv-{pk}"
                        for pk in QPV.objects.filter(commune__slug="tours").values_list(
                            "pk", flat=True
                        )
                    ]
                ),
                required=True,
            ),
            "year": Choice([str(year) for year in contract_years()], required=True),
            "amount": Euro(required=True),
        },
        forms=(EnvelopeForm,),
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:envelope_edit",
        "POST",
        "referent",
        {"amount": Euro(required=True)},
        forms=(EnvelopeAmountForm,),
        args=lambda w: {"pk": w.envelope.pk},
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:grant_decide",
        "POST",
        "referent",
        {
            "decision": Choice(["granted", "refused"], required=True),
            "amount": Euro(),
            "meeting": Choice(of=lambda w: [w.past_meeting.pk]),
            "reason": Text(3000),
        },
        forms=(DecisionForm,),
        args=lambda w: {"pk": w.application.pk},
        prefix=lambda w: f"decide-{w.application.pk}",
        statuses=STATUS_FORM,
        coherent=_coherent_decision,
    ),
    Endpoint(
        "projects:grant_check_file",
        "POST",
        "referent",
        {"complete": Choice(["yes", "no"], required=True), "missing": Text(1000)},
        forms=(FileCheckForm,),
        args=lambda w: {"pk": w.application.pk},
        prefix=lambda w: f"file-{w.application.pk}",
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "projects:grant_pay",
        "POST",
        "referent",
        {"amount": Euro(required=True), "paid_on": Day(-30, 0, required=True), "note": Text(200)},
        forms=(PaymentForm,),
        args=lambda w: {"pk": w.granted_application.pk},
        prefix=lambda w: f"pay-{w.granted_application.pk}",
        statuses=STATUS_FORM,
        coherent=_coherent_payment,
    ),
    # projects: "vous avez dit, nous avons fait" ----------------------------------------------------
    Endpoint("projects:influence", "GET", None, INFLUENCE_FILTERS, forms=(InfluenceFilterForm,)),
    Endpoint(
        "projects:qpv_influence",
        "GET",
        None,
        INFLUENCE_FILTERS,
        forms=(InfluenceFilterForm,),
        args=lambda w: SANITAS,
    ),
    Endpoint(
        "projects:staff_influence",
        "GET",
        "referent",
        INFLUENCE_FILTERS,
        forms=(InfluenceFilterForm,),
    ),
    Endpoint(
        "projects:influence_create",
        "GET",
        "referent",
        {"qpv": TOURS_QPV},
        statuses=frozenset({200, 404}),
        label=" ?qpv",
    ),
    Endpoint(
        "projects:influence_create",
        "POST",
        "referent",
        INFLUENCE_FIELDS,
        forms=(InfluenceRecordForm,),
        query=lambda w: {"qpv": "sanitas"},
        statuses=STATUS_FORM,
        coherent=_coherent_influence,
    ),
    Endpoint(
        "projects:influence_edit",
        "POST",
        "referent",
        INFLUENCE_FIELDS,
        forms=(InfluenceRecordForm,),
        args=lambda w: {"pk": w.influence_record.pk},
        statuses=STATUS_FORM,
        coherent=_coherent_influence,
    ),
    # evaluation ---------------------------------------------------------------------------------
    Endpoint(
        "evaluation:dashboard",
        "GET",
        "referent",
        SCOPE_PERIOD,
        forms=(ScopePeriodForm,),
        examples=4,
    ),
    Endpoint(
        "evaluation:export_csv",
        "GET",
        "referent",
        {**SCOPE_PERIOD, "sep": Choice([";", ","])},
        forms=(ScopePeriodForm,),
        examples=4,
    ),
    Endpoint(
        "evaluation:export_xlsx",
        "GET",
        "referent",
        SCOPE_PERIOD,
        forms=(ScopePeriodForm,),
        examples=4,
    ),
    Endpoint(
        "evaluation:reports",
        "GET",
        "referent",
        {**SCOPE_PERIOD, "page": PAGE},
        statuses=frozenset({200}),
    ),
    Endpoint(
        "evaluation:reports",
        "POST",
        "referent",
        REPORT_PERIOD,
        forms=(ScopePeriodForm,),
        statuses=STATUS_FORM,
    ),
    Endpoint(
        "evaluation:report_status",
        "GET",
        "referent",
        {"shown": Choice(ReportStatus.values)},
        args=lambda w: {"pk": w.failed_report.pk},
        statuses=frozenset({200}),
        examples=3,
    ),
    Endpoint(
        "evaluation:report_retry",
        "POST",
        "referent",
        {"junk": Raw()},
        args=lambda w: {"pk": w.failed_report.pk},
        statuses=frozenset({302, 409}),
        examples=2,
    ),
    Endpoint(
        "evaluation:targets",
        "POST",
        "coordinator",
        TARGET_FIELDS,
        forms=(TargetForm,),
    ),
    Endpoint(
        "evaluation:target_edit",
        "POST",
        "coordinator",
        TARGET_FIELDS,
        forms=(TargetForm,),
        args=lambda w: {"pk": w.target.pk},
    ),
    Endpoint(
        "evaluation:report_texts",
        "POST",
        "referent",
        {
            **{kind: Text(MAX_SECTION_CHARS) for kind in SectionKind.values},
            "preview": Choice(["1"]),
        },
        forms=(ReportTextsForm,),
        args=lambda w: {"pk": w.ready_report.pk},
    ),
    Endpoint(
        "evaluation:report_text_status",
        "POST",
        "referent",
        {"to": Choice(TextStatus.values, required=True)},
        forms=(TextStatusForm,),
        args=lambda w: {"pk": w.ready_report.pk},
        statuses=frozenset({302, 400, 409}),
        examples=4,
    ),
    Endpoint(
        "evaluation:report_comment",
        "POST",
        "referent",
        {"kind": Choice(SectionKind.values), "body": Text(MAX_COMMENT_CHARS, required=True)},
        forms=(ReportCommentForm,),
        args=lambda w: {"pk": w.ready_report.pk},
    ),
    Endpoint(
        "evaluation:report_rebuild",
        "POST",
        "referent",
        {"junk": Raw()},
        args=lambda w: {"pk": w.ready_report.pk},
        statuses=frozenset({302, 409}),
        examples=2,
    ),
    # allauth: the account forms -----------------------------------------------------------------
    Endpoint(
        "account_login",
        "GET",
        None,
        {"next": Raw(examples=("/compte/", "/espace-pro/"))},
        statuses=frozenset({200}),
        label=" ?next",
    ),
    Endpoint(
        "account_login",
        "POST",
        None,
        {
            "login": Choice(of=lambda w: [w.resident.email], required=True),
            "password": Choice([PASSWORD, "mauvais"], required=True),
            "remember": Flag(),
            "next": Raw(examples=("/compte/",)),
        },
    ),
    Endpoint(
        "account_signup",
        "POST",
        None,
        {
            "email": Email(required=True),
            "password1": Choice([PASSWORD], required=True),
            "password2": Choice([PASSWORD], required=True),
            "first_name": Text(70),
            "last_name": Text(70),
            "display_name": Text(150),
            "home_qpv": Choice(of=lambda w: [w.sanitas.pk]),
        },
    ),
    Endpoint("account_reset_password", "POST", None, {"email": Email(required=True)}),
    Endpoint("account_request_login_code", "POST", None, {"email": Email(required=True)}),
    Endpoint(
        "account_email",
        "POST",
        "resident",
        {
            "email": Email(required=True),
            "action_add": Flag(),
            "action_send": Flag(),
            "action_remove": Flag(),
            "action_primary": Flag(),
        },
    ),
    Endpoint(
        "account_change_password",
        "POST",
        "resident",
        {
            "oldpassword": Choice([PASSWORD], required=True),
            "password1": Choice(["Un-autre-mot-de-passe-77"], required=True),
            "password2": Choice(["Un-autre-mot-de-passe-77"], required=True),
        },
    ),
    Endpoint(
        "account_reauthenticate",
        "POST",
        "resident",
        {"password": Choice([PASSWORD], required=True)},
    ),
    Endpoint(
        "mfa_activate_totp",
        "POST",
        "password:referent",
        {"code": Raw(examples=("123456",))},
    ),
    Endpoint(
        "account_reset_password_from_key",
        "GET",
        None,
        {},
        path={"uidb36": (lambda w: "1",), "key": (lambda w: "set-password",)},
        statuses=frozenset({200, 302, 400, 404}),
    ),
]


# Where what a taken form saved is shown, to whom: each page is checked after the redirect.
_SANITAS_PAGE = (None, _page("qpv_page", slug="sanitas"))
_MEETING_PAGE = (None, _page("dialogue:meeting", pk=lambda w: w.future_meeting.pk))
_CURRENT_LOG = ("referent", _page("dialogue:meeting_log", pk=lambda w: w.current_meeting.pk))
_QUESTION_STAFF = ("referent", _page("questions:question_manage", pk=lambda w: w.question.pk))
_QUESTION_PAGE = (None, _page("questions:question", pk=lambda w: w.question.pk))
_PROJECTS = ((None, _page("projects:projects")), ("referent", _page("projects:staff_projects")))
_ENVELOPE = (("referent", _page("projects:envelope_detail", pk=lambda w: w.envelope.pk)),)
_REPORT_PAGE = (("referent", _page("evaluation:report", pk=lambda w: w.ready_report.pk)),)
SHOWN_ON = {
    "POST evaluation:targets": (
        ("coordinator", _page("evaluation:targets")),
        ("referent", _page("evaluation:targets")),
    ),
    "POST notifications:preferences": (("resident", _page("notifications:preferences")),),
    "POST qpv:news_create": (
        _SANITAS_PAGE,
        (None, _page("qpv:news")),
        ("referent", _page("qpv:staff_news")),
    ),
    "POST qpv:news_edit": (
        _SANITAS_PAGE,
        (None, _page("qpv:news")),
        ("referent", _page("qpv:staff_news")),
    ),
    "POST dialogue:register": (
        ("referent", _page("dialogue:meeting_registrations", pk=lambda w: w.future_meeting.pk)),
    ),
    "POST dialogue:space_create": (_SANITAS_PAGE, ("referent", _page("dialogue:staff_home"))),
    "POST dialogue:space_edit": (
        _SANITAS_PAGE,
        ("referent", _page("dialogue:staff_home")),
        (None, _page("dialogue:space", pk=lambda w: w.space.pk)),
    ),
    "POST dialogue:meeting_create": ((None, _page("dialogue:agenda")), _SANITAS_PAGE),
    "POST dialogue:meeting_edit": (_MEETING_PAGE, (None, _page("dialogue:agenda"))),
    "POST dialogue:meeting_duplicate": ((None, _page("dialogue:agenda")),),
    "POST dialogue:meeting_cancel": (_MEETING_PAGE,),
    "POST dialogue:meeting_translation_edit": (
        _MEETING_PAGE,
        ("referent", _page("dialogue:meeting_translations", pk=lambda w: w.future_meeting.pk)),
    ),
    "POST dialogue:walkin_bulk": (_CURRENT_LOG,),
    "POST dialogue:turn_add": (_CURRENT_LOG,),
    "POST dialogue:minutes_edit": (
        _CURRENT_LOG,
        (None, _page("dialogue:meeting", pk=lambda w: w.current_meeting.pk)),
    ),
    "POST questions:question_ask": (("referent", _page("questions:moderation_queue")),),
    "POST questions:question_ask (account)": (
        ("referent", _page("questions:moderation_queue")),
        ("resident", _page("questions:my_questions")),
    ),
    "POST questions:meeting_questions": (
        (None, _page("questions:questions")),
        (None, _page("dialogue:meeting", pk=lambda w: w.current_meeting.pk)),
    ),
    "POST questions:question_moderate": (
        (None, _page("questions:questions")),
        ("referent", _page("questions:questions_dashboard")),
    ),
    "POST questions:question_extend": (_QUESTION_STAFF,),
    "POST questions:question_close": (_QUESTION_PAGE, _QUESTION_STAFF),
    "POST questions:question_answer": (_QUESTION_PAGE, (None, _page("questions:questions"))),
    "POST projects:project_propose": (("referent", _page("projects:idea_moderation")),),
    "POST projects:project_create": _PROJECTS,
    "POST projects:project_edit": _PROJECTS,
    "POST projects:project_step": _PROJECTS,
    "POST projects:project_abandon": _PROJECTS,
    "POST projects:project_evaluation": _PROJECTS,
    "POST projects:idea_moderate": _PROJECTS,
    "POST projects:grant_apply": _ENVELOPE,
    "POST projects:grant_decide": (*_ENVELOPE, (None, _page("projects:envelopes"))),
    "POST projects:grant_pay": _ENVELOPE,
    "POST projects:grant_check_file": _ENVELOPE,
    "POST projects:influence_create": (
        (None, _page("projects:influence")),
        (None, _page("projects:qpv_influence", slug="sanitas")),
    ),
    "POST projects:influence_edit": ((None, _page("projects:influence")),),
    "POST dialogue:feedback": (_CURRENT_LOG,),
    "POST evaluation:report_texts": _REPORT_PAGE,
    "POST evaluation:report_comment": _REPORT_PAGE,
}


def _signed(function: str, obj) -> str:
    from dialogue import tokens as registration_tokens
    from questions import tokens as question_tokens

    tokens = question_tokens if function.startswith("question_") else registration_tokens
    return getattr(tokens, function)(obj).rstrip("/").rsplit("/", 1)[1]


def _admin_changelists() -> list[Endpoint]:
    """The admin's lists (coordinators), third-party models' included: the search box, the
    filters, and lookups on the model's own text fields, which the admin accepts from any URL."""
    endpoints = []
    for model in sorted(admin.site._registry, key=lambda m: m._meta.label):
        model_admin = admin.site._registry[model]
        fields: dict[str, Kind] = {"q": Text(200), "o": Raw(examples=("1", "-1", "1.2")), "p": PAGE}
        for spec in model_admin.list_filter:
            if isinstance(spec, str | tuple):
                name = spec if isinstance(spec, str) else spec[0]
                fields[f"{name}__exact"] = Raw(examples=("1", "0"))
            else:  # a SimpleListFilter
                fields[spec.parameter_name] = Raw(examples=("1",))
        texts = [
            f.name for f in model._meta.concrete_fields if f.get_internal_type() == "CharField"
        ]
        for name in texts[:2]:
            fields[name] = Raw(examples=("a",))
        endpoints.append(
            Endpoint(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist",
                "GET",
                "coordinator",
                fields,
                # 302: the admin sends invalid filters back to the list (?e=1); 400: NUL bytes.
                statuses=frozenset({200, 302, 400}),
                examples=3,
            )
        )
    return endpoints


INVENTORY += _admin_changelists()
INVENTORY = [replace(endpoint, shown_on=SHOWN_ON.get(endpoint.id, ())) for endpoint in INVENTORY]

# Routes of our apps that read no query parameter and take no form: only their path parameters
# (integers: see test_out_of_range_ids_are_not_found). A new route must join one list or the other.
NO_INPUT = {
    "home",
    # Invitations: the link's page and the resend and revoke buttons read only their path.
    "invitation_accept",
    "invitation_resend",
    "invitation_revoke",
    "notifications:stop_sms",
    "notifications:sms_usage",
    # The provider's webhook reads a JSON body, not a form: tests/notifications/test_inbound.py
    # sends it malformed and odd events; here, without the secret, it is a 404.
    "notifications:inbound_sms",
    "qpv:news_image",
    "qpv_page",
    "qpv:news_item",
    "dialogue:agenda_ics",
    "dialogue:meeting",
    "dialogue:meeting_print",
    "dialogue:meeting_ics",
    "dialogue:qpv_agenda_ics",
    "dialogue:space",
    "dialogue:my_registrations",
    "dialogue:meeting_poster",
    "dialogue:meeting_signin_sheet",
    "dialogue:meeting_translations",
    "dialogue:meeting_log",
    "dialogue:tracker",
    "dialogue:minutes",
    "dialogue:minutes_attachment",
    "dialogue:feedback_on_the_spot",
    "dialogue:feedback_qr",
    "questions:question",
    "questions:question_manage",
    "projects:project",
    "projects:envelopes",
    "projects:staff_envelopes",
    "projects:envelope_detail",
    "evaluation:report",
    "evaluation:report_download",
    "evaluation:target_delete",
    "evaluation:report_download_odt",
    "account_home",
    "my_data",
    "my_data_json",
    "legal_notice",
    "privacy",
    "accessibility",
    "glossary",
    "sitemap",
    "healthz",
}


# Running one example -------------------------------------------------------------------------------


def _login(client: PortalClient, world: World, role: str | None) -> None:
    """`role` is an attribute of World; "password:<role>" signs in through the login form, for the
    pages that want a recent authentication (allauth's 2FA setup)."""
    if role is None:
        return
    if role == "sms_guest":
        # A visitor who registered by mobile number: the code page answers in their session.
        response = client.post(
            reverse("dialogue:register", kwargs=_meeting(world)),
            {"name": "Invitée", "phone": "06 98 76 54 32"},
        )
        assert response.status_code == 302, "the registration by mobile number was refused"
        return
    if role.startswith("password:"):
        user = getattr(world, role.removeprefix("password:"))
        for url, data in (
            (reverse("account_login"), {"login": user.email, "password": PASSWORD}),
            # allauth asks for the password again before an authenticator is added.
            (reverse("account_reauthenticate"), {"password": PASSWORD}),
        ):
            response = client.post(url, data)
            assert response.status_code == 302, f"{user.email}: {url} refused"
    else:
        client.force_login(getattr(world, role))


class Sessions:
    """One login per role and test, outside the examples' savepoints: each example gets a fresh
    client on that session (what an example changes in it is rolled back with the rest)."""

    def __init__(self, world: World):
        self.world = world
        self.cookies: dict[str | None, str | None] = {None: None}

    def client(self, role: str | None) -> PortalClient:
        if role not in self.cookies:
            login = PortalClient()
            _login(login, self.world, role)
            self.cookies[role] = login.cookies[django_settings.SESSION_COOKIE_NAME].value
        client = PortalClient()
        if self.cookies[role] is not None:
            client.cookies[django_settings.SESSION_COOKIE_NAME] = self.cookies[role]
        return client


def _url(endpoint: Endpoint, world: World, path_values: dict[str, str]) -> str:
    kwargs = endpoint.args(world) if endpoint.args else {}
    if not path_values:
        return reverse(endpoint.url, kwargs=kwargs or None)
    # Hostile path values: reverse() refuses what its converter would not match, so the path is
    # built from a placeholder, then the value is percent-encoded in its place.
    placeholders = {name: f"QDFUZZ{index}" for index, name in enumerate(path_values)}
    url = reverse(endpoint.url, kwargs={**kwargs, **placeholders})
    for name, value in path_values.items():
        raw = value if isinstance(value, bytes) else value.encode()
        url = url.replace(placeholders[name], quote(raw, safe=""))
    return url


def _prefixed(endpoint: Endpoint, world: World, data: dict) -> dict:
    if endpoint.prefix is None:
        return data
    prefix = endpoint.prefix(world)
    return {f"{prefix}-{key}": value for key, value in data.items()}


def _has_file(data: dict) -> bool:
    return any(hasattr(value, "read") for value in data.values())


def _as_text(value):
    """Multipart bodies take strings: bytes that are not UTF-8 become their Latin-1 reading."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return value


def _send(client, world: World, endpoint: Endpoint, url: str, data: dict, **how):
    headers = {"HX-Request": "true"} if how["htmx"] else {}
    if endpoint.method == "GET":
        return client.get(url, data, headers=headers)
    if endpoint.query:
        url += "?" + urlencode(endpoint.query(world))
    multipart = how["multipart"]
    if multipart or _has_file(data):
        return client.post(
            url, {key: _as_text(value) for key, value in data.items()}, headers=headers
        )
    body = urlencode(data, doseq=True)
    return client.post(url, body, content_type="application/x-www-form-urlencoded", headers=headers)


def _check(response, endpoint: Endpoint | None, what: str) -> None:
    status = response.status_code
    assert status < 500, f"{what}: answered {status}"
    if endpoint is not None:
        assert status in endpoint.statuses, (
            f"{what}: answered {status}, expected one of {sorted(endpoint.statuses)}"
        )
    content_type = response.headers.get("Content-Type", "")
    if content_type.startswith("text/html") and not getattr(response, "streaming", False):
        body = response.content.decode("utf-8", errors="replace")
        raw = injected_markup(body)
        assert not raw, f"{what}: hostile input became markup: {raw}"
        if "qd-xss" in body:
            ECHOED.append(what)  # the payload is on the page, escaped


def _follow(client, response, what: str, *, sessions=None, shown_on=()) -> None:
    """A successful POST's redirect stays on the site, and its page is as safe as the form's; so
    are the pages that show what was saved, to whoever reads them (stored XSS)."""
    if response.status_code not in (301, 302, 303):
        return
    location = response.headers["Location"]
    target = urlsplit(location)
    assert not target.netloc or target.netloc == "testserver", f"{what}: open redirect {location}"
    assert not target.scheme or target.scheme in ("http", "https"), f"{what}: redirect {location}"
    page = client.get(location)
    _check(page, None, f"{what}, then GET {location}")
    for role, make_url in shown_on:
        url = make_url(sessions.world)
        page = sessions.client(role).get(url)
        _check(page, None, f"{what}, then GET {url} as {role or 'visitor'}")


def _run_example(sessions: Sessions, endpoint: Endpoint, drawn: Drawn, path: dict, how: dict):
    world = sessions.world
    if drawn.mode == "accepted" and endpoint.coherent is not None:
        endpoint.coherent(drawn.data, world)
    cache.clear()  # rate limits: every example reaches the form
    client = sessions.client(endpoint.role)
    with transaction.atomic():
        url = _url(endpoint, world, path)
        data = _prefixed(endpoint, world, drawn.encoded())
        what = f"{endpoint.id} ({drawn.mode})"
        response = _send(client, world, endpoint, url, data, **how)
        STATS.append((endpoint.id, drawn.mode, response.status_code))
        _check(response, endpoint, what)
        if endpoint.method == "POST":
            insane = _insane_rows()
            assert not insane, f"{what}: stored out of bounds: {insane}"
            _follow(client, response, what, sessions=sessions, shown_on=endpoint.shown_on)
        transaction.set_rollback(True)


def _insane_conditions() -> dict[str, tuple]:
    """The rows no form may store, by model: dates outside the contract (or after today for what
    already happened), amounts not above zero or above the plausible maximum."""
    from django.db.models import Q

    from dialogue.models import Meeting
    from projects.models import (
        ExperienceEvaluation,
        FundEnvelope,
        GrantApplication,
        GrantPayment,
        InfluenceRecord,
        ProjectStep,
    )
    from qpv.models import NewsItem
    from questions.models import DueDateChange

    start, end, today = contract_start(), contract_end(), timezone.localdate()
    # The Paris days of the window, as instants.
    first_instant = timezone.make_aware(datetime.combine(start, time.min))
    after_last = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))

    def day_out(name: str, *, past: bool = False) -> Q:
        return Q(**{f"{name}__lt": start}) | Q(**{f"{name}__gt": today if past else end})

    def moment_out(name: str) -> Q:
        return Q(**{f"{name}__lt": first_instant}) | Q(**{f"{name}__gte": after_last})

    def euros_out(name: str) -> Q:
        return Q(**{f"{name}__lte": 0}) | Q(**{f"{name}__gt": MAX_EUROS})

    return {
        "payment": (GrantPayment, day_out("paid_on", past=True) | euros_out("amount")),
        "step": (ProjectStep, day_out("date", past=True)),
        "evaluation": (ExperienceEvaluation, day_out("evaluated_on", past=True)),
        "influence": (InfluenceRecord, day_out("decided_on", past=True)),
        "envelope": (
            FundEnvelope,
            Q(year__lt=start.year)
            | Q(year__gt=end.year)
            | Q(amount__lt=0)
            | Q(amount__gt=MAX_EUROS),
        ),
        "application": (
            GrantApplication,
            euros_out("amount_requested") | euros_out("amount_granted"),
        ),
        "meeting": (Meeting, moment_out("starts_at") | moment_out("ends_at")),
        "report": (Report, day_out("period_start") | day_out("period_end")),
        "due date": (DueDateChange, day_out("new_due_on")),
        "news": (NewsItem, Q(published_at__gte=after_last)),
    }


def _insane_rows() -> list[str]:
    """What the database holds out of bounds, e.g. ["payment 12"]: one query per model."""
    found = []
    for label, (model, condition) in _insane_conditions().items():
        found += [
            f"{label} {pk}"
            for pk in model.objects.filter(condition).values_list("pk", flat=True)[:3]
        ]
    return found


# FUZZ_STATS=<file>: each example's entry, mode and status, written there at the end of the module.
STATS: list[tuple[str, str, int]] = []
ECHOED: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _write_stats():
    yield
    target = os.environ.get("FUZZ_STATS")
    if target:
        rows = [*STATS, *(("echoed", what, "") for what in ECHOED)]
        Path(target).write_text("\n".join("\t".join(map(str, row)) for row in rows) + "\n")


def _prepare(world: World, endpoint: Endpoint) -> None:
    """Create what the URL, the query, the prefix and the choices refer to before the examples:
    created inside an example's savepoint, they would be gone for the next one."""
    for make in (endpoint.args, endpoint.query, endpoint.prefix):
        if make is not None:
            make(world)
    for make in (make for makers in endpoint.path.values() for make in makers):
        make(world)
    for kind in endpoint.fields.values():
        if isinstance(kind, Choice) and kind.of is not None:
            kind.of(world)
    if endpoint.role:
        getattr(world, endpoint.role.removeprefix("password:"))


@pytest.fixture
def world(settings, tmp_path) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return World()


@pytest.mark.parametrize("endpoint", INVENTORY, ids=lambda endpoint: endpoint.id)
def test_fuzz(endpoint: Endpoint, world: World):
    _prepare(world, endpoint)
    sessions = Sessions(world)
    for role in {endpoint.role, *(role for role, _url in endpoint.shown_on)}:
        sessions.client(role)
    path = st.fixed_dictionaries(
        {
            # The valid value three times out of four: the form behind the path is fuzzed too.
            name: st.one_of(
                *[st.sampled_from([make(world) for make in makers])] * 3, hostile_scalar()
            ).filter(bool)
            for name, makers in endpoint.path.items()
        }
    )
    how = st.fixed_dictionaries({"htmx": st.booleans(), "multipart": st.booleans()})

    def fuzz(drawn, path, how):
        _run_example(sessions, endpoint, drawn, path, how)

    fuzz.__name__ = f"fuzz_{zlib.crc32(endpoint.id.encode())}"
    test = given(drawn=example_strategy(world, endpoint.fields), path=path, how=how)(fuzz)
    test = hypothesis_settings(FUZZ_PROFILE, max_examples=endpoint.budget, derandomize=False)(test)
    if CI:
        test = seed(zlib.crc32(endpoint.id.encode()))(test)
    test()


# Inputs that once answered 500, replayed as they were found (the draws may not meet them again).
def _known(url, method, role, data, statuses, **kwargs) -> tuple[Endpoint, dict]:
    return Endpoint(url, method, role, {}, statuses=frozenset(statuses), **kwargs), data


KNOWN_HOSTILE = [
    # A NUL byte in a QPV slug read from the query string: PostgreSQL refused the lookup.
    _known("qpv:news_create", "GET", "coordinator", {"qpv": "\x00"}, {404}),
    _known("dialogue:space_create", "GET", "referent", {"qpv": "sanitas\x00"}, {404}),
    _known("projects:project_create", "GET", "referent", {"qpv": "\x00"}, {404}),
    _known("projects:influence_create", "GET", "referent", {"qpv": "a\x00"}, {404}),
    # ... and in a free-text search.
    _known("dialogue:checkin", "GET", "referent", {"q": "Du\x00pont"}, {200}, args=_current),
    _known("audit_log", "GET", "coordinator", {"actor": "\x00"}, {200}),
    # A `next` that is not a path: redirect() took it for the name of a URL (NoReverseMatch).
    _known(
        "dialogue:my_registration_cancel",
        "POST",
        "resident",
        {"next": '"><img src=x onerror=alert("qd-xss")>'},
        {302},
        args=lambda w: {"pk": w.resident_registration.pk},
    ),
    # A series in the year 9999: "a year after its first meeting" is the year 10000.
    _known(
        "dialogue:meeting_create",
        "POST",
        "referent",
        {
            "title": "Rencontre",
            "date": "9999-06-30",
            "start_time": "18:00",
            "end_time": "20:00",
            "repeat_every_weeks": "1",
            "repeat_until": "9999-12-31",
            "mode": "in_person",
            "address": "1 place Neuve, 37000 Tours",
        },
        {400},
        query=lambda w: {"espace": w.space.pk},
    ),
    # A grant payment dated the first day of year one was stored (issue 20).
    _known(
        "projects:grant_pay",
        "POST",
        "referent",
        {"amount": "100", "paid_on": "0001-01-01"},
        {400},
        args=lambda w: {"pk": w.granted_application.pk},
        prefix=lambda w: f"pay-{w.granted_application.pk}",
    ),
    # A NUL byte in the admin's filters, of our models and of third-party ones.
    _known(
        "admin:participation_roleassignment_changelist",
        "GET",
        "coordinator",
        {"role__exact": "\x00"},
        {400},
    ),
    _known(
        "admin:account_emailaddress_changelist", "GET", "coordinator", {"email": "a\x00"}, {400}
    ),
    _known(
        "admin:qpv_qpv_changelist", "GET", "coordinator", {"npnru__exact": ["0", "\x00"]}, {400}
    ),
    # Third-party admins searching on fields our user model does not have (FieldError), and
    # auditlog's filter by content type taking any value for an id (ValueError).
    _known("admin:auditlog_logentry_changelist", "GET", "coordinator", {"q": "Dupont"}, {200}),
    _known(
        "admin:auditlog_logentry_changelist", "GET", "coordinator", {"resource_type": "x"}, {302}
    ),
    _known("admin:usersessions_usersession_changelist", "GET", "coordinator", {"q": "a"}, {200}),
    # Digits int() refuses although isdigit() accepts them.
    _known("dialogue:meeting_create", "GET", "referent", {"espace": "²"}, {404}),
    _known("dialogue:meeting_create", "GET", "referent", {"espace": "9" * 5000}, {404}),
]


@pytest.mark.parametrize(
    ("endpoint", "data"),
    KNOWN_HOSTILE,
    ids=[f"{e.id} {sorted(d)}" for e, d in KNOWN_HOSTILE],
)
def test_known_hostile_inputs(endpoint: Endpoint, data: dict, world: World):
    _prepare(world, endpoint)
    client = Sessions(world).client(endpoint.role)
    url = _url(endpoint, world, {})
    data = _prefixed(endpoint, world, data)
    response = _send(client, world, endpoint, url, data, htmx=False, multipart=False)
    _check(response, endpoint, endpoint.id)
    if endpoint.method == "POST":
        assert not _insane_rows(), f"{endpoint.id}: stored out of bounds: {_insane_rows()}"
        _follow(client, response, endpoint.id)


# Ids far beyond the database's integers ------------------------------------------------------------


def _routes(resolver: URLResolver | None = None, namespace: str = "", prefix: str = ""):
    """(name, route, callback) of every route, admin and static files aside."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" or pattern.namespace == "admin":
                continue
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _routes(pattern, inner, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", prefix + str(pattern.pattern), pattern.callback


def _our_routes():
    for name, route, callback in _routes():
        if callback.__module__.split(".")[0] in OUR_APPS:
            yield name, route, callback


INT_ROUTES = sorted(name for name, route, _callback in _our_routes() if "<int:" in route)
HUGE_IDS = [2**31, 2**63, 10**30]


@pytest.mark.parametrize("name", INT_ROUTES)
def test_out_of_range_ids_are_not_found(name):
    """An id no integer column can hold is a 404 (or the login page), never a 500."""
    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    portal = PortalClient()
    portal.force_login(coordinator)
    route = next(route for n, route, _c in _our_routes() if n == name)
    names = [part.split(">")[0] for part in route.split("<int:")[1:]]
    # A word beside the ids (a translation's language): a valid one, so that only the id is odd.
    words = dict.fromkeys((part.split(">")[0] for part in route.split("<str:")[1:]), "ar")
    for huge in HUGE_IDS:
        url = reverse(name, kwargs={**dict.fromkeys(names, huge), **words})
        for method in ("get", "post"):
            response = getattr(portal, method)(url)
            assert response.status_code in (302, 404, 405), f"{method.upper()} {url}"


# The inventory is the code's -----------------------------------------------------------------------


def test_inventory_covers_every_route():
    """Every route of our apps is fuzzed (INVENTORY) or reads nothing but its path (NO_INPUT)."""
    inventoried = {endpoint.url for endpoint in INVENTORY}
    ours = {name for name, _route, _callback in _our_routes()}
    missing = sorted(ours - inventoried - NO_INPUT)
    assert not missing, f"Routes neither fuzzed nor listed in NO_INPUT: {missing}"
    stale = sorted((NO_INPUT | {e.url for e in INVENTORY if ":" in e.url}) - ours)
    stale = [name for name in stale if not name.startswith("admin:")]
    assert not stale, f"Inventory names no route: {stale}"
    both = sorted(NO_INPUT & inventoried)
    assert not both, f"Listed as reading nothing, yet fuzzed: {both}"
    unknown = sorted(set(SHOWN_ON) - {endpoint.id for endpoint in INVENTORY})
    assert not unknown, f"SHOWN_ON names no entry of the inventory: {unknown}"
    modules = {inspect.unwrap(callback).__module__ for _name, _route, callback in _our_routes()}
    unread = sorted(modules - set(VIEW_MODULES))
    assert not unread, f"View modules the parameter check does not read: {unread}"


# Reads of request data the AST check cannot tie to a name, each with where its names are declared.
INDIRECT_READS = {
    # The question search without JavaScript: is_searching(request.POST) reads the search buttons,
    # then the form is built unbound with the posted values as its initial ones.
    ("projects.views.staff", "project_create"): {ProjectCreateForm},
    ("projects.views.staff", "project_edit"): {ProjectForm},
    ("projects.views.influence", "influence_create"): {InfluenceRecordForm},
    ("projects.views.influence", "influence_edit"): {InfluenceRecordForm},
    # search_text(request.GET, name): the words of the field named by `field` (fuzzed as such).
    ("projects.views.question_search", "question_choices"): set(),
    # `data = request.POST if ... else None`, then AccountDeleteForm(data, ...).
    ("portal.views", "account_delete"): {AccountDeleteForm},
    # The reports page proposes the dashboard's filter: for name in ScopePeriodForm's fields.
    ("evaluation.views.reports", "reports"): {ScopePeriodForm},
    # The dashboard's cache key of its filter form: every parameter, hashed.
    ("evaluation.views.dashboard", "dashboard"): {ScopePeriodForm},
    # "Is the list filtered?": any field name of the filter form.
    ("questions.views.staff", "questions_dashboard"): {StaffQuestionFilterForm},
    ("projects.views.staff", "staff_projects"): {ProjectFilterForm},
}
VIEW_MODULES = [
    "participation.views",
    "participation.invitation_views",
    "notifications.views",
    "portal.views",
    "qpv.views.follows",
    "qpv.views.news",
    "dialogue.views.checkin",
    "dialogue.views.feedback",
    "dialogue.views.minutes",
    "dialogue.views.printables",
    "dialogue.views.public",
    "questions.views.follows",
    "questions.views.intake",
    "questions.views.public",
    "questions.views.staff",
    "dialogue.views.registration",
    "dialogue.views.staff",
    "dialogue.views.tracker",
    "dialogue.views.translations",
    "evaluation.views.dashboard",
    "evaluation.views.reports",
    "evaluation.views.targets",
    "evaluation.views.report_texts",
    "projects.views.fund",
    "projects.views.influence",
    "projects.views.public",
    "projects.views.question_search",
    "projects.views.staff",
]


@dataclass
class Reads:
    """What a view module reads of the request: parameter names, bound forms, other reads."""

    names: set[str] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)
    other: set[tuple[str, int]] = field(default_factory=set)  # (function, line)


def _module_source(module_name: str) -> str:
    return Path(__import__(module_name, fromlist=["_"]).__file__).read_text()


def _request_reads(source: str) -> Reads:
    tree = ast.parse(source)
    parents: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            parents[child] = node
    reads = Reads()
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.Attribute)
            and node.attr in ("GET", "POST", "FILES")
            and isinstance(node.value, ast.Name)
            and node.value.id == "request"
        ):
            continue
        parent = parents[node]
        # request.GET.get("x") / request.GET["x"] / "x" in request.GET
        if (
            isinstance(parent, ast.Attribute)
            and parent.attr == "get"
            and isinstance(parents[parent], ast.Call)
            and parents[parent].args
            and isinstance(parents[parent].args[0], ast.Constant)
        ):
            reads.names.add(parents[parent].args[0].value)
            continue
        if isinstance(parent, ast.Subscript) and isinstance(parent.slice, ast.Constant):
            reads.names.add(parent.slice.value)
            continue
        if (
            isinstance(parent, ast.Compare)
            and isinstance(parent.left, ast.Constant)
            and any(isinstance(op, ast.In | ast.NotIn) for op in parent.ops)
        ):
            reads.names.add(parent.left.value)
            continue
        # SomeForm(request.POST or None, ...), SomeForm(request.GET if ... else None, ...)
        ancestor, bound = parent, None
        while ancestor is not None and not isinstance(ancestor, ast.stmt):
            if isinstance(ancestor, ast.Call):
                func = ancestor.func
                callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if callee.endswith("Form"):
                    bound = callee
                    break
            ancestor = parents.get(ancestor)
        if bound:
            reads.forms.add(bound)
            continue
        # Anything else: tolerated only when INDIRECT_READS explains it.
        function = node
        while function is not None and not isinstance(function, ast.FunctionDef):
            function = parents.get(function)
        reads.other.add((function.name if function else "<module>", node.lineno))
    return reads


def _inventory_of_module(module_name: str) -> list[Endpoint]:
    """The inventory's entries whose view lives in the module."""
    by_name = {name: callback for name, _route, callback in _routes()}
    result = []
    for endpoint in INVENTORY:
        callback = by_name.get(endpoint.url)
        if callback is not None and inspect.unwrap(callback).__module__ == module_name:
            result.append(endpoint)
    return result


@pytest.mark.parametrize("module_name", VIEW_MODULES)
def test_inventory_covers_every_parameter_read(module_name):
    """Each query parameter or form a view module reads is in the inventory of that module's
    views, and each form of the inventory has all its fields fuzzed."""
    reads = _request_reads(_module_source(module_name))
    endpoints = _inventory_of_module(module_name)
    fuzzed = {name for endpoint in endpoints for name in endpoint.fields}
    forms = {form.__name__ for endpoint in endpoints for form in endpoint.forms}
    for (module, _function), classes in INDIRECT_READS.items():
        if module == module_name:
            forms |= {form.__name__ for form in classes}
    missing_names = sorted(reads.names - fuzzed)
    assert not missing_names, f"{module_name} reads parameters nobody fuzzes: {missing_names}"
    missing_forms = sorted(reads.forms - forms)
    assert not missing_forms, f"{module_name} binds forms nobody fuzzes: {missing_forms}"
    unexplained = sorted(
        (function, line)
        for function, line in reads.other
        if (module_name, function) not in INDIRECT_READS
    )
    assert not unexplained, f"{module_name} reads request data at {unexplained}: inventory them"


@pytest.mark.parametrize("endpoint", [e for e in INVENTORY if e.forms], ids=lambda e: e.id)
def test_inventory_fuzzes_every_field_of_its_forms(endpoint):
    declared = set()
    for form in endpoint.forms:
        declared |= set(form.base_fields)
    missing = sorted(declared - set(endpoint.fields))
    assert not missing, f"{endpoint.id}: fields of {endpoint.forms} not fuzzed: {missing}"


def test_the_bounds_check_finds_what_is_out_of_bounds(world: World):
    """`_insane_rows` sees a payment of year one, a meeting after the contract, an amount of a
    ten million; the world the examples start from has none."""
    from decimal import Decimal

    from projects.models import GrantPayment

    assert _insane_rows() == []
    payment = GrantPayment.objects.create(
        application=world.granted_application, amount=Decimal("10"), paid_on=date(1, 1, 1)
    )
    meeting = world.future_meeting
    meeting.starts_at = meeting.starts_at.replace(year=contract_end().year + 1)
    meeting.ends_at = meeting.ends_at.replace(year=contract_end().year + 1)
    meeting.save()
    envelope = world.envelope
    envelope.amount = MAX_EUROS * 10
    envelope.save()
    assert sorted(_insane_rows()) == sorted(
        [f"payment {payment.pk}", f"meeting {meeting.pk}", f"envelope {envelope.pk}"]
    )


def test_the_parameter_check_sees_every_kind_of_read():
    source = """
def view(request):
    a = request.GET.get("a", "")
    b = request.POST["b"]
    if "c" in request.GET:
        pass
    form = SomeForm(request.POST or None, user=request.user)
    other = OtherForm(
        request.GET if filtered else None,
    )
    everything = dict(request.GET)
"""
    reads = _request_reads(source)
    assert reads.names == {"a", "b", "c"}
    assert reads.forms == {"SomeForm", "OtherForm"}
    assert reads.other == {("view", 11)}


def test_the_checks_catch_what_they_look_for():
    """Each payload, printed raw where a page may print it, becomes markup the check finds; printed
    escaped, nothing. A 500 and a redirect off the site fail too."""
    import markdown
    from django.http import HttpResponse, HttpResponseRedirect
    from django.utils.html import escape

    def contexts(value: str) -> list[str]:
        return [
            f"<p>{value}</p>",
            f'<input value="{value}">',
            f"<input value='{value}'>",
            f"<textarea>{value}</textarea>",
        ]

    for payload in XSS_PAYLOADS:
        # Raw, or rendered as Markdown (the news, before their sanitising).
        raw = [*contexts(payload), markdown.markdown(payload)]
        assert any(injected_markup(page) for page in raw), payload
        assert not any(injected_markup(page) for page in contexts(escape(payload))), payload
        with pytest.raises(AssertionError, match="became markup"):
            page = next(page for page in raw if injected_markup(page))
            _check(HttpResponse(page), None, "test")
    # Quotes in text are text: a paragraph may hold them unescaped.
    assert not injected_markup("<p>\" autofocus onfocus=\"alert('qd-xss')</p>")
    with pytest.raises(AssertionError, match="500"):
        _check(HttpResponse(status=500), None, "test")
    with pytest.raises(AssertionError, match="open redirect"):
        _follow(None, HttpResponseRedirect("https://evil.example/"), "test")
