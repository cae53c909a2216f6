""" "Mon espace" in Chromium (issue 17, items 2 and 8): on a 360 px phone a resident sees a
registration and cancels it with the keyboard only; the page fits the phone's width; screenshots at
360 px and 1280 px with demo-like data go to /tmp/shots-myspace/ (the closing note's folder)."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from dialogue.models import MeetingStatus, Registration, RegistrationStatus
from participation.roles import Role
from projects.models import (
    GrantPayment,
    GrantStatus,
    ModerationStatus,
    ProjectOrigin,
    ProjectStage,
)
from qpv.models import QPV
from questions import services as question_services
from questions.models import Channel, QuestionEvent, QuestionEventKind, QuestionStatus
from questions.services import record_question_event
from tests.browser.journeys import Driver, at
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory, grant
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
SHOTS = Path("/tmp/shots-myspace")  # noqa: S108  (the folder the closing note names)


def _at_six_pm(days: int):
    day = timezone.localtime() + timedelta(days=days)
    return day.replace(hour=18, minute=0, second=0, microsecond=0)


def demo_resident():
    """A resident of Sanitas who gave a bit of everything, as the demo data would have it."""
    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    resident = UserFactory(email="samira.benali@example.org", full_name="Samira Benali")
    referent = UserFactory(full_name="Inès Moreau")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    landlord = OrganisationFactory(name="Tours Habitat")
    landlord.qpvs.add(sanitas)
    space = DialogueSpaceFactory(qpv=sanitas, name="Café des habitants du Sanitas")

    # Registrations: a seat at the next café, a place on the waiting list of a full walk.
    cafe = MeetingFactory(
        dialogue_space=space,
        title="Café des habitants : la propreté des halls",
        starts_at=_at_six_pm(5),
        ends_at=_at_six_pm(5) + timedelta(hours=2),
        venue="Centre social Pluriel(le)",
    )
    RegistrationFactory(meeting=cafe, user=resident, email=resident.email, name="Samira Benali")
    walk = MeetingFactory(
        dialogue_space=space,
        title="Diagnostic en marchant, rue Walvein",
        starts_at=_at_six_pm(12),
        ends_at=_at_six_pm(12) + timedelta(hours=2),
        capacity=1,
        venue="Devant la médiathèque",
    )
    RegistrationFactory(meeting=walk, name="Karim Haddad")
    RegistrationFactory(
        meeting=walk,
        user=resident,
        email=resident.email,
        name="Samira Benali",
        status=RegistrationStatus.WAITLISTED,
        waitlisted_at=timezone.now(),
    )
    # A meeting she came to: its survey is open.
    held = MeetingFactory(
        dialogue_space=space,
        title="Conseil citoyen du Sanitas",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    RegistrationFactory(meeting=held, user=resident, email=resident.email, attended=True)

    # Questions: passed on to the landlord with a due date moved, and one answered.
    lift = QuestionFactory(
        asked_by=resident,
        channel=Channel.ONLINE,
        text="L'ascenseur du 12 rue Walvein est en panne depuis trois semaines : quand sera-t-il réparé ?",
        status=QuestionStatus.MODERATION,
        received_on=timezone.localdate() - timedelta(days=20),
        due_on=timezone.localdate() + timedelta(days=10),
    )
    record_question_event(question=lift, kind=QuestionEventKind.RECEIVED, due_on=lift.due_on)
    question_services.question_moderate(question=lift, accept=True, by=referent)
    question_services.question_route(question=lift, organisation=landlord, by=referent)
    lift.refresh_from_db()
    question_services.question_extend_due_date(
        question=lift,
        new_due_on=lift.due_on + timedelta(days=15),
        reason="Le bailleur attend la pièce de rechange du fabricant.",
        by=referent,
    )
    square = QuestionFactory(
        asked_by=resident,
        channel=Channel.MEETING,
        meeting=held,
        text="Le square Coty rouvrira-t-il avant l'été ?",
        received_on=timezone.localdate() - timedelta(days=12),
    )
    record_question_event(question=square, kind=QuestionEventKind.RECEIVED)
    question_services.answer_save(
        question=square,
        text="Oui : les travaux se terminent en mai.",
        by=referent,
        publish=True,
    )
    # Spread the steps over the weeks they took.
    for days, event in zip(
        (20, 18, 17, 4, 12, 1),
        QuestionEvent.objects.filter(question__in=[lift, square]).order_by("question_id", "pk"),
        strict=False,
    ):
        QuestionEvent.objects.filter(pk=event.pk).update(at=timezone.now() - timedelta(days=days))
    market = QuestionFactory(
        text="Le marché du samedi reviendra-t-il place Coty ?", asked_by=UserFactory()
    )
    question_services.question_follow(user=resident, question=market)

    # Ideas: one waiting, one declined with the reason, one published and taken further.
    common = {"qpv": sanitas, "origin": ProjectOrigin.ONLINE, "proposed_by": resident}
    ProjectFactory(
        title="Une boîte à livres près du tram", moderation=ModerationStatus.PENDING, **common
    )
    ProjectFactory(
        title="Une fresque sur le mur du gymnase",
        moderation=ModerationStatus.REJECTED,
        rejected_reason="Le mur appartient à la ville : proposez-la au conseil citoyen.",
        **common,
    )
    ProjectFactory(
        title="Un jardin partagé au pied des tours",
        moderation=ModerationStatus.PUBLISHED,
        stage=ProjectStage.ELABORATION,
        **common,
    )

    # The fund: an application granted in part and half paid, another waiting for the committee.
    envelope = FundEnvelopeFactory(
        qpv=sanitas, year=timezone.localdate().year, amount=Decimal("10000")
    )
    feast = GrantApplicationFactory(
        envelope=envelope,
        submitted_by=resident,
        title="Fête des voisins de la place Saint-Paul",
        collective_name="Collectif Saint-Paul en fête",
        amount_requested=Decimal("1500"),
        status=GrantStatus.GRANTED,
        amount_granted=Decimal("1200"),
        decision_meeting=held,
        decision_reason="La location de la sono est prise en charge par la ville.",
        decided_at=timezone.now() - timedelta(days=3),
    )
    GrantPayment.objects.create(
        application=feast, amount=Decimal("600"), paid_on=timezone.localdate() - timedelta(days=1)
    )
    GrantApplicationFactory(
        envelope=envelope,
        submitted_by=resident,
        title="Tournoi de foot des jeunes",
        collective_name="Les Jeunes du Sanitas",
        amount_requested=Decimal("800"),
    )
    return resident, cafe


def test_on_a_phone_a_resident_cancels_a_registration_with_the_keyboard(new_context, log_in):
    from playwright.sync_api import expect

    resident, cafe = demo_resident()
    context = new_context(reduced_motion="reduce", **PHONE)
    log_in(context, resident)
    page = context.new_page()
    ui = Driver(page, "keyboard")
    page.goto("/compte/")

    expect(page.locator("h1")).to_have_text("Mon espace")
    # One column: nothing wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    registrations = page.locator("#inscriptions")
    expect(registrations.get_by_role("link", name=cafe.title, exact=True)).to_be_visible()
    expect(registrations).to_contain_text("Vous êtes inscrit·e")
    expect(registrations).to_contain_text("Liste d’attente : n° 1")

    ui.follow(registrations.get_by_role("button", name=f"Annuler mon inscription — {cafe.title}"))
    expect(page).to_have_url(at(r"/compte/#inscriptions"))
    expect(page.locator(".alert-success")).to_contain_text("Votre inscription est annulée")
    expect(page.locator("#inscriptions")).not_to_contain_text(cafe.title)
    registration = Registration.objects.get(meeting=cafe, user=resident)
    assert registration.status == RegistrationStatus.CANCELLED
    ui.finish()


def test_screenshots_of_my_space_on_a_phone_and_a_desktop(new_context, log_in):
    from playwright.sync_api import expect

    resident, _cafe = demo_resident()
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, options in (("360", PHONE), ("1280", DESKTOP)):
        context = new_context(reduced_motion="reduce", **options)
        log_in(context, resident)
        page = context.new_page()
        page.goto("/compte/")
        for anchor in ("inscriptions", "avis", "questions", "idees", "fph", "parametres"):
            expect(page.locator(f"#{anchor}")).to_be_visible()
        width = options["viewport"]["width"]
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(SHOTS / f"mon-espace-{name}.png"), full_page=True)
        assert page.problems == []
    assert re.search(r"mon-espace-360", " ".join(p.name for p in SHOTS.iterdir()))


def test_my_space_with_everything_in_it_passes_axe_and_reflows(new_context, live_server):
    """axe-core and the reflow checks of test_accessibility, on "Mon espace" full of demo data
    (the site-wide sweep sees it nearly empty), and on the survey reached from it."""
    from tests.browser.test_accessibility import Visit, session_of, sweep

    resident, _cafe = demo_resident()
    held = Registration.objects.get(user=resident, attended=True).meeting
    visits = [
        Visit("my space full", "/compte/"),
        Visit("my survey", f"/compte/avis/{held.pk}/"),
    ]
    session = session_of(live_server, resident)
    sweep(new_context, visits, label="my space", prefix="resident", session=session).check()
