"""Demo participation fund for the local run: an envelope per QPV for 2024, 2025 and 2026.

Each envelope has applications from residents' collectives: granted in full and paid, granted in
part (with the committee's reason) and partly paid, refused (with the reason), and, for the current
year, some still waiting for the committee. Decisions are linked to a held demo meeting of the
QPV when there is one in that year (the demo meetings cover the last twelve months). An envelope is
never over-committed. Deterministic (seeded) and idempotent: nothing is done when envelopes exist.
Rows are written directly, not through the services: loading the demo sends no email.
"""

from __future__ import annotations

import random
import unicodedata
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from devtools.demo.meetings import PEOPLE
from dialogue.models import Meeting, MeetingStatus
from participation.models import RoleAssignment, User
from participation.roles import Role
from projects.models import (
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    ModerationStatus,
    Project,
)
from qpv.models import QPV

PARIS = ZoneInfo("Europe/Paris")
YEARS = (2024, 2025, 2026)

# title, collective, description, budget lines as (label, share of the amount in %).
ACTIONS = [
    (
        "Fête de quartier de l'été",
        "Collectif des habitants en fête",
        "Une après-midi festive au pied des immeubles : jeux pour les enfants, scène ouverte, "
        "repas partagé préparé par les habitants.",
        [("Location de sonorisation et barnums", 45), ("Alimentation", 35), ("Animations", 20)],
    ),
    (
        "Jardin partagé au pied des tours",
        "Association Les Mains Vertes",
        "Aménager six bacs de culture accessibles, avec des ateliers de jardinage ouverts à tous "
        "les habitants le mercredi.",
        [("Bacs et terre", 55), ("Outils et graines", 30), ("Récupérateur d'eau", 15)],
    ),
    (
        "Sortie familiale au bord de la Loire",
        "Collectif des parents",
        "Une journée en car pour des familles qui partent peu : pique-nique, balade en bateau "
        "et découverte des bords de Loire.",
        [("Location du car", 60), ("Balade en bateau", 30), ("Goûter", 10)],
    ),
    (
        "Atelier vélo solidaire",
        "Les Roues du Quartier",
        "Réparer ensemble les vélos des habitants, une fois par mois, avec un bénévole "
        "mécanicien ; apprendre à faire soi-même.",
        [("Outillage", 50), ("Pièces détachées", 40), ("Assurance", 10)],
    ),
    (
        "Tournoi de football inter-quartiers",
        "Association sportive des jeunes",
        "Un tournoi pour les 12-17 ans, filles et garçons, organisé par les jeunes eux-mêmes, "
        "avec une remise de prix et un repas.",
        [("Maillots et ballons", 50), ("Trophées", 20), ("Repas", 30)],
    ),
    (
        "Fresque murale participative",
        "Collectif Couleurs du quartier",
        "Peindre avec un artiste et les habitants le mur du passage piéton, sur un dessin choisi "
        "en réunion publique.",
        [("Peinture et matériel", 40), ("Intervention de l'artiste", 60)],
    ),
    (
        "Cinéma en plein air",
        "Les Amis du ciné",
        "Deux soirées de projection sur la place, avec un film choisi par les habitants et une "
        "buvette tenue par les jeunes.",
        [("Location de l'écran et du projecteur", 70), ("Droits de projection", 30)],
    ),
    (
        "Bourse aux vêtements d'hiver",
        "Collectif Solidarité Entraide",
        "Collecter, trier et redistribuer des vêtements chauds aux familles du quartier, avec "
        "un temps convivial autour d'un café.",
        [("Portants et cintres", 40), ("Communication", 20), ("Café et goûter", 40)],
    ),
    (
        "Atelier cuisine du monde",
        "Association Saveurs partagées",
        "Chaque mois, un habitant fait découvrir une recette de son pays ; le repas est ensuite "
        "partagé entre les participants.",
        [("Ingrédients", 65), ("Location de la cuisine", 35)],
    ),
    (
        "Boîte à livres et lectures au square",
        "Collectif Lire ensemble",
        "Installer une boîte à livres fabriquée par les habitants et organiser des lectures "
        "pour les enfants le samedi matin.",
        [("Bois et quincaillerie", 50), ("Livres jeunesse", 50)],
    ),
]
REFUSAL_REASONS = [
    "Le projet relève d'un autre financement (contrat de ville, appel à projets jeunesse) : "
    "le comité vous invite à le déposer auprès de la référente, qui vous accompagnera.",
    "Le budget ne détaille pas assez les dépenses ; le comité vous propose de revenir avec "
    "des devis à sa prochaine séance.",
    "L'action aurait lieu hors du quartier et ne concerne pas ses habitants en priorité.",
]
PARTIAL_REASONS = [
    "Le comité finance l'action hors alimentation, prise en charge par le centre social.",
    "Le matériel sera prêté par la ville : le comité finance le reste du budget.",
    "Le comité a réparti l'enveloppe entre plusieurs actions de la séance.",
]


def load_demo_fund(*, today: date | None = None) -> int:
    """Create the envelopes, applications and payments; returns how many envelopes."""
    if FundEnvelope.objects.exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(6)  # noqa: S311 (demo data, not security)
    staff = _deciders()
    resident = User.objects.filter(email="habitante@example.org").first()
    meetings = _held_meetings_by_qpv_and_year()
    projects = _projects_by_qpv()
    created = 0
    for qpv in QPV.objects.select_related("commune").order_by("pk"):
        for year in YEARS:
            if year > today.year:
                continue
            envelope = FundEnvelope.objects.create(
                qpv=qpv,
                year=year,
                amount=Decimal(rng.randrange(8000, 15001, 500)),
                set_by=staff.get(qpv.commune_id),
            )
            created += 1
            _applications(
                envelope,
                today=today,
                rng=rng,
                decider=staff.get(qpv.commune_id),
                resident=resident if qpv.slug == "sanitas" else None,
                meetings=meetings.get((qpv.pk, year), []),
                projects=projects.get(qpv.pk, []),
            )
    return created


