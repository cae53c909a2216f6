"""A synthetic 7-year dataset of the 13 QPV, for the performance benchmarks (issues 7 and 9).

The window is the last `years` years ending today (by default 7: from the same day 7 years ago, plus
one day, to today), so that the whole window is past: meetings held or cancelled, attendance saved,
questions answered or overdue — the situation at the end of the Contrat de ville, the worst case for
the indicators. Meetings are also planned for the next 60 days, so that the agenda is not empty.
Data before 2024 predate the contract: they stand for the volume of seven years, not for history.

Every row is written by bulk: PostgreSQL `COPY` (psycopg 3) when the database is PostgreSQL, a
multi-row `executemany` otherwise (SQLite, for the tests). No `save()`, hence no signal, no
`auto_now` overwriting the dates: every date is chosen here, consistent with the others (a
registration before its meeting, an answer after its question, a project's steps in order...).

Generated rows carry a mark, so that `delete_dataset` removes them and nothing else:
e-mail addresses at `EMAIL_DOMAIN` (accounts, guests, askers, grant contacts, organisations), tokens
starting with `TOKEN_PREFIX` (questions), and rows attached to them (spaces hosted by a generated
organisation and their meetings, projects proposed by a generated account, envelopes set, records
and news written by a generated account).
"""

from __future__ import annotations

import bisect
import html
import math
import random
import time as clock
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from auditlog.context import disable_auditlog
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    ComeBack,
    DialogueSpace,
    FacilitatedBy,
    Feedback,
    Gender,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Registration,
    RegistrationStatus,
    SpaceFormat,
    SpaceOrigin,
    SpeakerCategory,
    SpeakingTurn,
    WalkIn,
)
from participation.models import RoleAssignment, User
from participation.roles import Role
from projects.models import (
    STAGE_ORDER,
    CarriedBy,
    ExperienceEvaluation,
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    ModerationStatus,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV, Follow, NewsItem, Organisation, OrganisationKind
from questions.models import Answer, AnswerStatus, Channel, Question, QuestionStatus, Theme

PARIS = ZoneInfo("Europe/Paris")
EMAIL_DOMAIN = "qed-scale.test"  # .test is reserved (RFC 2606): never a real mailbox
TOKEN_PREFIX = "scale-"  # noqa: S105 (a mark on generated tokens, not a secret)
# The password of the generated staff accounts (coordination@qed-scale.test...), for load tests.
STAFF_PASSWORD = "scale-bench-2026"  # noqa: S105 (test dataset, refused when DEBUG is off)
# Their authenticator app's secret (base32): staff pages open after the second factor (TOTP).
STAFF_TOTP_SECRET = "QEDSCALEBENCHTOTPSECRETAAAAAAAAA"  # noqa: S105 (test dataset, as above)
FLUSH_EVERY = 20_000

# Volumes at scale 1.0, per year of the window (7 years: 8,750 meetings, 22,050 questions...).
PER_YEAR = {
    "meetings": 1_250,
    "questions": 3_150,
    "projects": 230,
    "influence": 360,
    "news": 100,
    "residents": 6_000,
}
SPACES = 60
# The regulars of each QPV (the first 15 % of its pool) come to half the registrations. Three in four
# residents have an account (7 years of the portal: 31,500 accounts at scale 1.0), the regulars
# first; the others register as guests.
REGULAR_SHARE = 0.15
RESIDENT_ACCOUNT_SHARE = 0.75
GRANTS_PER_ENVELOPE = 12
UPCOMING_DAYS = 60

# Rough relative size of each QPV (population share), by slug; unknown QPV get 3.
QPV_WEIGHTS = {
    "sanitas": 9,
    "europe": 5,
    "les-fontaines": 5,
    "la-rabaterie": 5,
    "la-rabiere": 5,
    "rives-du-cher": 4,
    "maryse-bastie": 3,
    "le-morier": 3,
    "niqueux-bruere-marcel-pagnol": 3,
}

# Dialogue space formats: how often they meet (relative) and who facilitates.
FORMATS = [
    (SpaceFormat.CONSEIL_CITOYEN, 1.0, FacilitatedBy.RESIDENTS, "Conseil citoyen"),
    (SpaceFormat.CAFE, 1.5, FacilitatedBy.PARTNER, "Café des habitants"),
    (SpaceFormat.PERMANENCE, 2.0, FacilitatedBy.VILLE, "Permanence de quartier"),
    (SpaceFormat.ATELIER, 0.8, FacilitatedBy.PARTNER, "Atelier citoyen"),
    (SpaceFormat.REUNION_PUBLIQUE, 0.4, FacilitatedBy.VILLE, "Réunion publique"),
    (SpaceFormat.DIAGNOSTIC, 0.3, FacilitatedBy.PARTNER, "Diagnostic en marchant"),
    (SpaceFormat.COMITE_NPNRU, 0.5, FacilitatedBy.VILLE, "Comité de suivi NPNRU"),
    (SpaceFormat.AUTRE, 0.6, FacilitatedBy.RESIDENTS, "Groupe d'habitants"),
]
SUBJECTS = [
    "la vie du quartier",
    "propreté et cadre de vie",
    "la place centrale",
    "travaux et charges avec le bailleur",
    "activités pour les jeunes",
    "sécurité des trajets",
    "le projet de renouvellement urbain",
    "le fonds de participation",
    "le marché et les commerces",
    "les espaces verts",
    "la fête de quartier",
    "l'accès aux droits",
    "les transports et le tram",
    "l'école et le périscolaire",
]
CANCEL_REASONS = [
    "Salle indisponible (dégât des eaux).",
    "Intempéries : alerte météo orange.",
    "Animatrice malade, rencontre reportée.",
    "Trop peu d'inscrits ; reportée au mois prochain.",
]
FIRST_NAMES_F = [
    "Awa", "Léa", "Sofia", "Fatou", "Inès", "Aïcha", "Chloé", "Mariam", "Nadia", "Emma",
    "Yasmine", "Julie", "Khadija", "Sarah", "Louise", "Amina", "Camille", "Nour", "Rose", "Linh",
]  # fmt: skip
FIRST_NAMES_M = [
    "Karim", "Mohamed", "Lucas", "Yanis", "Hugo", "Mamadou", "Thomas", "Bilal", "Paul", "Omar",
    "Nathan", "Ibrahima", "Louis", "Samir", "Jules", "Youssef", "Adam", "Moussa", "Léo", "Minh",
]  # fmt: skip
LAST_NAMES = [
    "Diallo", "Benali", "Martin", "Nguyen", "Moreau", "Traoré", "Petit", "Haddad", "Bernard",
    "Dubois", "Koné", "Mendes", "Durand", "Ferreira", "Lefebvre", "Cissé", "Roux", "Bouzid",
    "Garcia", "Fontaine", "Camara", "Lambert", "Silva", "Girard", "Ben Salah", "Bonnet", "Yilmaz",
    "Faure", "Mercier", "Sow",
]  # fmt: skip
AGE_BANDS = [
    (AgeBand.UNDER_18, 6),
    (AgeBand.AGE_18_25, 12),
    (AgeBand.AGE_26_40, 27),
    (AgeBand.AGE_41_60, 30),
    (AgeBand.AGE_61_75, 17),
    (AgeBand.OVER_75, 8),
]
QUESTION_TEXTS = {
    Theme.HOUSING: "Quand les travaux d'isolation de notre immeuble vont-ils commencer ?",
    Theme.LIVING_ENVIRONMENT: "Pourquoi les encombrants restent-ils plusieurs jours en bas ?",
    Theme.SAFETY: "Peut-on avoir un meilleur éclairage sur le chemin de l'école ?",
    Theme.MOBILITY: "Le bus pourrait-il passer plus souvent le samedi matin ?",
    Theme.YOUTH: "Quelles activités sont prévues pour les 12-17 ans pendant les vacances ?",
    Theme.EMPLOYMENT: "Où trouver un accompagnement pour reprendre une formation ?",
    Theme.HEALTH: "Un médecin généraliste va-t-il s'installer dans le quartier ?",
    Theme.RENEWAL: "Où en est le relogement des habitants de la tour en démolition ?",
    Theme.CULTURE: "La salle de sport peut-elle ouvrir le dimanche ?",
    Theme.OTHER: "Comment proposer une idée pour la fête de quartier ?",
}
THEME_WEIGHTS = [
    (Theme.HOUSING, 22),
    (Theme.LIVING_ENVIRONMENT, 20),
    (Theme.SAFETY, 10),
    (Theme.MOBILITY, 9),
    (Theme.YOUTH, 9),
    (Theme.EMPLOYMENT, 6),
    (Theme.HEALTH, 6),
    (Theme.RENEWAL, 8),
    (Theme.CULTURE, 6),
    (Theme.OTHER, 4),
]
# Which kind of organisation answers a theme (first one that serves the QPV).
THEME_ORGANISATIONS = {
    Theme.HOUSING: ("bailleur", "ville"),
    Theme.LIVING_ENVIRONMENT: ("ville", "metropole"),
    Theme.SAFETY: ("ville", "etat"),
    Theme.MOBILITY: ("transport", "metropole"),
    Theme.YOUTH: ("centre", "ville"),
    Theme.EMPLOYMENT: ("etat", "metropole"),
    Theme.HEALTH: ("centre", "etat"),
    Theme.RENEWAL: ("ville", "metropole"),
    Theme.CULTURE: ("centre", "ville"),
    Theme.OTHER: ("ville",),
}
PROJECT_TITLES = [
    "Jardin partagé au pied des immeubles",
    "Fresque participative sur le mur du gymnase",
    "Repair café mensuel",
    "Boîte à livres et bancs sur la place",
    "Fête de quartier de l'été",
    "Sorties familles à la mer",
    "Aire de jeux réaménagée avec les enfants",
    "Marche exploratoire des femmes",
    "Atelier cuisine du monde",
    "Tournoi de foot inter-quartiers",
    "Composteur collectif",
    "Chantier jeunes : rénovation du local associatif",
]
GRANT_LINES = [("Matériel", 50), ("Communication", 15), ("Intervenants", 25), ("Goûter", 10)]


@dataclass
class Counts:
    """What was written, by model label; printed at the end."""

    rows: dict[str, int] = field(default_factory=dict)

    def add(self, model: type[models.Model], count: int) -> None:
        label = model._meta.label
        self.rows[label] = self.rows.get(label, 0) + count


class _Writer:
    """Bulk inserts without models' save(): COPY on PostgreSQL, executemany elsewhere.

    Rows are dicts keyed by field attname ("meeting_id"); missing fields get the field's default,
    or NULL. The dates are written exactly as given (auto_now and auto_now_add are bypassed).
    """

    def __init__(self, counts: Counts) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.counts = counts
        self._specs: dict[type[models.Model], list] = {}

    def reserve_ids(self, model: type[models.Model], count: int) -> list[int]:
        """Primary keys for rows written with their id (so children can point at them)."""
        if count <= 0:
            return []
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            first = cursor.fetchone()[0] + 1
        return list(range(first, first + count))

    def _spec(self, model: type[models.Model]) -> list:
        spec = self._specs.get(model)
        if spec is None:
            spec = []
            for model_field in model._meta.concrete_fields:
                if isinstance(model_field, models.GeneratedField):
                    continue  # computed by the database (Registration.person_key)
                if isinstance(model_field, models.JSONField) and self.postgres:
                    from psycopg.types.json import Jsonb

                    prep = Jsonb
                elif self.postgres:
                    prep = None  # psycopg adapts str, int, bool, date, aware datetime, Decimal
                else:
                    prep = model_field.get_db_prep_save
                if model_field.has_default():
                    default = model_field.default
                elif model_field.null or model_field.primary_key:
                    default = None
                elif model_field.empty_strings_allowed and not isinstance(
                    model_field, models.DateField | models.DateTimeField
                ):
                    default = ""
                else:
                    default = _Required(model_field.attname)
                spec.append((model_field, model_field.attname, default, prep))
            self._specs[model] = spec
        return spec

    def insert(self, model: type[models.Model], rows: Iterable[dict], *, with_id=False) -> int:
        spec = [item for item in self._spec(model) if with_id or not item[0].primary_key]
        columns = [item[0].column for item in spec]
        values = (self._values(spec, row) for row in rows)
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(column) for column in columns)
        written = 0
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
                        written += 1
            else:
                placeholders = ", ".join(["%s"] * len(columns))
                batch = list(values)
                if batch:
                    cursor.executemany(
                        f"INSERT INTO {table} ({names}) VALUES ({placeholders})",  # noqa: S608 (quoted names)
                        batch,
                    )
                written = len(batch)
        self.counts.add(model, written)
        return written

    def _values(self, spec: list, row: dict) -> list:
        result = []
        for _field, attname, default, prep in spec:
            if attname in row:
                value = row[attname]
            elif callable(default):
                value = default()
            else:
                value = default
            if prep is not None and value is not None:
                value = prep(value, connection) if not self.postgres else prep(value)
            result.append(value)
        return result

    def buffer(self, model: type[models.Model]) -> _Buffer:
        return _Buffer(self, model)


