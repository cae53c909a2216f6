"""Demo questions and answers for the local run (issue 5): a year of questions in several QPV.

A realistic mix, so that the dashboard, the public Q&A and the figures have something to show:
answered on time, answered late, open and not yet due, overdue, closed without answer (with the
reason), a few awaiting moderation and one not published; some asked aloud at the demo meetings;
answers by the demo organisations, one published answer corrected once (AnswerRevision), one due
date moved (DueDateChange); each question's dated history (QuestionEvent). Deterministic (seeded)
and idempotent: nothing is done when questions exist. Rows are written directly, not through the
services: loading the demo sends no email.
"""

from __future__ import annotations

import importlib
import random
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F
from django.utils import timezone

from devtools.demo.meetings import PEOPLE
from dialogue.models import Meeting, MeetingStatus
from participation.models import User
from qpv.models import QPV, Organisation, OrganisationKind
from questions.models import (
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    DueDateChange,
    Question,
    QuestionEvent,
    QuestionStatus,
    Theme,
)

PARIS = ZoneInfo("Europe/Paris")
QPV_SLUGS = ["sanitas", "la-rabiere", "europe", "rives-du-cher", "la-rabaterie"]
QUESTIONS_PER_QPV = 16

# The easy-read summaries of some answers (issue 18), by the answer's text.
EASY_READ_ANSWERS = {
    "Le remplacement complet de l'ascenseur est commandé ; les travaux dureront trois "
    "semaines. Un portage des courses sera proposé aux locataires âgés pendant le chantier.": (
        "Nous allons changer l'ascenseur. Les travaux durent trois semaines. "
        "Pendant les travaux, nous aidons les personnes âgées à monter leurs courses."
    ),
}

