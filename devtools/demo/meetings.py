"""Demo meetings for the local run: a year of past meetings and three months ahead, per space.

Deterministic (seeded) and idempotent: a space that already has meetings is left as it is.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from dialogue.models import (
    AgeBand,
    AttendeeCategory,
    ComeBack,
    DialogueSpace,
    Feedback,
    FeedbackToken,
    Food,
    Gender,
    Meeting,
    MeetingMode,
    MeetingStatus,
    Minutes,
    MinutesStatus,
    Registration,
    RegistrationStatus,
    SpeakerCategory,
    SpeakingTurn,
    WalkIn,
    feedback_token_hash,
    new_feedback_token,
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
    _easy_read_next(meetings, today)
    for meeting in meetings:
        if meeting.status == MeetingStatus.HELD:
            # Held meetings had their attendance taken at the door, saved just after.
            meeting.attendance_saved_at = meeting.ends_at + timedelta(minutes=20)
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
    _door_attendance(space, meetings, registrations)
    Registration.objects.bulk_create(registrations)
    WalkIn.objects.bulk_create(_walk_ins(space, meetings))
    _meeting_log(space, meetings, registrations)
    return len(meetings)


# The next meeting of each space has an easy-read summary and its services (issue 18). Set without
# the random generator: the rest of the demo stays the same.
EASY_READ = (
    "Une rencontre pour parler du quartier. Tout le monde peut venir. "
    "Vous pouvez poser vos questions. Vous pouvez venir avec vos enfants."
)


def _easy_read_next(meetings: list[Meeting], today: date) -> None:
    upcoming = [
        meeting
        for meeting in meetings
        if meeting.status == MeetingStatus.PLANNED and meeting.starts_at.date() >= today
    ]
    if upcoming:
        meeting = upcoming[0]
        meeting.easy_read = EASY_READ
        meeting.childcare = True
        meeting.interpreting = "arabe, turc"
        meeting.food = Food.SNACK


def _door_rng(space: DialogueSpace, what: str) -> random.Random:
    # Its own seed: the meetings and registrations above stay the same whatever is added here.
    return random.Random(f"{what}-{space.qpv.slug}-{space.name}")  # noqa: S311 (demo data)


def _door_attendance(
    space: DialogueSpace, meetings: list[Meeting], registrations: list[Registration]
) -> None:
    """The check-in of the held meetings: most confirmed registrants came, some on the waiting
    list too; some said their gender and age band."""
    rng = _door_rng(space, "attendance")
    held = {id(meeting) for meeting in meetings if meeting.status == MeetingStatus.HELD}
    for registration in registrations:
        if id(registration.meeting) not in held:
            continue
        chance = 0.85 if registration.status == RegistrationStatus.CONFIRMED else 0.2
        registration.attended = rng.random() < chance
        if registration.attended:
            registration.checked_in_at = registration.meeting.starts_at + timedelta(
                minutes=rng.randrange(-20, 25)
            )
        if rng.random() < 0.6:
            registration.gender = rng.choice([Gender.WOMAN, Gender.WOMAN, Gender.MAN, Gender.OTHER])
        if rng.random() < 0.5:
            registration.age_band = rng.choice(AgeBand.values[1:])


def _walk_ins(space: DialogueSpace, meetings: list[Meeting]) -> list[WalkIn]:
    """People who came without registering to the held meetings, as counted at the door."""
    rng = _door_rng(space, "walk-ins")
    categories = [AttendeeCategory.RESIDENT] * 6 + [
        AttendeeCategory.ASSOCIATION,
        AttendeeCategory.ASSOCIATION,
        AttendeeCategory.INSTITUTION,
        AttendeeCategory.ELECTED,
    ]
    walk_ins = []
    for meeting in meetings:
        if meeting.status != MeetingStatus.HELD:
            continue
        for _ in range(rng.randrange(0, 9)):
            walk_ins.append(
                WalkIn(
                    meeting=meeting,
                    category=rng.choice(categories),
                    gender=rng.choice(["", Gender.WOMAN, Gender.WOMAN, Gender.MAN, Gender.OTHER]),
                    age_band=rng.choice(AgeBand.values),
                    first_time=rng.choice([None, True, True, False]),
                    created_at=meeting.starts_at + timedelta(minutes=rng.randrange(-15, 40)),
                )
            )
    return walk_ins


MINUTES_SUMMARY = (
    "Les habitants présents ont fait le point sur la vie du quartier. Les questions posées la "
    "dernière fois ont reçu leurs réponses ; de nouvelles questions ont été transmises."
)
SPEAKER_WEIGHTS = [
    (SpeakerCategory.RESIDENT, 40),
    (SpeakerCategory.INSTITUTION, 25),
    (SpeakerCategory.FACILITATOR, 15),
    (SpeakerCategory.ASSOCIATION, 10),
    (SpeakerCategory.ELECTED, 10),
]


def _meeting_log(
    space: DialogueSpace, meetings: list[Meeting], registrations: list[Registration]
) -> None:
    """Minutes, speaking turns and anonymous feedback of the held meetings."""
    rng = _door_rng(space, "log")
    held = [meeting for meeting in meetings if meeting.status == MeetingStatus.HELD]
    minutes, turns, tokens, feedbacks = [], [], [], []
    attendees: dict[int, int] = {}
    for registration in registrations:
        if registration.attended:
            attendees[id(registration.meeting)] = attendees.get(id(registration.meeting), 0) + 1
    categories, weights = zip(*SPEAKER_WEIGHTS, strict=True)
    for meeting in held:
        if rng.random() < 0.9:
            published = rng.random() < 0.85
            minutes.append(
                Minutes(
                    meeting=meeting,
                    summary=MINUTES_SUMMARY,
                    decisions="Un groupe de travail se réunira avant la prochaine rencontre.",
                    next_steps="Réponses attendues du bailleur et de la ville sous 30 jours.",
                    status=MinutesStatus.PUBLISHED if published else MinutesStatus.DRAFT,
                    published_at=meeting.starts_at + timedelta(days=rng.randrange(2, 10))
                    if published
                    else None,
                )
            )
        if rng.random() < 0.6:
            at = meeting.starts_at + timedelta(minutes=5)
            while at < meeting.ends_at - timedelta(minutes=10):
                length = timedelta(seconds=rng.randrange(20, 240))
                turns.append(
                    SpeakingTurn(
                        meeting=meeting,
                        category=rng.choices(categories, weights)[0],
                        started_at=at,
                        ended_at=at + length,
                    )
                )
                at += length + timedelta(seconds=rng.randrange(2, 30))
            meeting.residents_who_spoke = rng.randrange(2, 11)
        invited = attendees.get(id(meeting), 0)
        if invited:
            meeting.feedback_sent_at = meeting.ends_at + timedelta(hours=1)
            for index in range(invited):
                answered = index < invited * 0.4
                tokens.append(
                    FeedbackToken(
                        meeting=meeting,
                        token_hash=feedback_token_hash(new_feedback_token()),
                        created_at=meeting.feedback_sent_at,
                        used_at=meeting.feedback_sent_at if answered else None,
                    )
                )
                if answered:
                    feedbacks.append(
                        Feedback(
                            meeting=meeting,
                            felt_heard=rng.choice([2, 3, 4, 4, 5, 5]),
                            felt_legitimate=rng.choice([2, 3, 3, 4, 5, 5]),
                            understood_institutions=rng.choice([1, 2, 3, 3, 4, 5]),
                            will_come_back=rng.choice(
                                [ComeBack.YES, ComeBack.YES, ComeBack.MAYBE, ComeBack.NO]
                            ),
                            answered_on=timezone.localdate(meeting.ends_at),
                        )
                    )
    Minutes.objects.bulk_create(minutes)
    SpeakingTurn.objects.bulk_create(turns)
    FeedbackToken.objects.bulk_create(tokens)
    Feedback.objects.bulk_create(feedbacks)
    Meeting.objects.bulk_update(held, ["residents_who_spoke", "feedback_sent_at"])