class _Required:
    """A NOT NULL field without default that a row forgot: fail loudly, naming it."""

    def __init__(self, attname: str) -> None:
        self.attname = attname

    def __call__(self):
        raise ValueError(f"Generated row without a value for {self.attname}.")


class _Buffer:
    """Rows of one model, written every FLUSH_EVERY rows (the memory stays flat)."""

    def __init__(self, writer: _Writer, model: type[models.Model]) -> None:
        self.writer, self.model, self.rows = writer, model, []

    def add(self, row: dict) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.insert(self.model, self.rows)
            self.rows = []


@dataclass
class _Person:
    name: str
    email: str
    gender: str
    age_band: str
    qpv_id: int
    user_id: int | None = None


@dataclass
class _MeetingInfo:
    id: int
    qpv_id: int
    space_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    format: str


def window(today: date, years: int) -> tuple[date, date]:
    """The dataset's window: `years` years ending today, both days included."""
    try:
        start = today.replace(year=today.year - years)
    except ValueError:  # 29 February
        start = today.replace(year=today.year - years, day=28)
    return start + timedelta(days=1), today


def staff_authenticators() -> int:
    """Give each generated staff account its authenticator (STAFF_TOTP_SECRET) and recovery codes.

    Staff pages open only after the second factor: a load test logs in with the password and a code
    of this secret, or builds a session that records both (bench/load.py). Idempotent; returns how
    many TOTP authenticators it created.
    """
    from django.apps import apps

    if not apps.is_installed("allauth.mfa"):
        return 0
    from allauth.mfa.models import Authenticator
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP

    staff = User.objects.filter(
        email__endswith="@" + EMAIL_DOMAIN, role_assignments__isnull=False
    ).distinct()
    created = 0
    for user in staff.exclude(
        pk__in=Authenticator.objects.filter(type=Authenticator.Type.TOTP).values("user_id")
    ):
        TOTP.activate(user, STAFF_TOTP_SECRET)
        RecoveryCodes.activate(user)
        created += 1
    return created


def existing_dataset() -> bool:
    return User.objects.filter(email__endswith="@" + EMAIL_DOMAIN).exists()


