"""Demo 'Vous avez dit, nous avons fait' records and news for the local run (issue 6).

About twenty records across the QPV, every outcome present (a reason for those not fully adopted),
linked to the demo meetings, questions and projects of their QPV when there are some; about ten
news items, some metropole-wide, one scheduled, one draft, one with a generated image and its alt
text. Deterministic and idempotent: each part does nothing when its rows exist. Rows are written
directly (the news bodies through the Markdown renderer): loading the demo sends no email.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from dialogue.models import Meeting, MeetingStatus
from participation.models import User
from projects.models import InfluenceOutcome, InfluenceRecord, Project
from qpv.markdown import render_markdown
from qpv.models import QPV, NewsItem, Organisation, OrganisationKind
from questions.models import ACCEPTED_STATUSES, Question

ADOPTED = InfluenceOutcome.ADOPTED
PARTLY = InfluenceOutcome.PARTLY
NOT_ADOPTED = InfluenceOutcome.NOT_ADOPTED

# qpv slug, days ago, outcome, what residents said, what was done, reason, action, institution kind.
RECORDS = [
    (
        "sanitas",
        20,
        ADOPTED,
        "Le passage piéton devant l'école Mirabeau est trop sombre le soir.",
        "Deux lampadaires à LED ont été installés et le marquage au sol refait.",
        "",
        "Éclairage public",
        OrganisationKind.VILLE,
    ),
    (
        "sanitas",
        45,
        PARTLY,
        "Les habitants demandent un local pour les jeunes, ouvert le soir et le week-end.",
        "Le centre social ouvre une salle aux 15-20 ans le mercredi et le samedi après-midi.",
        "Une ouverture le soir demande un animateur de plus, que le budget 2026 ne permet pas ; "
        "la demande est reportée au budget 2027.",
        "",
        OrganisationKind.CENTRE_SOCIAL,
    ),
    (
        "sanitas",
        90,
        NOT_ADOPTED,
        "Supprimer le stationnement payant place Saint-Paul pour les résidents.",
        "Le stationnement reste payant ; un tarif résident à 15 € par mois a été rappelé.",
        "La place sert aussi aux clients des commerces : la gratuité la remplirait de voitures "
        "ventouses. Le tarif résident existe déjà et sera mieux affiché.",
        "Stationnement",
        OrganisationKind.VILLE,
    ),
    (
        "sanitas",
        150,
        ADOPTED,
        "Associer les habitants au choix des jeux de la future aire de jeux.",
        "Trois modèles ont été soumis au vote au café des habitants ; celui choisi est commandé.",
        "",
        "",
        OrganisationKind.VILLE,
    ),
    (
        "la-rabiere",
        30,
        ADOPTED,
        "Les bancs du mail ont été retirés : les personnes âgées n'ont plus où s'asseoir.",
        "Six bancs ont été reposés le long du mail, dont deux avec accoudoirs.",
        "",
        "Mobilier urbain",
        OrganisationKind.VILLE,
    ),
    (
        "la-rabiere",
        75,
        PARTLY,
        "Nettoyer les caves et les parkings souterrains chaque mois.",
        "Un nettoyage trimestriel des caves est programmé ; les parkings sont nettoyés chaque mois.",
        "Le nettoyage mensuel des caves doublerait les charges des locataires ; le conseil "
        "citoyen a préféré le rythme trimestriel.",
        "Propreté des parties communes",
        OrganisationKind.BAILLEUR,
    ),
    (
        "la-rabiere",
        200,
        NOT_ADOPTED,
        "Prolonger la ligne de bus 3 jusqu'au bout du quartier.",
        "La ligne n'est pas prolongée ; un arrêt a été rapproché de 200 mètres.",
        "Le prolongement allongerait le trajet de tous les voyageurs de la ligne ; l'étude "
        "sera reprise avec la refonte du réseau en 2027.",
        "Transports",
        OrganisationKind.METROPOLE,
    ),
    (
        "europe",
        25,
        ADOPTED,
        "Des permanences du bailleur au pied des tours, pas seulement à l'agence.",
        "Une permanence a lieu chaque premier mardi du mois dans le hall de la tour 5.",
        "",
        "",
        OrganisationKind.BAILLEUR,
    ),
    (
        "europe",
        120,
        PARTLY,
        "Planter des arbres et créer des coins d'ombre dans la cour de l'école.",
        "Huit arbres ont été plantés ; les voiles d'ombrage seront posés l'été prochain.",
        "Les voiles demandent une étude de la structure du préau, en cours.",
        "Végétalisation",
        OrganisationKind.VILLE,
    ),
    (
        "europe",
        240,
        NOT_ADOPTED,
        "Transformer le parking du centre commercial en marché couvert.",
        "Le parking reste un parking ; un marché de plein air a lieu le jeudi matin.",
        "Le parking appartient au centre commercial, qui n'a pas donné son accord.",
        "",
        OrganisationKind.VILLE,
    ),
    (
        "rives-du-cher",
        15,
        ADOPTED,
        "Réparer la porte du hall B qui ne ferme plus depuis des mois.",
        "La porte et son digicode ont été remplacés.",
        "",
        "",
        OrganisationKind.BAILLEUR,
    ),
    (
        "rives-du-cher",
        100,
        PARTLY,
        "Ouvrir la piscine du quartier le dimanche.",
        "La piscine ouvre deux dimanches par mois, de 9 h à 13 h.",
        "Une ouverture tous les dimanches demande des maîtres-nageurs qui manquent.",
        "Équipements sportifs",
        OrganisationKind.METROPOLE,
    ),
    (
        "la-rabaterie",
        35,
        ADOPTED,
        "Des ateliers d'aide aux démarches en ligne, près de chez nous.",
        "Un conseiller numérique tient un atelier chaque jeudi à la maison de quartier.",
        "",
        "Accès aux droits",
        OrganisationKind.ETAT,
    ),
    (
        "la-rabaterie",
        180,
        NOT_ADOPTED,
        "Fermer la rue du Docteur Fournier à la circulation les jours de marché.",
        "La rue reste ouverte ; la vitesse y est limitée à 20 km/h les jours de marché.",
        "La rue est le seul accès des secours à deux résidences.",
        "Circulation",
        OrganisationKind.VILLE,
    ),
    (
        "le-morier",
        60,
        ADOPTED,
        "Un composteur partagé pour les immeubles de la rue de Verdun.",
        "Deux composteurs ont été installés avec une formation des habitants volontaires.",
        "",
        "Compostage",
        OrganisationKind.METROPOLE,
    ),
    (
        "les-fontaines",
        50,
        PARTLY,
        "Remettre un distributeur de billets dans le quartier.",
        "Un point de retrait a été ouvert au bureau de tabac de la place.",
        "Aucune banque n'a accepté d'installer un distributeur ; le point de retrait en "
        "tient lieu.",
        "",
        OrganisationKind.VILLE,
    ),
    (
        "rochepinard",
        80,
        ADOPTED,
        "Sécuriser la traversée de l'avenue à la sortie du collège.",
        "Un plateau surélevé et un feu à bouton ont été installés.",
        "",
        "Sécurité routière",
        OrganisationKind.METROPOLE,
    ),
    (
        "maryse-bastie",
        110,
        NOT_ADOPTED,
        "Créer un terrain de foot synthétique sur l'espace vert central.",
        "L'espace vert est conservé ; le city-stade voisin a été rénové.",
        "L'espace vert est le seul du quartier et les riverains tiennent à le garder.",
        "",
        OrganisationKind.VILLE,
    ),
    (
        "niqueux-bruere-marcel-pagnol",
        70,
        ADOPTED,
        "Faire connaître les aides pour les factures d'énergie.",
        "Une réunion d'information et une permanence mensuelle ont été organisées.",
        "",
        "Précarité énergétique",
        OrganisationKind.VILLE,
    ),
    (
        "bords-de-loire",
        130,
        PARTLY,
        "Des toilettes publiques le long des bords de Loire.",
        "Des toilettes sèches sont installées de mai à septembre.",
        "Des toilettes permanentes ne peuvent pas être raccordées en zone inondable.",
        "",
        OrganisationKind.METROPOLE,
    ),
]

# qpv slug (None: metropole-wide), days ago (negative: scheduled), published, title, Markdown.
NEWS = [
    (
        None,
        2,
        True,
        "Les rencontres de quartier reprennent en septembre",
        "Après l'été, les **cafés des habitants** et les **conseils citoyens** reprennent "
        "dans les 13 quartiers.\n\n## Comment venir\n\n- Consultez l'agenda du site\n- "
        "Inscrivez-vous ou venez librement\n\nToutes les dates sont sur [l'agenda](/agenda/).",
    ),
    (
        "sanitas",
        5,
        True,
        "Fête de quartier au Sanitas le 20 juin",
        "Le collectif des habitants et le centre social organisent la **fête de quartier** "
        "place Saint-Paul, de 14 h à 22 h : jeux, repas partagé et concert.\n\n"
        "Les habitants qui veulent tenir un stand peuvent s'inscrire au centre social.",
    ),
    (
        "sanitas",
        40,
        True,
        "Travaux de la place Saint-Paul : ce qui change",
        "Les travaux de rénovation de la place commencent le 3 mars pour six mois.\n\n"
        "## Pendant les travaux\n\n- Le marché est déplacé rue Marcel Tribut\n"
        "- L'arrêt de bus Saint-Paul est décalé de 100 mètres\n\n"
        "> Les plans ont été présentés au comité de suivi de la rénovation urbaine.",
    ),
    (
        "la-rabiere",
        12,
        True,
        "Un composteur partagé au pied des immeubles",
        "Grâce à la demande des habitants, deux composteurs sont installés rue de Verdun. "
        "Une formation gratuite a lieu samedi à 10 h.",
    ),
    (
        None,
        20,
        True,
        "Fonds de participation des habitants : déposez vos projets",
        "Vous avez un projet pour votre quartier ? Le **fonds de participation des "
        "habitants** peut le financer. Le comité des habitants décide à chaque réunion.\n\n"
        "Plus d'informations : [tours-metropole.fr](https://www.tours-metropole.fr/).",
    ),
    (
        "europe",
        8,
        True,
        "Permanence de Tours Habitat dans le hall de la tour 5",
        "Chaque premier mardi du mois, de 14 h à 17 h, un chargé de clientèle reçoit les "
        "locataires sans rendez-vous.",
    ),
    (
        "la-rabaterie",
        28,
        True,
        "Ateliers numériques à la maison de quartier",
        "Un conseiller numérique vous aide pour vos démarches en ligne *chaque jeudi* de "
        "9 h à 12 h. Venez avec vos identifiants.",
    ),
    (
        "rives-du-cher",
        60,
        True,
        "La piscine ouvre deux dimanches par mois",
        "À la demande des habitants, la piscine du quartier ouvre le premier et le troisième "
        "dimanche du mois, de 9 h à 13 h.",
    ),
    (
        None,
        -7,
        True,
        "Bilan annuel de la participation citoyenne",
        "Le bilan de l'année sera présenté à l'Assemblée plénière du Contrat de ville.",
    ),
    (
        "sanitas",
        1,
        False,
        "Brouillon : réunion sur le jardin partagé",
        "Texte en préparation.",
    ),
]
IMAGE_NEWS_TITLE = "Fête de quartier au Sanitas le 20 juin"
IMAGE_NAME = "news/demo/fete-de-quartier-sanitas.png"
IMAGE_ALT = "Affiche de la fête de quartier : des guirlandes colorées au-dessus de la place."


def load_demo_influence(*, today: date | None = None) -> int:
    """Create the demo records and news; returns how many rows (0 when both already exist)."""
    today = today or timezone.localdate()
    return _records(today) + _news()


def _institution(kind: str, qpv: QPV, organisations: list[Organisation]) -> Organisation | None:
    serving = [o for o in organisations if o.kind == kind and qpv in o.qpvs.all()]
    return serving[0] if serving else None


def _records(today: date) -> int:
    if InfluenceRecord.objects.exists():
        return 0
    qpvs = {qpv.slug: qpv for qpv in QPV.objects.select_related("commune")}
    organisations = list(Organisation.objects.active().prefetch_related("qpvs"))
    author = User.objects.filter(email="coordinatrice@example.org").first()
    used_meetings: set[int] = set()
    used_questions: set[int] = set()
    used_projects: set[int] = set()
    rows = []
    for index, (slug, days, outcome, said, done, reason, action, kind) in enumerate(RECORDS):
        qpv = qpvs[slug]
        decided_on = today - timedelta(days=days)
        # Held meetings and public questions of the QPV before the decision, each used once.
        meeting = (
            Meeting.objects.filter(
                dialogue_space__qpv=qpv,
                status=MeetingStatus.HELD,
                starts_at__date__lt=decided_on,
            )
            .exclude(pk__in=used_meetings)
            .order_by("-starts_at")
            .first()
        )
        question = None
        if index % 2 or meeting is None:
            question = (
                Question.objects.filter(
                    qpv=qpv,
                    status__in=ACCEPTED_STATUSES,
                    public_display=True,
                    received_on__lt=decided_on,
                )
                .exclude(pk__in=used_questions)
                .order_by("-received_on")
                .first()
            )
        if question is not None:
            meeting = question.meeting if question.meeting_id else None
        project = (
            Project.objects.filter(qpv=qpv).exclude(pk__in=used_projects).order_by("pk").first()
            if index % 3 == 0
            else None
        )
        for used, item in ((used_meetings, meeting), (used_questions, question)):
            if item is not None:
                used.add(item.pk)
        if project is not None:
            used_projects.add(project.pk)
        rows.append(
            InfluenceRecord(
                qpv=qpv,
                said=said,
                meeting=meeting,
                question=question,
                outcome=outcome,
                what_was_done=done,
                reason=reason,
                project=project,
                action=action if project is None else "",
                institution=_institution(kind, qpv, organisations),
                decided_on=decided_on,
                created_by=author,
            )
        )
    InfluenceRecord.objects.bulk_create(rows)
    return len(rows)


def _demo_image() -> ContentFile:
    """A poster-like PNG drawn with Pillow: coloured garlands over a square."""
    image = Image.new("RGB", (1200, 675), (11, 79, 138))
    draw = ImageDraw.Draw(image)
    colours = [(255, 196, 0), (230, 57, 70), (42, 157, 143), (244, 162, 97), (255, 255, 255)]
    for row in range(3):
        y = 80 + row * 70
        draw.line([(0, y), (1200, y + 40)], fill=(255, 255, 255), width=3)
        for step in range(24):
            x = 25 + step * 50
            top = y + 40 * x // 1200
            draw.polygon(
                [(x - 18, top), (x + 18, top), (x, top + 40)], fill=colours[(step + row) % 5]
            )
    draw.rectangle([(0, 480), (1200, 675)], fill=(200, 200, 190))
    for x in range(60, 1200, 180):
        draw.ellipse([(x, 420), (x + 90, 510)], fill=colours[(x // 180) % 5])
    output = io.BytesIO()
    image.save(output, format="PNG", optimize=True)
    return ContentFile(output.getvalue())


# The easy-read summaries of some news (issue 18), by title.
EASY_READ_NEWS = {
    "Les rencontres de quartier reprennent en septembre": (
        "Les rencontres dans les quartiers recommencent en septembre. Tout le monde peut venir. "
        "Les dates sont sur le site, dans l'agenda."
    ),
}


def _news() -> int:
    if NewsItem.objects.exists():
        return 0
    qpvs = {qpv.slug: qpv for qpv in QPV.objects.all()}
    authors = {
        user.email: user
        for user in User.objects.filter(
            email__in=["referente.tours@example.org", "coordinatrice@example.org"]
        )
    }
    now = timezone.now()
    storage = NewsItem._meta.get_field("image").storage
    for slug, days, published, title, body in NEWS:
        item = NewsItem(
            qpv=qpvs[slug] if slug else None,
            title=title,
            body_markdown=body,
            body_html=render_markdown(body),
            easy_read=EASY_READ_NEWS.get(title, ""),
            is_published=published,
            published_at=now - timedelta(days=days) if published else None,
            author=authors.get(
                "coordinatrice@example.org" if slug is None else "referente.tours@example.org"
            ),
        )
        if title == IMAGE_NEWS_TITLE:
            # One file whatever the number of runs: reused if a previous demo wrote it.
            if not storage.exists(IMAGE_NAME):
                storage.save(IMAGE_NAME, _demo_image())
            item.image.name = IMAGE_NAME
            item.image_alt = IMAGE_ALT
        item.save()
    return len(NEWS)