def _deciders() -> dict[int, User]:
    """The demo referent of each commune (the coordinator elsewhere), who records the decisions."""
    coordinator = (
        RoleAssignment.objects.filter(role=Role.COORDINATOR).select_related("user").first()
    )
    by_commune: dict[int, User] = {}
    for assignment in RoleAssignment.objects.filter(role=Role.REFERENT).select_related("user"):
        by_commune.setdefault(assignment.commune_id, assignment.user)
    if coordinator is not None:
        from qpv.models import Commune

        for commune_id in Commune.objects.values_list("pk", flat=True):
            by_commune.setdefault(commune_id, coordinator.user)
    return by_commune


def _held_meetings_by_qpv_and_year() -> dict[tuple[int, int], list[Meeting]]:
    meetings: dict[tuple[int, int], list[Meeting]] = {}
    held = Meeting.objects.filter(status=MeetingStatus.HELD).select_related("dialogue_space")
    for meeting in held.order_by("starts_at"):
        year = timezone.localtime(meeting.starts_at, PARIS).year
        meetings.setdefault((meeting.dialogue_space.qpv_id, year), []).append(meeting)
    return meetings


def _projects_by_qpv() -> dict[int, list[Project]]:
    projects: dict[int, list[Project]] = {}
    for project in Project.objects.filter(moderation=ModerationStatus.PUBLISHED).order_by("pk"):
        projects.setdefault(project.qpv_id, []).append(project)
    return projects


def _lines(amount: Decimal, shares: list[tuple[str, int]]) -> list[dict]:
    """Budget lines that add up exactly to the amount (rounded to 10 €, the rest on the last)."""
    lines, total = [], Decimal("0")
    for label, share in shares[:-1]:
        value = (amount * share / 100 / 10).quantize(Decimal("1")) * 10
        lines.append({"label": label, "amount": f"{value:.2f}"})
        total += value
    lines.append({"label": shares[-1][0], "amount": f"{amount - total:.2f}"})
    return lines


def _ascii(text: str) -> str:
    """ "inès.haddad" → "ines.haddad": demo addresses without accents."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=PARIS)


def _applications(
    envelope: FundEnvelope,
    *,
    today: date,
    rng: random.Random,
    decider: User | None,
    resident: User | None,
    meetings: list[Meeting],
    projects: list[Project],
) -> None:
    current = envelope.year == today.year
    count = rng.randint(4, 6)
    actions = rng.sample(ACTIONS, count)
    left = envelope.amount
    applications: list[GrantApplication] = []
    payments: list[tuple[int, Decimal, date]] = []
    for index, (title, collective, description, shares) in enumerate(actions):
        requested = Decimal(rng.randrange(600, 3001, 50))
        name, handle = rng.choice(PEOPLE)
        # This year: the last two wait for the committee; earlier years are all decided.
        pending = current and index >= count - 2
        if meetings:
            # The committee meets a few times a year: the applications spread over its meetings.
            meeting = meetings[index * len(meetings) // count]
            decided_on = timezone.localtime(meeting.starts_at, PARIS).date()
        else:
            meeting = None
            decided_on = date(envelope.year, rng.choice([3, 6, 10]), rng.randint(2, 27))
        decided_on = min(decided_on, today - timedelta(days=1))
        submitted_on = decided_on - timedelta(days=rng.randint(15, 45))
        application = GrantApplication(
            envelope=envelope,
            project=projects[index] if index < len(projects) and index < 2 else None,
            title=title,
            description=description,
            collective_name=collective,
            contact_name=name,
            contact_email=f"{_ascii(handle)}@example.org",
            contact_phone=f"06 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
            f"{rng.randint(10, 99)}",
            amount_requested=requested,
            budget_lines=_lines(requested, shares),
            submitted_by=resident if index == 0 else None,
            submitted_at=_at(submitted_on, 11),
        )
        if pending:
            application.submitted_at = _at(today - timedelta(days=rng.randint(3, 30)), 11)
            applications.append(application)
            continue
        roll = rng.random()
        if roll < 0.18 or left < 300:
            application.status = GrantStatus.REFUSED
            application.decision_reason = (
                rng.choice(REFUSAL_REASONS)
                if left >= 300
                else "L'enveloppe de l'année est entièrement engagée ; le comité vous invite "
                "à déposer à nouveau le projet sur l'enveloppe suivante."
            )
        else:
            partial = roll < 0.4 or requested > left
            amount = requested
            if partial:
                amount = min(left, (requested * Decimal("0.7") / 50).quantize(Decimal("1")) * 50)
                application.decision_reason = rng.choice(PARTIAL_REASONS)
            application.status = GrantStatus.GRANTED
            application.amount_granted = amount
            left -= amount
            # Paid in full after the action for the past years; this year, partly (an advance).
            first_payment = min(decided_on + timedelta(days=rng.randint(10, 30)), today)
            if current and rng.random() < 0.5:
                payments.append((index, (amount / 2).quantize(Decimal("0.01")), first_payment))
            elif not current or rng.random() < 0.6:
                payments.append((index, amount, first_payment))
        application.decision_meeting = meeting
        application.decided_at = _at(decided_on, 20)
        application.decided_by = decider
        applications.append(application)
    GrantApplication.objects.bulk_create(applications)
    GrantPayment.objects.bulk_create(
        GrantPayment(
            application=applications[index],
            amount=amount,
            paid_on=paid_on,
            note="Virement au collectif",
            recorded_by=decider,
        )
        for index, amount, paid_on in payments
    )