def delete_dataset(log: Callable[[str], None] = print) -> int:
    """Delete every generated row (children first: each delete stays one or two statements)."""
    marked_user = {"email__endswith": "@" + EMAIL_DOMAIN}
    scale_org = {"contact_email__endswith": "@" + EMAIL_DOMAIN}
    meetings = Meeting.objects.filter(
        dialogue_space__host_organisation__contact_email__endswith="@" + EMAIL_DOMAIN
    )
    questions = Question.objects.filter(token__startswith=TOKEN_PREFIX)
    projects = Project.objects.filter(proposed_by__email__endswith="@" + EMAIL_DOMAIN)
    steps = [
        NewsItem.objects.filter(author__email__endswith="@" + EMAIL_DOMAIN),
        InfluenceRecord.objects.filter(created_by__email__endswith="@" + EMAIL_DOMAIN),
        GrantPayment.objects.filter(application__contact_email__endswith="@" + EMAIL_DOMAIN),
        GrantApplication.objects.filter(contact_email__endswith="@" + EMAIL_DOMAIN),
        FundEnvelope.objects.filter(set_by__email__endswith="@" + EMAIL_DOMAIN),
        ProjectStep.objects.filter(project__in=projects),
        ExperienceEvaluation.objects.filter(project__in=projects),
        projects,
        Answer.objects.filter(question__in=questions),
        questions,
        Registration.objects.filter(meeting__in=meetings),
        WalkIn.objects.filter(meeting__in=meetings),
        SpeakingTurn.objects.filter(meeting__in=meetings),
        Feedback.objects.filter(meeting__in=meetings),
        Minutes.objects.filter(meeting__in=meetings),
        meetings,
        RoleAssignment.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN),
        DialogueSpace.objects.filter(host_organisation__contact_email__endswith="@" + EMAIL_DOMAIN),
        Follow.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN),
        EmailAddress.objects.filter(user__email__endswith="@" + EMAIL_DOMAIN),
        User.objects.filter(**marked_user),
        Organisation.objects.filter(**scale_org),
    ]
    total = 0
    # Generated rows are not staff actions: their deletion stays out of the audit log (tens of
    # thousands of entries, one INSERT each, took most of a reset's time).
    with disable_auditlog():
        for queryset in steps:
            deleted, _ = queryset.delete()
            total += deleted
    log(f"Deleted {total} generated rows.")
    return total


