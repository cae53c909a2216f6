"""Demo projects for the local run (issue 6): projects at every stage in several QPV.

Each project has its timeline of dated steps, the participation level rising as residents take
the project over; some were born at a demo meeting, some answer a demo question, the others come
from a dialogue space. One is abandoned (with its reason), one went back a stage (with its reason),
the evaluated ones carry their experience evaluation, and two ideas proposed online await
moderation. Per QPV the projects that went furthest are created first: the fund's demo
(devtools/demo/fund.py), which runs after this one, links its grants to the first projects.

Deterministic and idempotent: nothing is done when the demo projects exist. Rows are written
directly, not through the services: loading the demo sends no email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from dialogue.models import DialogueSpace, Meeting, MeetingStatus
from participation.models import User
from projects.models import (
    CarriedBy,
    ExperienceEvaluation,
    ModerationStatus,
    ParticipationLevel,
    Project,
    ProjectOrigin,
    ProjectStage,
    ProjectStep,
)
from qpv.models import QPV
from questions.models import ACCEPTED_STATUSES, Question

S = ProjectStage
L = ParticipationLevel


@dataclass(frozen=True)
class Step:
    stage: str
    level: int
    residents: int
    note: str = ""
    reason: str = ""


@dataclass(frozen=True)
class DemoProject:
    qpv: str
    title: str
    summary: str
    origin: str
    carried_by: str
    carrier_name: str
    steps: list[Step]
    evaluation: dict | None = None
    abandoned_reason: str = ""
    pending: bool = False


# Ordered per QPV from the furthest stage: see the module's docstring.
PROJECTS = [
    DemoProject(
        "sanitas",
        "Un jardin partagé au pied des tours",
        "Transformer la pelouse entre les tours 3 et 5 en jardin partagé : une vingtaine de "
        "parcelles, un composteur, des bancs. Les habitants ont dessiné le plan et tiennent le "
        "planning d'arrosage.",
        ProjectOrigin.MEETING,
        CarriedBy.COLLECTIVE,
        "Collectif Les Mains Vertes",
        [
            Step(S.IDEA, L.CONSULTATION, 18, "Idée lancée au café des habitants."),
            Step(S.ELABORATION, L.CONCERTATION, 24, "Trois ateliers de dessin du plan."),
            Step(S.VALIDATED, L.CO_CONSTRUCTION, 30, "Plan validé avec Tours Habitat."),
            Step(S.FUNDED, L.CO_DECISION, 12, "Budget voté par le comité du fonds."),
            Step(S.IN_PROGRESS, L.CO_DECISION, 35, "Chantier participatif, deux samedis."),
            Step(S.COMPLETED, L.CO_DECISION, 40, "Inauguration avec les écoles."),
            Step(S.EVALUATED, L.CONCERTATION, 15, "Bilan en réunion publique."),
        ],
        evaluation={
            "voice_changed": "Le jardin est là où les habitants l'ont voulu (et non près du "
            "parking comme prévu), avec des bacs surélevés pour les personnes âgées, une demande "
            "venue des ateliers.",
            "to_keep": "Les ateliers de dessin ouverts à tous, le samedi matin, avec les enfants.",
            "to_change": "Associer plus tôt le bailleur : deux mois perdus à attendre son accord.",
            "highest_level": L.CO_DECISION,
        },
    ),
    DemoProject(
        "sanitas",
        "Fresque du square Saint-Paul",
        "Une fresque peinte par les jeunes du quartier avec un artiste, sur le mur aveugle du "
        "square.",
        ProjectOrigin.SPACE,
        CarriedBy.ASSOCIATION,
        "Association Couleurs Sanitas",
        [
            Step(S.IDEA, L.INFORMATION, 6),
            Step(S.ELABORATION, L.CONSULTATION, 20, "Vote sur trois esquisses."),
            Step(S.VALIDATED, L.CONCERTATION, 9),
            Step(S.FUNDED, L.CONCERTATION, 9),
            Step(S.IN_PROGRESS, L.CO_CONSTRUCTION, 25, "Peinture pendant les vacances."),
        ],
    ),
    DemoProject(
        "sanitas",
        "Navette vers le marché des Halles",
        "Une navette le samedi matin pour les personnes âgées qui ne peuvent plus porter leurs "
        "courses depuis l'arrêt de tram.",
        ProjectOrigin.QUESTION,
        CarriedBy.INSTITUTION,
        "Ville de Tours",
        [
            Step(S.IDEA, L.CONSULTATION, 10),
            Step(S.ELABORATION, L.CONCERTATION, 14, "Enquête auprès de 60 habitants."),
            Step(S.VALIDATED, L.CONCERTATION, 8),
            Step(
                S.ELABORATION,
                L.CONCERTATION,
                11,
                "Nouveau trajet étudié avec les habitants.",
                reason="Le trajet validé passait par une rue fermée par les travaux du tram : "
                "il a fallu le revoir.",
            ),
        ],
    ),
    DemoProject(
        "la-rabiere",
        "Repair café mensuel",
        "Réparer ensemble petits appareils, vélos et vêtements, un samedi par mois au centre "
        "social.",
        ProjectOrigin.SPACE,
        CarriedBy.COLLECTIVE,
        "Les Bricoleurs de la Rabière",
        [
            Step(S.IDEA, L.CONSULTATION, 7),
            Step(S.ELABORATION, L.CO_CONSTRUCTION, 12),
            Step(S.VALIDATED, L.CO_CONSTRUCTION, 12),
            Step(S.FUNDED, L.CO_DECISION, 9, "Outillage financé par le fonds."),
            Step(S.IN_PROGRESS, L.CO_DECISION, 16),
            Step(S.COMPLETED, L.CO_DECISION, 22, "Dix séances, 140 objets réparés."),
            Step(S.EVALUATED, L.CO_CONSTRUCTION, 10),
        ],
        evaluation={
            "voice_changed": "Les habitants ont choisi le samedi plutôt que le mercredi et "
            "ajouté la couture, qui attire aujourd'hui la moitié du public.",
            "to_keep": "Le café offert et l'accueil par les bénévoles du quartier.",
            "to_change": "Prévoir une garde d'enfants pour que les parents puissent venir.",
            "highest_level": L.CO_DECISION,
        },
    ),
    DemoProject(
        "la-rabiere",
        "Tables de pique-nique au parc de la Rabière",
        "Installer des tables de pique-nique et un point d'eau dans le parc, à l'ombre.",
        ProjectOrigin.MEETING,
        CarriedBy.INSTITUTION,
        "Ville de Joué-lès-Tours",
        [
            Step(S.IDEA, L.CONSULTATION, 15),
            Step(S.ELABORATION, L.CONCERTATION, 19, "Balade dans le parc pour choisir les lieux."),
            Step(S.VALIDATED, L.CONCERTATION, 7),
        ],
    ),
    DemoProject(
        "la-rabiere",
        "Cours de français pour les parents",
        "Des ateliers de français à l'école, pendant que les enfants sont en classe.",
        ProjectOrigin.QUESTION,
        CarriedBy.ASSOCIATION,
        "Lire et Dire",
        [Step(S.IDEA, L.CONSULTATION, 9, "Demande exprimée par des mères d'élèves.")],
    ),
    DemoProject(
        "europe",
        "Fête des voisins de l'Europe",
        "Une grande fête de quartier en juin, avec un repas partagé et des stands des "
        "associations.",
        ProjectOrigin.MEETING,
        CarriedBy.COLLECTIVE,
        "Comité des fêtes de l'Europe",
        [
            Step(S.IDEA, L.CONSULTATION, 11),
            Step(S.ELABORATION, L.CO_CONSTRUCTION, 23),
            Step(S.VALIDATED, L.CO_CONSTRUCTION, 23),
            Step(S.FUNDED, L.CO_DECISION, 10),
            Step(S.IN_PROGRESS, L.CO_DECISION, 45),
            Step(S.COMPLETED, L.CO_DECISION, 300, "Environ 300 personnes à la fête."),
        ],
    ),
    DemoProject(
        "europe",
        "Boîte à livres devant la médiathèque",
        "Une boîte à livres fabriquée par les jeunes du chantier éducatif.",
        ProjectOrigin.SPACE,
        CarriedBy.ASSOCIATION,
        "",
        [
            Step(S.IDEA, L.INFORMATION, 4),
            Step(S.ELABORATION, L.CONSULTATION, 8),
            Step(S.VALIDATED, L.CONCERTATION, 6),
            Step(S.FUNDED, L.CONCERTATION, 6, "Bois fourni par le bailleur."),
        ],
    ),
    DemoProject(
        "europe",
        "Terrain de basket éclairé",
        "Éclairer le terrain de basket le soir en hiver, jusqu'à 21 heures.",
        ProjectOrigin.QUESTION,
        CarriedBy.INSTITUTION,
        "Ville de Tours",
        [
            Step(S.IDEA, L.CONSULTATION, 14),
            Step(S.ELABORATION, L.CONCERTATION, 12),
        ],
        abandoned_reason="L'éclairage aurait gêné les logements voisins, qui s'y sont opposés "
        "lors de la réunion de concertation. Une salle de sport est ouverte le soir à la place.",
    ),
    DemoProject(
        "rives-du-cher",
        "Potager pédagogique de l'école",
        "Un potager tenu par les élèves et des habitants retraités, avec une récolte partagée.",
        ProjectOrigin.SPACE,
        CarriedBy.COLLECTIVE,
        "Les Grands-Parents Jardiniers",
        [
            Step(S.IDEA, L.CONSULTATION, 6),
            Step(S.ELABORATION, L.CO_CONSTRUCTION, 10),
            Step(S.VALIDATED, L.CO_CONSTRUCTION, 10),
            Step(S.FUNDED, L.CO_DECISION, 8),
            Step(S.IN_PROGRESS, L.CO_DECISION, 18),
            Step(S.COMPLETED, L.CO_DECISION, 26),
            Step(S.EVALUATED, L.CO_DECISION, 12, "Bilan avec les élèves et les retraités."),
        ],
        evaluation={
            "voice_changed": "Les retraités ont proposé d'ouvrir le potager pendant l'été, quand "
            "l'école est fermée : la récolte n'est plus perdue.",
            "to_keep": "Le binôme élève et retraité pour chaque parcelle.",
            "to_change": "",
            "highest_level": L.CO_DECISION,
        },
    ),
    DemoProject(
        "rives-du-cher",
        "Ateliers numériques pour les démarches",
        "Aider les habitants à faire leurs démarches en ligne, avec des bénévoles.",
        ProjectOrigin.MEETING,
        CarriedBy.ASSOCIATION,
        "Connexions Solidaires",
        [
            Step(S.IDEA, L.CONSULTATION, 13),
            Step(S.ELABORATION, L.CONCERTATION, 9),
        ],
    ),
    DemoProject(
        "la-rabaterie",
        "Aire de jeux rénovée",
        "Rénover l'aire de jeux avec les enfants et leurs parents.",
        ProjectOrigin.SPACE,
        CarriedBy.INSTITUTION,
        "Ville de Saint-Pierre-des-Corps",
        [
            Step(S.IDEA, L.CONSULTATION, 20),
            Step(S.ELABORATION, L.CO_CONSTRUCTION, 35, "Les enfants ont choisi les jeux."),
            Step(S.VALIDATED, L.CO_CONSTRUCTION, 12),
            Step(S.FUNDED, L.CONCERTATION, 5),
            Step(S.IN_PROGRESS, L.CONCERTATION, 5),
            Step(S.COMPLETED, L.CONCERTATION, 60, "Ouverture un mercredi après-midi."),
        ],
    ),
    DemoProject(
        "la-rabaterie",
        "Troc de vêtements d'enfants",
        "Un troc de vêtements d'enfants deux fois par an, à la salle des fêtes.",
        ProjectOrigin.ONLINE,
        CarriedBy.COLLECTIVE,
        "",
        [Step(S.IDEA, L.CONSULTATION, 1, "Idée proposée en ligne par une habitante.")],
        pending=True,
    ),
    DemoProject(
        "sanitas",
        "Un banc et de l'ombre à l'arrêt de bus",
        "L'arrêt de bus de l'avenue n'a ni banc ni abri : les personnes âgées attendent debout "
        "au soleil. Un banc et un arbre suffiraient.",
        ProjectOrigin.ONLINE,
        CarriedBy.COLLECTIVE,
        "",
        [Step(S.IDEA, L.CONSULTATION, 1, "Idée proposée en ligne par une habitante.")],
        pending=True,
    ),
]
STEP_GAP_DAYS = 45


def load_demo_projects(*, today: date | None = None) -> int:
    """Create the demo projects; returns how many (0 when they already exist)."""
    titles = [spec.title for spec in PROJECTS]
    if Project.objects.filter(title__in=titles).exists():
        return 0
    today = today or timezone.localdate()
    qpvs = {qpv.slug: qpv for qpv in QPV.objects.filter(slug__in={p.qpv for p in PROJECTS})}
    users = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    staff = users.get("referente.tours@example.org") or users.get("coordinatrice@example.org")
    resident = users.get("habitante@example.org")
    created = 0
    for index, spec in enumerate(PROJECTS):
        qpv = qpvs.get(spec.qpv)
        if qpv is None:
            continue
        _create(spec, qpv, today=today, offset=index, staff=staff, resident=resident)
        created += 1
    return created


def _origin(spec: DemoProject, qpv: QPV) -> dict:
    """A held demo meeting, a public demo question or a space of the QPV, when there is one."""
    if spec.origin == ProjectOrigin.MEETING:
        meeting = (
            Meeting.objects.filter(dialogue_space__qpv=qpv, status=MeetingStatus.HELD)
            .order_by("starts_at")
            .first()
        )
        if meeting is not None:
            return {"origin": spec.origin, "origin_meeting": meeting}
    if spec.origin == ProjectOrigin.QUESTION:
        question = (
            Question.objects.filter(qpv=qpv, status__in=ACCEPTED_STATUSES, public_display=True)
            .order_by("received_on")
            .first()
        )
        if question is not None:
            return {"origin": spec.origin, "origin_question": question}
    if spec.origin == ProjectOrigin.ONLINE:
        return {"origin": spec.origin}
    space = DialogueSpace.objects.filter(qpv=qpv).order_by("pk").first()
    if space is not None:
        return {"origin": ProjectOrigin.SPACE, "origin_space": space}
    return {"origin": ProjectOrigin.ONLINE}


def _create(spec: DemoProject, qpv: QPV, *, today: date, offset: int, staff, resident) -> None:
    steps = list(spec.steps)
    final_stage = ProjectStage.ABANDONED if spec.abandoned_reason else steps[-1].stage
    project = Project.objects.create(
        qpv=qpv,
        title=spec.title,
        summary=spec.summary,
        carried_by=spec.carried_by,
        carrier_name=spec.carrier_name,
        stage=final_stage,
        abandoned_reason=spec.abandoned_reason,
        moderation=ModerationStatus.PENDING if spec.pending else ModerationStatus.PUBLISHED,
        proposed_by=resident if spec.pending else None,
        **_origin(spec, qpv),
    )
    # The last step is a few days ago; the earlier ones every STEP_GAP_DAYS before it.
    extra = 1 if spec.abandoned_reason else 0
    last = today - timedelta(days=3 + offset % 9)
    count = len(steps) + extra
    dates = [last - timedelta(days=STEP_GAP_DAYS * (count - 1 - i)) for i in range(count)]
    rows = [
        ProjectStep(
            project=project,
            date=dates[i],
            stage=step.stage,
            participation_level=step.level,
            residents_involved=step.residents,
            note=step.note,
            reason=step.reason,
            created_by=resident if spec.pending else staff,
        )
        for i, step in enumerate(steps)
    ]
    if spec.abandoned_reason:
        rows.append(
            ProjectStep(
                project=project,
                date=dates[-1],
                stage=ProjectStage.ABANDONED,
                participation_level=steps[-1].level,
                reason=spec.abandoned_reason,
                created_by=staff,
            )
        )
    ProjectStep.objects.bulk_create(rows)
    if spec.evaluation is not None:
        ExperienceEvaluation.objects.create(
            project=project, evaluated_on=dates[-1], author=staff, **spec.evaluation
        )