# theme, the organisation kinds that answer it (first found serving the QPV), question, answer.
SUBJECTS = [
    (
        Theme.HOUSING,
        [OrganisationKind.BAILLEUR],
        "L'ascenseur de notre bâtiment tombe en panne chaque semaine. Quand sera-t-il remplacé ?",
        "Le remplacement complet de l'ascenseur est commandé ; les travaux dureront trois "
        "semaines. Un portage des courses sera proposé aux locataires âgés pendant le chantier.",
    ),
    (
        Theme.HOUSING,
        [OrganisationKind.BAILLEUR],
        "Des traces d'humidité reviennent dans les chambres malgré l'aération. Qui doit agir ?",
        "Un technicien passera dans chaque logement de la cage d'escalier concernée. Les "
        "ventilations seront nettoyées et, si besoin, les joints des fenêtres changés.",
    ),
    (
        Theme.HOUSING,
        [OrganisationKind.BAILLEUR],
        "Pourquoi les charges de chauffage ont-elles augmenté autant cette année ?",
        "La hausse vient du prix de l'énergie. Le détail par poste sera présenté à la prochaine "
        "réunion des locataires ; un échéancier est possible sur simple demande.",
    ),
    (
        Theme.LIVING_ENVIRONMENT,
        [OrganisationKind.VILLE, OrganisationKind.METROPOLE],
        "Les bacs à ordures débordent le week-end près de l'école. Peut-on ajouter un passage ?",
        "Un passage supplémentaire le samedi matin est ajouté à titre d'essai pour trois mois, "
        "et deux bacs de plus seront installés.",
    ),
    (
        Theme.LIVING_ENVIRONMENT,
        [OrganisationKind.VILLE],
        "Les bancs du square ont été retirés. Vont-ils être remis ?",
        "Les bancs abîmés ont été retirés pour des raisons de sécurité. Six bancs neufs seront "
        "posés au printemps, à l'ombre des arbres comme demandé en réunion.",
    ),
    (
        Theme.SAFETY,
        [OrganisationKind.VILLE, OrganisationKind.ETAT],
        "L'éclairage du passage entre les deux tours ne fonctionne plus. C'est dangereux le soir.",
        "Les lampadaires ont été réparés et passés en LED. Signalez toute nouvelle panne au "
        "numéro vert de la ville, affiché dans les halls.",
    ),
    (
        Theme.SAFETY,
        [OrganisationKind.ETAT, OrganisationKind.VILLE],
        "Des rodéos de motos ont lieu presque tous les soirs. Que fait-on ?",
        "Des contrôles renforcés ont lieu depuis le mois dernier, en lien avec la police "
        "municipale. Des aménagements pour ralentir les deux-roues sont à l'étude.",
    ),
    (
        Theme.MOBILITY,
        [OrganisationKind.METROPOLE],
        "Le bus passe toutes les 30 minutes le dimanche. Est-il possible d'en avoir plus ?",
        "La fréquence du dimanche passera à 20 minutes à la rentrée, sur toute la ligne.",
    ),
    (
        Theme.MOBILITY,
        [OrganisationKind.METROPOLE, OrganisationKind.VILLE],
        "Le trottoir de l'avenue n'est pas praticable en fauteuil roulant. Qui peut l'aménager ?",
        "Les bordures seront abaissées aux trois passages piétons signalés, dans le cadre du "
        "programme d'accessibilité de la voirie.",
    ),
    (
        Theme.YOUTH,
        [OrganisationKind.CENTRE_SOCIAL, OrganisationKind.VILLE],
        "Y aura-t-il des activités pour les 11-15 ans pendant les vacances d'été ?",
        "Oui : un accueil de loisirs ados ouvre en juillet, avec des sorties chaque semaine. "
        "Les inscriptions se font au centre social à partir de juin.",
    ),
    (
        Theme.YOUTH,
        [OrganisationKind.VILLE],
        "L'aide aux devoirs du soir va-t-elle continuer l'an prochain ?",
        "L'accompagnement à la scolarité est reconduit, quatre soirs par semaine, avec deux "
        "bénévoles de plus.",
    ),
    (
        Theme.EMPLOYMENT,
        [OrganisationKind.VILLE, OrganisationKind.ETAT],
        "Où trouver de l'aide pour rédiger un CV près du quartier ?",
        "Une permanence emploi a lieu chaque mardi matin à la maison de quartier, sans "
        "rendez-vous.",
    ),
    (
        Theme.HEALTH,
        [OrganisationKind.CENTRE_SOCIAL, OrganisationKind.VILLE],
        "Il n'y a plus de médecin généraliste qui prend de nouveaux patients. Des solutions ?",
        "Une maison de santé doit ouvrir l'an prochain ; en attendant, une permanence de "
        "médecine générale a lieu deux demi-journées par semaine au centre social.",
    ),
    (
        Theme.RENEWAL,
        [OrganisationKind.VILLE, OrganisationKind.METROPOLE],
        "Quand commencent les démolitions prévues par le projet de renouvellement urbain ?",
        "Le calendrier détaillé sera présenté en réunion publique. Les relogements commencent "
        "avant toute démolition, avec un accompagnement individuel de chaque foyer.",
    ),
    (
        Theme.CULTURE,
        [OrganisationKind.CENTRE_SOCIAL, OrganisationKind.VILLE],
        "Peut-on organiser une fête de quartier au printemps, et qui peut nous aider ?",
        "Le centre social peut prêter le matériel et aider pour les autorisations. Le fonds de "
        "participation des habitants peut financer une partie des frais.",
    ),
    (
        Theme.OTHER,
        [OrganisationKind.VILLE],
        "Le guichet de la mairie annexe va-t-il rester ouvert le samedi ?",
        "La mairie annexe reste ouverte le samedi matin ; les horaires de semaine changent en "
        "septembre et seront affichés.",
    ),
]
CLOSED_REASONS = [
    "Question posée deux fois : la réponse figure sur la question précédente du même quartier.",
    "Relève d'une copropriété privée : le syndic a été informé et reste le seul interlocuteur.",
]
REJECTED_REASON = (
    "Le message citait le nom et l'adresse d'un voisin : merci de reformuler la question sans "
    "données personnelles."
)
EXTENSION_REASON = "Le devis de l'entreprise est attendu : réponse précise après son passage."
# The share of each outcome for questions old enough to have one.
OUTCOMES = ["on_time"] * 10 + ["late"] * 4 + ["overdue"] * 4 + ["closed"]


def load_demo_questions(*, today: date | None = None) -> int:
    """Create the demo questions; returns how many (0 when questions already exist)."""
    if Question.objects.exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(2027)  # noqa: S311 (demo data, not security)
    staff = {user.email: user for user in User.objects.filter(email__endswith="@example.org")}
    organisations = list(Organisation.objects.active().prefetch_related("qpvs"))
    created = 0
    qpvs = QPV.objects.filter(slug__in=QPV_SLUGS).select_related("commune").order_by("slug")
    for qpv in qpvs:
        created += _qpv_questions(qpv, organisations, staff, today, rng)
    created += _intake_examples(qpvs, today)
    _one_correction_and_one_extension(staff, today)
    _history()
    return created