class Generator:
    """One run of the generator; `run()` writes everything in one transaction."""

    def __init__(
        self,
        *,
        scale: float = 1.0,
        seed: int = 7,
        years: int = 7,
        today: date | None = None,
        log: Callable[[str], None] = print,
    ) -> None:
        if scale <= 0 or years <= 0:
            raise ValueError("scale and years must be positive.")
        self.scale, self.years, self.log = scale, years, log
        self.rng = random.Random(seed)  # noqa: S311 (reproducible test data, no secret)
        self.today = today or timezone.localdate()
        self.now = (
            timezone.now()
            if today is None
            else datetime.combine(self.today, time(12, 0), tzinfo=PARIS)
        )
        self.start, self.end = window(self.today, years)
        self.counts = Counts()
        self.writer = _Writer(self.counts)
        self.began = clock.monotonic()

    # -- helpers ------------------------------------------------------------------------------

    def _volume(self, name: str) -> int:
        return max(1, round(PER_YEAR[name] * self.years * self.scale))

    def _step(self, message: str) -> None:
        self.log(f"[{clock.monotonic() - self.began:6.1f} s] {message}")

    def _at(self, day: date, hour: int = 10, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=PARIS)

    def _day(self, start: date, end: date) -> date:
        span = (end - start).days
        return start + timedelta(days=self.rng.randint(0, max(span, 0)))

    def _token(self) -> str:
        return f"{TOKEN_PREFIX}{self.rng.getrandbits(160):040x}"

    def _weighted(self, pairs):
        values, weights = zip(*pairs, strict=True)
        return self.rng.choices(values, weights)[0]

    def _paris_date(self, moment: datetime) -> date:
        return moment.astimezone(PARIS).date()

    # -- the run ------------------------------------------------------------------------------

    @transaction.atomic
    def run(self) -> dict[str, int]:
        self._step(
            f"Window {self.start} → {self.end} ({self.years} years), scale {self.scale}, "
            f"database {connection.vendor}."
        )
        self.qpvs = list(QPV.objects.select_related("commune").order_by("pk"))
        if not self.qpvs:
            raise ValueError("No QPV in the database: run the migrations first.")
        self.qpv_weights = [QPV_WEIGHTS.get(qpv.slug, 3) for qpv in self.qpvs]
        self._organisations()
        self._people()
        staff_authenticators()
        self._spaces()
        self._meetings()
        self._meeting_log()
        self._questions()
        self._projects()
        self._fund()
        self._influence()
        self._news()
        if self.writer.postgres:
            self._step("ANALYZE (fresh planner statistics)...")
            with connection.cursor() as cursor:
                for model in (
                    Meeting, Registration, WalkIn, SpeakingTurn, Feedback, Minutes, Question,
                    Answer, Project, ProjectStep, GrantApplication, InfluenceRecord, User,
                ):  # fmt: skip
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        self._step("Done.")
        return dict(self.counts.rows)

    # -- territory and people -----------------------------------------------------------------

    def _organisations(self) -> None:
        specs = []  # (key, name, kind, delay, [qpv ids])
        communes = {}
        for qpv in self.qpvs:
            communes.setdefault(qpv.commune, []).append(qpv.pk)
        for commune, qpv_ids in communes.items():
            specs.append(
                (
                    ("ville", commune.pk),
                    f"Mairie de {commune.name} — Cohésion sociale",
                    OrganisationKind.VILLE,
                    30,
                    qpv_ids,
                )
            )
        every = [qpv.pk for qpv in self.qpvs]
        specs += [
            (("metropole",), "Métropole — Mission Contrat de ville", "metropole", 30, every),
            (("etat",), "DDETS d'Indre-et-Loire", OrganisationKind.ETAT, 45, every),
            (("transport",), "Réseau de bus et tram de la métropole", "autre", 30, every),
        ]
        tours = [qpv.pk for qpv in self.qpvs if qpv.commune.slug == "tours"]
        others = [qpv.pk for qpv in self.qpvs if qpv.commune.slug != "tours"]
        specs.append((("bailleur", 1), "Bailleur social — agences de Tours", "bailleur", 21, tours))
        specs.append(
            (
                ("bailleur", 2),
                "Bailleur social — agences de l'agglomération",
                "bailleur",
                21,
                others,
            )
        )
        for qpv in self.qpvs:
            specs.append(
                (("centre", qpv.pk), f"Centre social — {qpv.name}", "centre_social", 30, [qpv.pk])
            )
        ids = self.writer.reserve_ids(Organisation, len(specs))
        self.org_delay: dict[int, int] = {}
        self.orgs_by_kind: dict[str, dict[int, int]] = {}  # kind → QPV id → organisation id
        links = []
        for org_id, (key, _name, _kind, delay, qpv_ids) in zip(ids, specs, strict=True):
            self.org_delay[org_id] = delay
            for qpv_id in qpv_ids:
                self.orgs_by_kind.setdefault(key[0], {})[qpv_id] = org_id
                links.append({"organisation_id": org_id, "qpv_id": qpv_id})
        self.writer.insert(
            Organisation,
            (
                {
                    "id": org_id,
                    "name": name,
                    "kind": kind,
                    "contact_email": f"contact.{index}@{EMAIL_DOMAIN}",
                    "is_active": True,
                    "answer_delay_days": delay,
                }
                for index, (org_id, (_key, name, kind, delay, _q)) in enumerate(
                    zip(ids, specs, strict=True)
                )
            ),
            with_id=True,
        )
        self.writer.insert(Organisation.qpvs.through, links)
        self._step(f"{len(specs)} organisations.")

    def _people(self) -> None:
        rng = self.rng
        # Staff accounts: one coordinator, one delegate (all QPV), a referent per commune, a
        # facilitator per QPV and a correspondent of the first landlord. Real password, for logins.
        password = make_password(STAFF_PASSWORD)
        staff = [("coordination", "Coordination métropole", Role.COORDINATOR, {})]
        staff.append(("delegue", "Délégué du préfet", Role.DELEGATE, {}))
        for commune in {qpv.commune for qpv in self.qpvs}:
            staff.append(
                (
                    f"referent.{commune.slug}",
                    f"Référent {commune.name}",
                    Role.REFERENT,
                    {"commune_id": commune.pk},
                )
            )
        for qpv in self.qpvs:
            staff.append(
                (
                    f"animation.{qpv.slug}",
                    f"Animation {qpv.name}",
                    Role.FACILITATOR,
                    {"qpv_id": qpv.pk},
                )
            )
        landlord = self.orgs_by_kind["bailleur"][self.qpvs[0].pk]
        staff.append(
            (
                "correspondant",
                "Correspondant bailleur",
                Role.CORRESPONDENT,
                {"organisation_id": landlord},
            )
        )

        residents = self._volume("residents")
        by_qpv = self._split(residents, self.qpv_weights)
        people: list[_Person] = []
        self.pool: dict[int, list[_Person]] = {}
        for qpv, count in zip(self.qpvs, by_qpv, strict=True):
            pool = []
            for _ in range(count):
                woman = rng.random() < 0.55
                first = rng.choice(FIRST_NAMES_F if woman else FIRST_NAMES_M)
                last = rng.choice(LAST_NAMES)
                handle = _ascii(f"{first}.{last}".lower().replace(" ", ""))
                person = _Person(
                    name=f"{first} {last}",
                    email=f"{handle}.{len(people)}@{EMAIL_DOMAIN}",
                    gender=Gender.WOMAN if woman else Gender.MAN,
                    age_band=self._weighted(AGE_BANDS),
                    qpv_id=qpv.pk,
                )
                if rng.random() < 0.01:
                    person.gender = Gender.OTHER
                people.append(person)
                pool.append(person)
            self.pool[qpv.pk] = pool
        self.people = people
        # The first ones of each pool (the regulars among them) are the ones with an account.
        account_holders = [
            person
            for pool in self.pool.values()
            for person in pool[: max(1, round(len(pool) * RESIDENT_ACCOUNT_SHARE))]
        ]
        ids = self.writer.reserve_ids(User, len(staff) + len(account_holders))
        staff_ids, resident_ids = ids[: len(staff)], ids[len(staff) :]
        joined = self._at(self.start, 9)
        users = []
        self.staff: dict[str, int] = {}
        for user_id, (handle, full_name, _role, _scope) in zip(staff_ids, staff, strict=True):
            self.staff[handle] = user_id
            users.append(
                {
                    "id": user_id,
                    "email": f"{handle}@{EMAIL_DOMAIN}",
                    "full_name": full_name,
                    "password": password,
                    "is_superuser": False,
                    "is_active": True,
                    "date_joined": joined,
                }
            )
        for user_id, person in zip(resident_ids, account_holders, strict=True):
            person.user_id = user_id
            users.append(
                {
                    "id": user_id,
                    "email": person.email,
                    "full_name": person.name,
                    "password": make_password(None),  # unusable: login by emailed code
                    "is_superuser": False,
                    "is_active": True,
                    "date_joined": self._at(self._day(self.start, self.end), 20),
                }
            )
        self.writer.insert(User, users, with_id=True)
        self.writer.insert(
            EmailAddress,
            (
                {"user_id": row["id"], "email": row["email"], "verified": True, "primary": True}
                for row in users
            ),
        )
        self.writer.insert(
            RoleAssignment,
            (
                {"user_id": self.staff[handle], "role": role, "created_at": joined, **scope}
                for handle, _name, role, scope in staff
            ),
        )
        follows = []
        for person in account_holders:
            if rng.random() < 0.7:
                follows.append(
                    {"user_id": person.user_id, "qpv_id": person.qpv_id, "created_at": joined}
                )
        self.writer.insert(Follow, follows)
        self.facilitator = {qpv.pk: self.staff[f"animation.{qpv.slug}"] for qpv in self.qpvs}
        self._step(
            f"{len(people)} residents ({len(account_holders)} with an account), "
            f"{len(staff)} staff accounts (password {STAFF_PASSWORD!r})."
        )

    def _split(self, total: int, weights: list[float]) -> list[int]:
        """`total` split in proportion to the weights, summing exactly to it."""
        whole = sum(weights)
        shares = [total * weight / whole for weight in weights]
        counts = [math.floor(share) for share in shares]
        rest = sorted(range(len(weights)), key=lambda index: counts[index] - shares[index])[
            : total - sum(counts)
        ]
        for index in rest:
            counts[index] += 1
        return counts

    # -- spaces and meetings ------------------------------------------------------------------

    def _spaces(self) -> None:
        rng = self.rng
        total = max(len(self.qpvs), round(SPACES * self.scale))
        per_qpv = [max(1, count) for count in self._split(total, self.qpv_weights)]
        span = (self.end - self.start).days
        specs = []
        for qpv, count in zip(self.qpvs, per_qpv, strict=True):
            formats = [item for item in FORMATS if item[0] != SpaceFormat.COMITE_NPNRU or qpv.npnru]
            for index in range(count):
                space_format, rate, facilitated_by, label = formats[index % len(formats)]
                created = index > 0 and rng.random() < 0.45
                opens = (
                    self.start + timedelta(days=rng.randint(0, span * 6 // 10))
                    if created
                    else self.start
                )
                closes = self.end
                active = rng.random() > 0.08 or index == 0
                if not active:
                    closes = self.start + timedelta(days=rng.randint(span * 6 // 10, span - 30))
                    closes = max(closes, opens + timedelta(days=90))
                host = self.orgs_by_kind["centre" if facilitated_by != "ville" else "ville"][qpv.pk]
                suffix = f" ({index // len(formats) + 1})" if index >= len(formats) else ""
                specs.append(
                    {
                        "qpv_id": qpv.pk,
                        "name": f"{label} — {qpv.name}{suffix}",
                        "format": space_format,
                        "origin": SpaceOrigin.CREATED if created else SpaceOrigin.STRENGTHENED,
                        "host_organisation_id": host,
                        "facilitated_by": facilitated_by,
                        "charter": "Chacun parle à son tour, d'égal à égal ; les institutions "
                        "répondent à chaque question posée.",
                        "is_active": active,
                        "_rate": rate,
                        "_opens": opens,
                        "_closes": closes,
                    }
                )
        ids = self.writer.reserve_ids(DialogueSpace, len(specs))
        for space_id, spec in zip(ids, specs, strict=True):
            spec["id"] = space_id
        self.writer.insert(
            DialogueSpace,
            ({k: v for k, v in spec.items() if not k.startswith("_")} for spec in specs),
            with_id=True,
        )
        self.spaces = specs
        self._step(f"{len(specs)} dialogue spaces.")

    def _meetings(self) -> None:
        rng = self.rng
        target = self._volume("meetings")
        weights = [
            spec["_rate"] * max((spec["_closes"] - spec["_opens"]).days, 1) for spec in self.spaces
        ]
        per_space = self._split(target, weights)
        rows, infos = [], []
        qpv_names = {qpv.pk: qpv.name for qpv in self.qpvs}
        for spec, count in zip(self.spaces, per_space, strict=True):
            days_open = max((spec["_closes"] - spec["_opens"]).days, 1)
            upcoming = round(count * UPCOMING_DAYS / days_open) if spec["is_active"] else 0
            dates = []
            for _ in range(count):
                day = self._day(spec["_opens"], spec["_closes"])
                if day.month == 8 and rng.random() < 0.7:  # quieter in August
                    day = self._day(spec["_opens"], spec["_closes"])
                dates.append(day)
            for _ in range(upcoming):
                dates.append(self.today + timedelta(days=rng.randint(1, UPCOMING_DAYS)))
            for day in sorted(dates):
                hour, minute = rng.choice([(9, 30), (10, 0), (14, 0), (17, 30), (18, 0), (18, 30)])
                starts_at = self._at(day, hour, minute)
                ends_at = starts_at + timedelta(minutes=rng.choice([90, 120, 120, 150]))
                if starts_at >= self.now:
                    status = MeetingStatus.PLANNED
                elif rng.random() < 0.05:
                    status = MeetingStatus.CANCELLED
                else:
                    status = MeetingStatus.HELD
                open_door = rng.random() < 0.35
                mode = self._weighted(
                    [(MeetingMode.IN_PERSON, 85), (MeetingMode.HYBRID, 10), (MeetingMode.ONLINE, 5)]
                )
                held = status == MeetingStatus.HELD
                rows.append(
                    {
                        "dialogue_space_id": spec["id"],
                        "title": f"{spec['name'].split(' — ')[0]} : {rng.choice(SUBJECTS)}",
                        "starts_at": starts_at,
                        "ends_at": ends_at,
                        "venue": f"Maison de quartier {qpv_names[spec['qpv_id']]}",
                        "address": f"{rng.randint(1, 80)} rue de la République",
                        "step_free": rng.random() < 0.7,
                        "mode": mode,
                        "online_url": "https://visio.example.org/rencontre"
                        if mode != MeetingMode.IN_PERSON
                        else "",
                        "capacity": None if open_door else rng.choice([20, 25, 30, 40, 50, 60]),
                        "registration_required": not open_door,
                        "agenda": "1. Tour de table\n2. Réponses aux questions\n3. Sujet du jour",
                        "status": status,
                        "cancellation_reason": rng.choice(CANCEL_REASONS)
                        if status == MeetingStatus.CANCELLED
                        else "",
                        "attendance_saved_at": ends_at + timedelta(hours=1) if held else None,
                        "tracker_paused": False,
                        "feedback_sent_at": ends_at + timedelta(hours=2) if held else None,
                        "created_by_id": self.facilitator[spec["qpv_id"]],
                        "created_at": starts_at - timedelta(days=rng.randint(10, 45)),
                        "updated_at": ends_at + timedelta(hours=1) if held else starts_at,
                        "_format": spec["format"],
                        "_qpv": spec["qpv_id"],
                    }
                )
        ids = self.writer.reserve_ids(Meeting, len(rows))
        for meeting_id, row in zip(ids, rows, strict=True):
            row["id"] = meeting_id
            infos.append(
                _MeetingInfo(
                    id=meeting_id,
                    qpv_id=row.pop("_qpv"),
                    space_id=row["dialogue_space_id"],
                    starts_at=row["starts_at"],
                    ends_at=row["ends_at"],
                    status=row["status"],
                    format=row.pop("_format"),
                )
            )
        self.meeting_rows = rows  # residents_who_spoke is filled by the meeting log, then written
        self.meetings = infos
        self.held_by_qpv: dict[int, list[_MeetingInfo]] = {}
        for info in infos:
            if info.status == MeetingStatus.HELD:
                self.held_by_qpv.setdefault(info.qpv_id, []).append(info)
        for held in self.held_by_qpv.values():
            held.sort(key=lambda info: info.starts_at)
        self.held_starts = {
            qpv_id: [info.starts_at for info in held] for qpv_id, held in self.held_by_qpv.items()
        }

    def _meeting_log(self) -> None:
        """Registrations, attendance, walk-ins, speaking turns, feedback, minutes; then meetings."""
        rng = self.rng
        registrations = self.writer.buffer(Registration)
        walk_ins = self.writer.buffer(WalkIn)
        turns = self.writer.buffer(SpeakingTurn)
        feedback = self.writer.buffer(Feedback)
        minutes = []
        span_days = max((self.end - self.start).days, 1)
        for row, info in zip(self.meeting_rows, self.meetings, strict=True):
            pool = self.pool[info.qpv_id]
            regulars = max(1, round(len(pool) * REGULAR_SHARE))
            held = info.status == MeetingStatus.HELD
            count = rng.randint(8, 30)
            capacity = row["capacity"]
            chosen: dict[str, _Person] = {}
            for _ in range(count * 2):
                if len(chosen) >= count:
                    break
                roll = rng.random()
                if roll < 0.5:
                    person = pool[rng.randrange(regulars)]
                elif roll < 0.95:
                    person = pool[rng.randrange(len(pool))]
                else:
                    person = self.people[rng.randrange(len(self.people))]
                chosen.setdefault(person.email, person)
            attended_count = 0
            seats = 0
            for person in chosen.values():
                created_at = info.starts_at - timedelta(
                    days=rng.randint(1, 30), minutes=rng.randint(0, 600)
                )
                status = RegistrationStatus.CONFIRMED
                if rng.random() < 0.08:
                    status = RegistrationStatus.CANCELLED
                elif capacity is not None and seats >= capacity:
                    status = RegistrationStatus.WAITLISTED
                elif info.status == MeetingStatus.PLANNED and rng.random() < 0.03:
                    status = RegistrationStatus.PENDING
                if status == RegistrationStatus.CONFIRMED:
                    seats += 1
                attended = None
                if held and status == RegistrationStatus.CONFIRMED:
                    attended = rng.random() < 0.8
                    attended_count += attended
                declared = rng.random() < 0.5
                registrations.add(
                    {
                        "meeting_id": info.id,
                        "user_id": person.user_id,
                        "name": person.name,
                        "email": person.email,
                        "phone": f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} 00 00"
                        if rng.random() < 0.25
                        else "",
                        "status": status,
                        "token": self._token(),
                        "created_at": created_at,
                        "confirmed_at": created_at + timedelta(minutes=3)
                        if status == RegistrationStatus.CONFIRMED
                        else None,
                        "waitlisted_at": created_at
                        if status == RegistrationStatus.WAITLISTED
                        else None,
                        "cancelled_at": created_at + timedelta(hours=rng.randint(1, 20))
                        if status == RegistrationStatus.CANCELLED
                        else None,
                        "reminder_sent_at": info.starts_at - timedelta(days=1)
                        if status == RegistrationStatus.CONFIRMED and info.starts_at < self.now
                        else None,
                        "attended": attended,
                        "checked_in_at": info.starts_at + timedelta(minutes=rng.randint(-10, 25))
                        if attended
                        else None,
                        "gender": person.gender if declared else "",
                        "age_band": person.age_band if declared else "",
                        "comeback_opt_in": rng.random() < 0.15,
                    }
                )
            if not held:
                continue
            resident_walk_ins = 0
            for _ in range(rng.randint(0, 9)):
                category = self._weighted(
                    [
                        (AttendeeCategory.RESIDENT, 72),
                        (AttendeeCategory.ASSOCIATION, 14),
                        (AttendeeCategory.INSTITUTION, 10),
                        (AttendeeCategory.ELECTED, 4),
                    ]
                )
                resident_walk_ins += category == AttendeeCategory.RESIDENT
                declared = rng.random() < 0.6
                walk_ins.add(
                    {
                        "meeting_id": info.id,
                        "category": category,
                        "gender": (Gender.WOMAN if rng.random() < 0.55 else Gender.MAN)
                        if declared
                        else "",
                        "age_band": self._weighted(AGE_BANDS) if declared else "",
                        "first_time": None if rng.random() < 0.3 else rng.random() < 0.3,
                        "created_at": info.starts_at + timedelta(minutes=rng.randint(-10, 30)),
                        "created_by_id": self.facilitator[info.qpv_id],
                    }
                )
            if rng.random() < 0.85:
                moment = info.starts_at + timedelta(minutes=5)
                resident_turns = 0
                for _ in range(rng.randint(4, 16)):
                    category = self._weighted(
                        [
                            (SpeakerCategory.RESIDENT, 50),
                            (SpeakerCategory.FACILITATOR, 20),
                            (SpeakerCategory.INSTITUTION, 15),
                            (SpeakerCategory.ASSOCIATION, 8),
                            (SpeakerCategory.ELECTED, 7),
                        ]
                    )
                    seconds = (
                        rng.randint(20, 150) if category == "resident" else rng.randint(40, 300)
                    )
                    resident_turns += category == SpeakerCategory.RESIDENT
                    turns.add(
                        {
                            "meeting_id": info.id,
                            "category": category,
                            "started_at": moment,
                            "ended_at": moment + timedelta(seconds=seconds),
                            "created_by_id": self.facilitator[info.qpv_id],
                        }
                    )
                    moment += timedelta(seconds=seconds + rng.randint(2, 40))
                row["residents_who_spoke"] = max(
                    0, resident_turns - rng.randint(0, resident_turns // 3)
                )
            # Feedback: about a quarter of the attendees answer; scores rise over the years.
            progress = (self._paris_date(info.starts_at) - self.start).days / span_days
            for _ in range(round((attended_count + resident_walk_ins) * rng.uniform(0.15, 0.4))):
                answered_on = min(
                    self._paris_date(info.ends_at) + timedelta(days=rng.randint(0, 4)), self.today
                )
                feedback.add(
                    {
                        "meeting_id": info.id,
                        "felt_heard": self._score(3.2 + 0.8 * progress),
                        "felt_legitimate": self._score(3.0 + 0.9 * progress),
                        "understood_institutions": self._score(2.8 + 0.8 * progress),
                        "will_come_back": self._weighted(
                            [(ComeBack.YES, 65), (ComeBack.MAYBE, 25), (ComeBack.NO, 10)]
                        ),
                        "comment": "Merci pour l'écoute." if rng.random() < 0.1 else "",
                        "answered_on": answered_on,
                    }
                )
            if rng.random() < 0.85 and info.ends_at < self.now - timedelta(days=10):
                published = info.ends_at + timedelta(days=rng.randint(3, 10))
                minutes.append(
                    {
                        "meeting_id": info.id,
                        "summary": "Tour de table, réponses aux questions de la dernière "
                        "rencontre, puis échanges sur le sujet du jour.",
                        "decisions": "Un groupe de travail se réunira avant la prochaine rencontre.",
                        "next_steps": "Les réponses des institutions seront présentées la prochaine fois.",
                        "status": MinutesStatus.PUBLISHED,
                        "published_at": published,
                        "author_id": self.facilitator[info.qpv_id],
                        "updated_at": published,
                    }
                )
        for buffer in (registrations, walk_ins, turns, feedback):
            buffer.flush()
        self.writer.insert(Meeting, self.meeting_rows, with_id=True)
        self.writer.insert(Minutes, minutes)
        del self.meeting_rows
        self._step(
            f"{len(self.meetings)} meetings, {self.counts.rows['dialogue.Registration']} "
            f"registrations, {self.counts.rows.get('dialogue.WalkIn', 0)} walk-ins, "
            f"{self.counts.rows.get('dialogue.SpeakingTurn', 0)} speaking turns, "
            f"{self.counts.rows.get('dialogue.Feedback', 0)} feedback answers."
        )

    def _score(self, mean: float) -> int:
        return min(5, max(1, round(self.rng.gauss(mean, 1.0))))

    def _held_near(self, qpv_id: int, moment: datetime, *, after: bool) -> _MeetingInfo | None:
        """The QPV's held meeting just before (or after) a moment, if any."""
        held = self.held_by_qpv.get(qpv_id, [])
        index = bisect.bisect_left(self.held_starts.get(qpv_id, []), moment)
        if after:
            return held[index] if index < len(held) else None
        return held[index - 1] if index > 0 else None

    # -- questions and answers ----------------------------------------------------------------

    def _organisation_for(self, theme: str, qpv_id: int) -> int:
        for kind in THEME_ORGANISATIONS[theme]:
            org_id = self.orgs_by_kind.get(kind, {}).get(qpv_id)
            if org_id:
                return org_id
        return self.orgs_by_kind["metropole"][qpv_id]

    def _questions(self) -> None:
        rng = self.rng
        count = self._volume("questions")
        span = (self.end - self.start).days
        rows, answers = [], []
        ids = self.writer.reserve_ids(Question, count)
        self.answered_by_qpv: dict[int, list[tuple[date, int]]] = {}
        self.questions_by_qpv: dict[int, list[tuple[date, int]]] = {}
        for question_id in ids:
            qpv = rng.choices(self.qpvs, self.qpv_weights)[0]
            # Slightly more questions in the later years (the portal becomes known).
            received_on = self.start + timedelta(days=int(span * rng.random() ** 0.85))
            theme = self._weighted(THEME_WEIGHTS)
            meeting = None
            if rng.random() < 0.35:
                meeting = self._held_near(qpv.pk, self._at(received_on, 23), after=False)
                if meeting is not None:
                    received_on = self._paris_date(meeting.starts_at)
            organisation = self._organisation_for(theme, qpv.pk)
            age = (self.today - received_on).days
            due_on = received_on + timedelta(days=self.org_delay[organisation])
            answered_on = closed_reason = rejected_reason = None
            roll = rng.random()
            if roll < 0.01:
                status = QuestionStatus.UNCONFIRMED
            elif roll < 0.03:
                status = QuestionStatus.MODERATION if age < 10 else QuestionStatus.REJECTED
                if status == QuestionStatus.REJECTED:
                    rejected_reason = "Propos injurieux (charte de modération)."
            elif age < 3:
                status = QuestionStatus.RECEIVED
            elif roll < 0.07:
                status = QuestionStatus.CLOSED
                closed_reason = "Question hors des compétences des partenaires du contrat."
            elif roll < 0.095:
                status = QuestionStatus.FORWARDED  # never answered: the backlog
            else:
                delay = self.org_delay[organisation]
                # About three in four on time; the others late by up to 75 days.
                on_time = rng.random() < 0.74
                days = rng.randint(2, delay) if on_time else delay + rng.randint(1, 75)
                answered_on = received_on + timedelta(days=days)
                status = QuestionStatus.ANSWERED
                if answered_on > self.today:
                    status, answered_on = QuestionStatus.FORWARDED, None
            accepted = status not in (
                QuestionStatus.UNCONFIRMED,
                QuestionStatus.MODERATION,
                QuestionStatus.REJECTED,
            )
            forwarded = status in (
                QuestionStatus.FORWARDED,
                QuestionStatus.ANSWERED,
                QuestionStatus.CLOSED,
            )
            online = meeting is None
            asker = rng.choice(self.pool[qpv.pk]) if online or rng.random() < 0.3 else None
            rows.append(
                {
                    "id": question_id,
                    "qpv_id": qpv.pk,
                    "meeting_id": meeting.id if meeting else None,
                    "channel": Channel.ONLINE if online else Channel.MEETING,
                    "text": QUESTION_TEXTS[theme],
                    "theme": theme,
                    "organisation_id": organisation
                    if status != QuestionStatus.RECEIVED or rng.random() < 0.5
                    else None,
                    "asked_by_id": asker.user_id if asker else None,
                    "asker_name": asker.name if asker else "",
                    "asker_email": asker.email if asker else "",
                    "show_name": rng.random() < 0.25,
                    "public_display": rng.random() < 0.85,
                    "status": status,
                    "received_on": received_on,
                    "due_on": due_on,
                    "answered_on": answered_on,
                    "closed_reason": closed_reason or "",
                    "rejected_reason": rejected_reason or "",
                    "token": self._token(),
                    "forwarded_at": self._at(received_on + timedelta(days=1), 10)
                    if forwarded
                    else None,
                    "created_at": self._at(received_on, 12),
                    "created_by_id": None if online else self.facilitator[qpv.pk],
                }
            )
            if accepted:
                self.questions_by_qpv.setdefault(qpv.pk, []).append((received_on, question_id))
            if status == QuestionStatus.ANSWERED:
                self.answered_by_qpv.setdefault(qpv.pk, []).append((answered_on, question_id))
                published = self._at(answered_on, 11)
                answers.append(
                    {
                        "question_id": question_id,
                        "organisation_id": organisation,
                        "text": "Merci pour votre question. Voici ce que nous avons prévu : "
                        "une intervention est programmée et un point sera fait en rencontre.",
                        "received_by_other_channel": rng.random() < 0.1,
                        "status": AnswerStatus.PUBLISHED,
                        "published_at": published,
                        "updated_at": published,
                    }
                )
            elif status == QuestionStatus.FORWARDED and rng.random() < 0.15:
                answers.append(
                    {
                        "question_id": question_id,
                        "organisation_id": organisation,
                        "text": "Réponse en cours de rédaction.",
                        "status": AnswerStatus.DRAFT,
                        "updated_at": self._at(received_on + timedelta(days=2), 15),
                    }
                )
        self.writer.insert(Question, rows, with_id=True)
        self.writer.insert(Answer, answers)
        for listing in self.questions_by_qpv.values():
            listing.sort()
        self._step(f"{len(rows)} questions, {len(answers)} answers.")

    # -- projects, fund, influence, news ------------------------------------------------------

    def _projects(self) -> None:
        rng = self.rng
        count = self._volume("projects")
        span = (self.end - self.start).days
        order = sorted(STAGE_ORDER, key=STAGE_ORDER.get)
        carry_on = {
            ProjectStage.IDEA: 0.85,
            ProjectStage.ELABORATION: 0.75,
            ProjectStage.VALIDATED: 0.7,
            ProjectStage.FUNDED: 0.9,
            ProjectStage.IN_PROGRESS: 0.8,
            ProjectStage.COMPLETED: 0.6,
        }
        spaces_by_qpv: dict[int, list[int]] = {}
        for spec in self.spaces:
            spaces_by_qpv.setdefault(spec["qpv_id"], []).append(spec["id"])
        ids = self.writer.reserve_ids(Project, count)
        rows, steps, evaluations = [], [], []
        self.projects_by_qpv: dict[int, list[tuple[date, int]]] = {}
        for project_id in ids:
            qpv = rng.choices(self.qpvs, self.qpv_weights)[0]
            began = self.start + timedelta(days=int(span * 0.97 * rng.random()))
            origin = self._weighted(
                [
                    (ProjectOrigin.MEETING, 40),
                    (ProjectOrigin.QUESTION, 20),
                    (ProjectOrigin.SPACE, 25),
                    (ProjectOrigin.ONLINE, 15),
                ]
            )
            origin_meeting = origin_question = origin_space = None
            if origin == ProjectOrigin.MEETING:
                meeting = self._held_near(qpv.pk, self._at(began, 23), after=False)
                origin_meeting = meeting.id if meeting else None
            elif origin == ProjectOrigin.QUESTION:
                listing = self.questions_by_qpv.get(qpv.pk, [])
                index = bisect.bisect_right(listing, (began, math.inf))
                origin_question = listing[index - 1][1] if index else None
            elif origin == ProjectOrigin.SPACE:
                origin_space = rng.choice(spaces_by_qpv[qpv.pk])
            carried_by = self._weighted(
                [
                    (CarriedBy.COLLECTIVE, 50),
                    (CarriedBy.ASSOCIATION, 35),
                    (CarriedBy.INSTITUTION, 15),
                ]
            )
            low, high = {"collective": (3, 5), "association": (2, 5), "institution": (1, 3)}[
                carried_by
            ]
            holders = [p for p in self.pool[qpv.pk][:50] if p.user_id]
            proposer = (
                rng.choice(holders).user_id
                if holders and carried_by != CarriedBy.INSTITUTION
                else self.facilitator[qpv.pk]
            )
            day, stage_index, stage = began, 0, ProjectStage.IDEA
            went_back = rng.random() < 0.05
            project_steps = []
            reason = abandoned_reason = ""
            while True:
                project_steps.append(
                    {
                        "project_id": project_id,
                        "date": day,
                        "stage": stage,
                        "participation_level": rng.randint(low, high),
                        "residents_involved": rng.randint(3, 60),
                        "reason": reason,
                        "created_by_id": self.facilitator[qpv.pk],
                        "created_at": self._at(day, 17),
                    }
                )
                reason = ""
                if stage in (ProjectStage.EVALUATED, ProjectStage.ABANDONED):
                    break
                following = day + timedelta(days=rng.randint(20, 120))
                if following > self.today:
                    break
                if went_back and stage == ProjectStage.VALIDATED:
                    # A step back, with its reason: the residents asked to rework the budget.
                    went_back, reason = False, "Le budget a été revu avec les habitants."
                    day, stage = following, ProjectStage.ELABORATION
                    stage_index = STAGE_ORDER[stage]
                elif rng.random() > carry_on[stage]:
                    if rng.random() >= 0.35:
                        break  # the project rests at this stage
                    abandoned_reason = "Le collectif porteur s'est dissous."
                    day, stage = following, ProjectStage.ABANDONED
                else:
                    stage_index += 1
                    day, stage = following, order[stage_index]
            steps.extend(project_steps)
            last = project_steps[-1]
            moderation = ModerationStatus.PUBLISHED
            if rng.random() < 0.04:
                moderation = (
                    ModerationStatus.PENDING
                    if (self.today - began).days < 30
                    else ModerationStatus.REJECTED
                )
            rows.append(
                {
                    "id": project_id,
                    "qpv_id": qpv.pk,
                    "title": rng.choice(PROJECT_TITLES),
                    "summary": "Un projet imaginé avec les habitants lors des rencontres.",
                    "origin": origin,
                    "origin_meeting_id": origin_meeting,
                    "origin_question_id": origin_question,
                    "origin_space_id": origin_space,
                    "carried_by": carried_by,
                    "carrier_name": "Collectif des habitants" if carried_by == "collective" else "",
                    "stage": last["stage"],
                    "abandoned_reason": abandoned_reason,
                    "moderation": moderation,
                    "rejected_reason": "Hors du périmètre du portail."
                    if moderation == ModerationStatus.REJECTED
                    else "",
                    "proposed_by_id": proposer,
                    "created_at": self._at(began, 10),
                    "updated_at": self._at(last["date"], 17),
                }
            )
            if moderation == ModerationStatus.PUBLISHED:
                self.projects_by_qpv.setdefault(qpv.pk, []).append((began, project_id))
            if last["stage"] == ProjectStage.EVALUATED:
                evaluations.append(
                    {
                        "project_id": project_id,
                        "voice_changed": "Le lieu et les horaires ont été choisis par les habitants.",
                        "to_keep": "Les ateliers du samedi.",
                        "highest_level": max(step["participation_level"] for step in project_steps),
                        "evaluated_on": last["date"],
                        "author_id": self.facilitator[qpv.pk],
                    }
                )
        self.writer.insert(Project, rows, with_id=True)
        self.writer.insert(ProjectStep, steps)
        self.writer.insert(ExperienceEvaluation, evaluations)
        for listing in self.projects_by_qpv.values():
            listing.sort()
        self._step(f"{len(rows)} projects, {len(steps)} steps, {len(evaluations)} evaluations.")

    def _fund(self) -> None:
        rng = self.rng
        taken = set(FundEnvelope.objects.filter(qpv__isnull=False).values_list("qpv_id", "year"))
        envelopes = []
        for qpv, weight in zip(self.qpvs, self.qpv_weights, strict=True):
            for year in range(self.start.year, self.today.year + 1):
                if (qpv.pk, year) not in taken:
                    envelopes.append((qpv.pk, year, Decimal(6000 + 1500 * weight)))
        ids = self.writer.reserve_ids(FundEnvelope, len(envelopes))
        envelope_rows, grants, payments = [], [], []
        per_envelope = GRANTS_PER_ENVELOPE * self.scale
        grant_ids = iter(
            self.writer.reserve_ids(GrantApplication, int(len(envelopes) * (per_envelope + 1)) + 1)
        )
        for envelope_id, (qpv_id, year, amount) in zip(ids, envelopes, strict=True):
            envelope_rows.append(
                {
                    "id": envelope_id,
                    "qpv_id": qpv_id,
                    "year": year,
                    "amount": amount,
                    "set_by_id": self.staff["coordination"],
                    "updated_at": self._at(date(year, 1, 15), 10),
                }
            )
            left = amount
            first = max(date(year, 1, 1), self.start)
            last = min(date(year, 12, 31), self.today)
            count = int(per_envelope) + (rng.random() < per_envelope - int(per_envelope))
            for _ in range(count):
                submitted = self._day(first, last)
                requested = Decimal(rng.randrange(300, 3001, 10))
                decision = self._held_near(
                    qpv_id, self._at(submitted + timedelta(days=7), 0), after=True
                )
                status, granted, decided_at = GrantStatus.SUBMITTED, None, None
                if decision is not None and decision.starts_at < self.now:
                    decided_at = decision.starts_at + timedelta(hours=2)
                    roll = rng.random()
                    if roll < 0.1:
                        status, decision = GrantStatus.WITHDRAWN, None
                        decided_at = None
                    elif roll < 0.32:
                        status = GrantStatus.REFUSED
                    else:
                        granted = min(
                            requested,
                            (requested * Decimal(rng.uniform(0.6, 1))).quantize(Decimal("10")),
                        )
                        if granted > left or granted <= 0:
                            status, granted = GrantStatus.REFUSED, None
                        else:
                            status = GrantStatus.GRANTED
                            left -= granted
                else:
                    decision = None
                person = rng.choice(self.pool[qpv_id])
                grant_id = next(grant_ids)
                lines = [
                    {"label": label, "amount": f"{requested * share / 100:.2f}"}
                    for label, share in GRANT_LINES
                ]
                grants.append(
                    {
                        "id": grant_id,
                        "envelope_id": envelope_id,
                        "project_id": self._project_near(qpv_id, submitted)
                        if rng.random() < 0.5
                        else None,
                        "title": rng.choice(PROJECT_TITLES),
                        "description": "Une action portée par les habitants, ouverte à tous.",
                        "collective_name": f"Collectif {person.name.split()[-1]}",
                        "contact_name": person.name,
                        "contact_email": person.email,
                        "amount_requested": requested,
                        "budget_lines": lines,
                        "status": status,
                        "amount_granted": granted,
                        "decision_meeting_id": decision.id if decision else None,
                        "decision_reason": "Budget déjà engagé sur des actions similaires."
                        if status == GrantStatus.REFUSED
                        else "",
                        "decided_at": decided_at,
                        "decided_by_id": self.facilitator[qpv_id] if decided_at else None,
                        "submitted_by_id": person.user_id,
                        "submitted_at": self._at(submitted, 11),
                    }
                )
                if status == GrantStatus.GRANTED:
                    paid_on = self._paris_date(decided_at) + timedelta(days=15)
                    first_part = (granted * Decimal("0.7")).quantize(Decimal("0.01"))
                    if paid_on <= self.today:
                        payments.append(
                            {
                                "application_id": grant_id,
                                "amount": first_part,
                                "paid_on": paid_on,
                                "note": "Acompte",
                            }
                        )
                    if paid_on + timedelta(days=120) <= self.today and granted - first_part > 0:
                        payments.append(
                            {
                                "application_id": grant_id,
                                "amount": granted - first_part,
                                "paid_on": paid_on + timedelta(days=120),
                                "note": "Solde",
                            }
                        )
        self.writer.insert(FundEnvelope, envelope_rows, with_id=True)
        self.writer.insert(GrantApplication, grants, with_id=True)
        self.writer.insert(GrantPayment, payments)
        self._step(
            f"{len(envelope_rows)} fund envelopes, {len(grants)} applications, {len(payments)} payments."
        )

    def _project_near(self, qpv_id: int, day: date) -> int | None:
        listing = self.projects_by_qpv.get(qpv_id, [])
        index = bisect.bisect_right(listing, (day, math.inf))
        return listing[index - 1][1] if index else None

    def _influence(self) -> None:
        rng = self.rng
        rows = []
        for _ in range(self._volume("influence")):
            qpv = rng.choices(self.qpvs, self.qpv_weights)[0]
            meeting_id = question_id = None
            answered = self.answered_by_qpv.get(qpv.pk)
            held = self.held_by_qpv.get(qpv.pk)
            if held and (rng.random() < 0.6 or not answered):
                meeting = rng.choice(held)
                meeting_id, said_on = meeting.id, self._paris_date(meeting.starts_at)
            elif answered:
                said_on, question_id = rng.choice(answered)
            else:
                continue
            decided_on = min(said_on + timedelta(days=rng.randint(15, 180)), self.today)
            outcome = self._weighted(
                [
                    (InfluenceOutcome.ADOPTED, 45),
                    (InfluenceOutcome.PARTLY, 33),
                    (InfluenceOutcome.NOT_ADOPTED, 22),
                ]
            )
            rows.append(
                {
                    "qpv_id": qpv.pk,
                    "said": "Les habitants demandent des bancs et de l'ombre sur la place.",
                    "meeting_id": meeting_id,
                    "question_id": question_id,
                    "outcome": outcome,
                    "what_was_done": "Des bancs ont été posés ; les arbres seront plantés à "
                    "l'automne.",
                    "reason": ""
                    if outcome == InfluenceOutcome.ADOPTED
                    else "Contrainte budgétaire sur l'exercice en cours.",
                    "project_id": self._project_near(qpv.pk, decided_on)
                    if rng.random() < 0.35
                    else None,
                    "action": "Aménagement de la place" if rng.random() < 0.5 else "",
                    "institution_id": self.orgs_by_kind["ville"][qpv.pk],
                    "decided_on": decided_on,
                    "created_by_id": self.facilitator[qpv.pk],
                    "created_at": self._at(decided_on, 16),
                }
            )
        self.writer.insert(InfluenceRecord, rows)
        self._step(f"{len(rows)} influence records.")

    def _news(self) -> None:
        rng = self.rng
        rows = []
        for _ in range(self._volume("news")):
            qpv = rng.choices(self.qpvs, self.qpv_weights)[0] if rng.random() < 0.85 else None
            published = self._at(self._day(self.start, self.today), 9)
            body = "La prochaine rencontre du quartier aura lieu à la maison de quartier. Venez nombreux !"
            rows.append(
                {
                    "qpv_id": qpv.pk if qpv else None,
                    "title": f"Actualité — {qpv.name if qpv else 'métropole'}",
                    "body_markdown": body,
                    "body_html": f"<p>{html.escape(body)}</p>",
                    "image": "",
                    "image_alt": "",
                    "is_published": rng.random() < 0.95,
                    "published_at": min(published, self.now),
                    "author_id": self.facilitator[qpv.pk] if qpv else self.staff["coordination"],
                    "created_at": published,
                    "updated_at": published,
                }
            )
        self.writer.insert(NewsItem, rows)
        self._step(f"{len(rows)} news items.")


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def summary() -> dict[str, int]:
    """What the generated dataset holds (COUNT queries, for the command's final report)."""
    marked = "@" + EMAIL_DOMAIN
    meetings = Meeting.objects.filter(
        dialogue_space__host_organisation__contact_email__endswith=marked
    )
    registrations = Registration.objects.filter(meeting__in=meetings)
    questions = Question.objects.filter(token__startswith=TOKEN_PREFIX)
    return {
        "dialogue spaces": DialogueSpace.objects.filter(
            host_organisation__contact_email__endswith=marked
        ).count(),
        "meetings": meetings.count(),
        "meetings held": meetings.filter(status=MeetingStatus.HELD).count(),
        "registrations": registrations.count(),
        "registrations ticked present": registrations.filter(attended=True).count(),
        "distinct registrant emails (residents)": registrations.values("email").distinct().count(),
        "resident accounts": User.objects.filter(email__endswith=marked)
        .exclude(role_assignments__isnull=False)
        .count(),
        "walk-ins": WalkIn.objects.filter(meeting__in=meetings).count(),
        "speaking turns": SpeakingTurn.objects.filter(meeting__in=meetings).count(),
        "feedback answers": Feedback.objects.filter(meeting__in=meetings).count(),
        "questions": questions.count(),
        "questions answered": questions.filter(status=QuestionStatus.ANSWERED).count(),
        "projects": Project.objects.filter(proposed_by__email__endswith=marked).count(),
        "fund applications": GrantApplication.objects.filter(
            contact_email__endswith=marked
        ).count(),
        "influence records": InfluenceRecord.objects.filter(
            created_by__email__endswith=marked
        ).count(),
    }


__all__ = [
    "EMAIL_DOMAIN",
    "STAFF_PASSWORD",
    "STAFF_TOTP_SECRET",
    "TOKEN_PREFIX",
    "Generator",
    "delete_dataset",
    "existing_dataset",
    "staff_authenticators",
    "summary",
    "window",
]
