"""Demo meetings for the local run: a year of past meetings and three months ahead, per space.

Deterministic (seeded) and idempotent: a space that already has meetings is left as it is.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from dialogue.models import (
    DialogueSpace,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Registration,
    RegistrationStatus,
)

PARIS = ZoneInfo("Europe/Paris")
TITLES = [
    "Café des habitants : la vie du quartier",
    "Propreté et cadre de vie : faisons le point",
    "Atelier : imaginer la place centrale",
    "Rencontre avec le bailleur : travaux et charges",
    "Jeunesse : quelles activités pour l'été ?",
    "Diagnostic en marchant : sécurité des trajets",
    "Point d'étape du projet de renouvellement urbain",
    "Fonds de participation des habitants : vos idées",
]
AGENDA = (
    "1. Tour de table et nouvelles du quartier\n"
    "2. Réponses aux questions posées la dernière fois\n"
    "3. Sujet du jour\n"
    "4. Prochaines étapes"
)
FIRST_NAMES = ["Awa", "Karim", "Léa", "Mohamed", "Sofia", "Lucas", "Fatou", "Yanis", "Inès", "Hugo"]
LAST_NAMES = ["Diallo", "Benali", "Martin", "Nguyen", "Moreau", "Traoré", "Petit", "Haddad"]
PEOPLE = [
    (f"{first} {last}", f"{first}.{last}".lower()) for first in FIRST_NAMES for last in LAST_NAMES
]


def load_demo_meetings(*, spaces: list[DialogueSpace], today: date | None = None) -> int:
    """Create the meetings and registrations of the given spaces; returns how many meetings."""
    today = today or timezone.localdate()
    rng = random.Random(2026)  # noqa: S311 (demo data, not security)
    created = 0
    for space in spaces:
        if space.meetings.exists():
            continue
        created += _space_meetings(space, today, rng)
    return created


def _space_meetings(space: DialogueSpace, today: date, rng: random.Random) -> int:
    day = today - timedelta(days=365) + timedelta(days=rng.randrange(14))
    meetings = []
    while day <= today + timedelta(days=90):
        hour = rng.choice([14, 18, 18, 18, 10])
        starts = datetime.combine(day, time(hour, 0), tzinfo=PARIS)
        status = MeetingStatus.HELD if day < today - timedelta(days=14) else MeetingStatus.PLANNED
        cancelled = rng.random() < 0.05
        meetings.append(
            Meeting(
                dialogue_space=space,
                title=rng.choice(TITLES),
                starts_at=starts,
                ends_at=starts + timedelta(hours=2),
                venue=f"Salle de quartier — {space.qpv.name}",
                address=f"{rng.randrange(1, 40)} rue de la République, {space.qpv.commune.name}",
                access_notes="Arrêt de tram ou de bus à 5 minutes. Entrée par la cour.",
                accessibility_notes="Salle de plain-pied, toilettes accessibles.",
                step_free=rng.random() < 0.7,
                mode=MeetingMode.HYBRID if rng.random() < 0.1 else MeetingMode.IN_PERSON,
                online_url="",
                capacity=rng.choice([None, 15, 20, 30]),
                registration_required=rng.random() < 0.6,
                agenda=AGENDA,
                status=MeetingStatus.CANCELLED if cancelled else status,
                cancellation_reason="Salle indisponible (dégât des eaux)." if cancelled else "",
            )
        )
        day += timedelta(days=rng.choice([14, 21, 28, 35]))
    for meeting in meetings:
        if meeting.mode == MeetingMode.HYBRID and not meeting.online_url:
            meeting.online_url = "https://visio.example.org/quartiers"
    Meeting.objects.bulk_create(meetings)
    registrations = []
    for meeting in meetings:
        if meeting.status == MeetingStatus.CANCELLED:
            continue
        wanted = rng.randrange(3, 16) if meeting.starts_at.date() < today else rng.randrange(0, 8)
        seats = meeting.capacity if meeting.capacity is not None else wanted
        for index, (name, handle) in enumerate(rng.sample(PEOPLE, wanted)):
            confirmed = index < seats
            registrations.append(
                Registration(
                    meeting=meeting,
                    name=name,
                    email=f"{handle}@example.org",
                    status=RegistrationStatus.CONFIRMED
                    if confirmed
                    else RegistrationStatus.WAITLISTED,
                    confirmed_at=meeting.starts_at - timedelta(days=3) if confirmed else None,
                    waitlisted_at=None if confirmed else meeting.starts_at - timedelta(days=2),
                )
            )
    Registration.objects.bulk_create(registrations)
    return len(meetings)