def _history() -> None:
    """The dated steps of every demo question, rebuilt as the migration rebuilt those of the
    questions that existed before the history was recorded (questions 0004)."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    backfill = importlib.import_module("questions.migrations.0004_backfill_question_events")
    backfill.backfill_events(
        Question=Question,
        QuestionEvent=QuestionEvent,
        DueDateChange=DueDateChange,
        Answer=Answer,
        LogEntry=LogEntry,
        ContentType=ContentType,
    )


def _organisation_for(qpv: QPV, kinds, organisations: list[Organisation]) -> Organisation | None:
    """The first organisation of the preferred kinds serving the QPV, else any serving it."""
    serving = [o for o in organisations if qpv in o.qpvs.all()]
    for kind in kinds:
        for organisation in serving:
            if organisation.kind == kind:
                return organisation
    return serving[0] if serving else None


def _author(organisation: Organisation | None, staff: dict[str, User]) -> User | None:
    if organisation is not None and organisation.name == "Tours Habitat":
        return staff.get("correspondant@example.org")
    return staff.get("referente.tours@example.org") or staff.get("coordinatrice@example.org")


def _address(handle: str) -> str:
    """ "inès.petit" → "ines.petit@example.org": addresses without accents, as people type them."""
    plain = unicodedata.normalize("NFKD", handle).encode("ascii", "ignore").decode()
    return f"{plain}@example.org"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=PARIS)


def _qpv_questions(qpv, organisations, staff, today: date, rng: random.Random) -> int:
    held = list(
        Meeting.objects.filter(
            dialogue_space__qpv=qpv, status=MeetingStatus.HELD, starts_at__lt=_at(today, 0)
        ).order_by("starts_at")
    )
    count = 0
    # Each subject once per QPV: the same question twice in a neighbourhood would look odd.
    subjects = rng.sample(SUBJECTS, k=min(QUESTIONS_PER_QPV, len(SUBJECTS)))
    for index, (theme, kinds, text, answer_text) in enumerate(subjects):
        organisation = _organisation_for(qpv, kinds, organisations)
        if organisation is None:
            continue
        delay = organisation.answer_delay_days
        # Spread over the year; the last few are recent (open, not yet due).
        age = rng.randrange(5, 28) if index >= len(subjects) - 3 else rng.randrange(20, 360)
        received_on = today - timedelta(days=age)
        meeting = None
        if held and rng.random() < 0.4:
            meeting = rng.choice(held)
            received_on = timezone.localdate(meeting.starts_at, PARIS)
            age = (today - received_on).days
        name, handle = rng.choice(PEOPLE)
        due_on = received_on + timedelta(days=delay)
        outcome = "open" if due_on >= today else rng.choice(OUTCOMES)
        if outcome == "overdue" and due_on < today - timedelta(days=120):
            # Months of silence would have been chased long ago: old ones got a late answer.
            outcome = "late"
        if outcome == "on_time":
            answered_on = received_on + timedelta(days=rng.randrange(3, delay + 1))
        elif outcome == "late":
            answered_on = due_on + timedelta(days=rng.randrange(1, 30))
        else:
            answered_on = None
        if answered_on is not None and answered_on >= today:
            answered_on, outcome = None, "overdue"
        status = {
            "on_time": QuestionStatus.ANSWERED,
            "late": QuestionStatus.ANSWERED,
            "overdue": QuestionStatus.FORWARDED,
            "closed": QuestionStatus.CLOSED,
            # A recent question is sometimes not forwarded yet.
            "open": QuestionStatus.FORWARDED if rng.random() < 0.7 else QuestionStatus.RECEIVED,
        }[outcome]
        routed = status != QuestionStatus.RECEIVED
        question = Question.objects.create(
            qpv=qpv,
            meeting=meeting,
            channel=Channel.MEETING if meeting else Channel.ONLINE,
            text=text,
            theme=theme,
            organisation=organisation if routed else None,
            asker_name=name,
            asker_email="" if meeting else _address(handle),
            show_name=rng.random() < 0.3,
            public_display=rng.random() < 0.9,
            status=status,
            received_on=received_on,
            due_on=due_on,
            answered_on=answered_on,
            closed_reason=rng.choice(CLOSED_REASONS) if outcome == "closed" else "",
            forwarded_at=_at(received_on + timedelta(days=2), 9) if routed else None,
        )
        # Written when it reached the team: that morning online, the evening of the meeting for
        # most questions heard there, and ten days later for a few (logged late, then forwarded).
        logged = {"created_at": _at(received_on, 10)}
        if meeting is not None:
            late = index % 7 == 3 and (
                answered_on is None or answered_on > received_on + timedelta(days=12)
            )
            logged["created_at"] = meeting.starts_at + timedelta(days=10 if late else 0, hours=3)
            if late and routed:
                logged["forwarded_at"] = logged["created_at"] + timedelta(days=1)
        Question.objects.filter(pk=question.pk).update(
            **{field: min(value, timezone.now()) for field, value in logged.items()}
        )
        if answered_on is not None:
            Answer.objects.create(
                question=question,
                organisation=organisation,
                text=answer_text,
                easy_read=EASY_READ_ANSWERS.get(answer_text, ""),
                author=_author(organisation, staff),
                status=AnswerStatus.PUBLISHED,
                published_at=_at(answered_on, 11),
            )
        elif outcome == "open" and routed and rng.random() < 0.3:
            Answer.objects.create(
                question=question,
                organisation=organisation,
                text=answer_text.split(".")[0] + ".",
                author=_author(organisation, staff),
                status=AnswerStatus.DRAFT,
            )
        count += 1
    return count


def _intake_examples(qpvs, today: date) -> int:
    """Online questions awaiting moderation, and one not published, in the first QPV."""
    qpv = next(iter(qpvs), None)
    if qpv is None:
        return 0
    pending = [
        (
            Theme.LIVING_ENVIRONMENT,
            "Les poubelles de la rue sont sorties trop tôt et traînent toute la journée.",
        ),
        (Theme.MOBILITY, "Pourrait-on avoir un abri à l'arrêt de bus devant la pharmacie ?"),
        (Theme.YOUTH, "Le city-stade ferme à 19 h : pourquoi pas 21 h l'été ?"),
    ]
    rows = []
    for index, (theme, text) in enumerate(pending):
        received_on = today - timedelta(days=index + 1)
        name, handle = PEOPLE[index * 7]
        rows.append(
            Question(
                qpv=qpv,
                channel=Channel.ONLINE,
                text=text,
                theme=theme,
                asker_name=name,
                asker_email=_address(handle),
                status=QuestionStatus.MODERATION,
                received_on=received_on,
                due_on=received_on + timedelta(days=30),
            )
        )
    received_on = today - timedelta(days=12)
    rows.append(
        Question(
            qpv=qpv,
            channel=Channel.ONLINE,
            text="Mon voisin du 4e fait du bruit toutes les nuits, il faut l'expulser.",
            theme=Theme.SAFETY,
            asker_name="Hugo Petit",
            asker_email="hugo.petit@example.org",
            status=QuestionStatus.REJECTED,
            rejected_reason=REJECTED_REASON,
            received_on=received_on,
            due_on=received_on + timedelta(days=30),
        )
    )
    for row in Question.objects.bulk_create(rows):
        Question.objects.filter(pk=row.pk).update(created_at=_at(row.received_on, 20))
    return len(rows)


def _one_correction_and_one_extension(staff: dict[str, User], today: date) -> None:
    answer = (
        Answer.objects.filter(status=AnswerStatus.PUBLISHED, question__public_display=True)
        .select_related("question")
        .order_by("question__received_on", "pk")
        .first()
    )
    # The answers were written when they were published (the creation above stamped today).
    Answer.objects.filter(status=AnswerStatus.PUBLISHED).update(updated_at=F("published_at"))
    if answer is not None:
        assert answer.published_at is not None  # a published answer
        # The first text gave a wrong date; the correction is public, the old text stays visible.
        revision = AnswerRevision.objects.create(
            answer=answer,
            previous_text=answer.text.replace(".", " (date à confirmer).", 1),
            edited_by=answer.author,
            edited_at=answer.published_at + timedelta(days=1),
        )
        Answer.objects.filter(pk=answer.pk).update(updated_at=revision.edited_at)
    question = (
        Question.objects.filter(status=QuestionStatus.FORWARDED, due_on__gte=today)
        .order_by("received_on", "pk")
        .first()
    )
    if question is not None:
        previous = question.due_on
        question.due_on = previous + timedelta(days=21)
        question.save(update_fields=["due_on"])
        DueDateChange.objects.create(
            question=question,
            previous_due_on=previous,
            new_due_on=question.due_on,
            reason=EXTENSION_REASON,
            changed_by=staff.get("referente.tours@example.org"),
            # A few days before the due date, and never in the future.
            changed_at=_at(
                max(
                    question.received_on,
                    min(previous - timedelta(days=3), today - timedelta(days=1)),
                ),
                10,
            ),
        )
