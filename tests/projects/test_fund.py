"""The participation fund: envelope arithmetic, the services' rules (decisions, payments,
applications, envelopes), the pages for every role in and out of scope, bad input, emails, and the
query counts of the lists. The concurrency proof is in test_fund_concurrency.py (PostgreSQL).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dialogue.models import MeetingStatus
from projects.models import (
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    ModerationStatus,
)
from projects.selectors import committed_of, euros, totals_by_year, with_consumption
from projects.services import fund as services
from qpv.models import QPV, Commune
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory
from tests.helpers import staff_home
from tests.projects.factories import FundEnvelopeFactory, GrantApplicationFactory, ProjectFactory

pytestmark = pytest.mark.django_db

D = Decimal
THIS_YEAR = timezone.localdate().year

ACTORS = [
    "visitor",
    "resident",
    "facilitator_sanitas",
    "facilitator_rabiere",
    "referent_tours",
    "referent_joue",
    "correspondent",
    "delegate_all",
    "coordinator",
]
# projects.manage_fund / projects.decide_grant: the referents of the commune and the coordinators.
STAFF_OF_SANITAS = {"referent_tours", "coordinator"}
STAFF_OF_JOUE = {"referent_joue", "coordinator"}
STAFF_ANYWHERE = {"referent_tours", "referent_joue", "coordinator"}
# How the others are refused (participation/scopes.py). A page without an object (the list, the
# creation form) answers 403 to those who set envelopes nowhere. An envelope or an application out
# of the user's scope is not visible to them, whatever their role (a resident included): 404. Who
# sees an envelope (projects.manage_fund) is exactly who may manage it and decide on its
# applications, so no refusal on an envelope or an application is a 403.
FORBIDDEN = 403
HIDDEN = 404


def english(client) -> None:
    # The msgids are English; the French catalogue is compiled by the lead.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def granted(envelope, amount: str, requested: str | None = None, **kwargs) -> GrantApplication:
    return GrantApplicationFactory(
        envelope=envelope,
        status=GrantStatus.GRANTED,
        amount_requested=D(requested or amount),
        amount_granted=D(amount),
        decided_at=timezone.now(),
        **kwargs,
    )


def pay(application, amount: str, days_ago: int = 1) -> GrantPayment:
    return GrantPayment.objects.create(
        application=application,
        amount=D(amount),
        paid_on=timezone.localdate() - timedelta(days=days_ago),
    )


@pytest.fixture
def fund(actors):
    """This year's envelopes of Sanitas ("envelope", 10 000 €) and of La Rabière ("joue_envelope",
    8 000 €) with an application pending in each, and a meeting of Sanitas held three days ago
    ("held")."""
    envelope = FundEnvelopeFactory(qpv=actors.sanitas, year=THIS_YEAR, amount=D("10000"))
    joue_envelope = FundEnvelopeFactory(qpv=actors.rabiere, year=THIS_YEAR, amount=D("8000"))
    held = MeetingFactory(
        dialogue_space=actors.space,
        title="Comité des habitants",
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=3) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    return {
        "envelope": envelope,
        "joue_envelope": joue_envelope,
        "application": GrantApplicationFactory(envelope=envelope, amount_requested=D("1500")),
        "joue_application": GrantApplicationFactory(
            envelope=joue_envelope, amount_requested=D("1000")
        ),
        "held": held,
    }


def _assert_sent_to_login(response) -> None:
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def _assert_refused(response, actor: str, status: int) -> None:
    """A visitor is sent to the login page first; any other actor gets `status`."""
    if actor == "visitor":
        _assert_sent_to_login(response)
    else:
        assert response.status_code == status


# Envelope arithmetic ------------------------------------------------------------------------------


def test_consumption_is_exact_on_a_hand_made_envelope(actors, fund):
    envelope = fund["envelope"]
    fund["application"].delete()
    first = granted(envelope, "3000")
    pay(first, "1000", days_ago=20)
    pay(first, "500.50", days_ago=2)
    second = granted(envelope, "2500", requested="2600", decision_reason="Moins de matériel.")
    pay(second, "2500")
    GrantApplicationFactory(
        envelope=envelope,
        status=GrantStatus.REFUSED,
        amount_requested=D("4000"),
        decision_reason="Hors du quartier.",
    )
    GrantApplicationFactory(envelope=envelope, amount_requested=D("1200"))
    GrantApplicationFactory(envelope=envelope, amount_requested=D("800.25"))
    GrantApplicationFactory(
        envelope=envelope, status=GrantStatus.WITHDRAWN, amount_requested=D("600")
    )
    # Another envelope's grants and payments do not leak into this one.
    other = granted(fund["joue_envelope"], "700")
    pay(other, "700")

    envelope = with_consumption(FundEnvelope.objects.filter(pk=envelope.pk)).get()
    assert envelope.committed == D("5500.00")
    assert envelope.paid == D("4000.50")
    assert envelope.left == D("4500.00")
    assert envelope.requested_pending == D("2000.25")
    assert (envelope.applications_count, envelope.granted_count, envelope.pending_count) == (
        6,
        2,
        2,
    )
    assert committed_of(envelope.pk) == D("5500.00")

    empty = FundEnvelopeFactory(qpv=actors.europe, year=THIS_YEAR, amount=D("9000"))
    empty = with_consumption(FundEnvelope.objects.filter(pk=empty.pk)).get()
    assert (empty.committed, empty.paid, empty.left, empty.requested_pending) == (
        D("0"),
        D("0"),
        D("9000"),
        D("0"),
    )

    totals = totals_by_year(FundEnvelope.objects.all())[THIS_YEAR]
    assert totals.amount == D("27000")
    assert totals.committed == D("6200")
    assert totals.paid == D("4700.50")
    assert totals.left == D("20800")


def test_consumption_of_many_envelopes_is_one_query(fund):
    for envelope in (fund["envelope"], fund["joue_envelope"]):
        for _index in range(5):
            application = granted(envelope, "100")
            pay(application, "50")
    with CaptureQueriesContext(connection) as queries:
        envelopes = list(with_consumption(FundEnvelope.objects.all()))
    assert len(queries) == 1
    assert {envelope.pk: envelope.committed for envelope in envelopes} == {
        fund["envelope"].pk: D("500"),
        fund["joue_envelope"].pk: D("500"),
    }
    assert {envelope.paid for envelope in envelopes} == {D("250")}


def test_euros_are_written_the_french_way():
    assert euros(D("1500")) == "1\u00a0500\u00a0€"
    assert euros(D("1234.5")) == "1\u00a0234,50\u00a0€"
    assert euros(None) == "0\u00a0€"


# Decisions ----------------------------------------------------------------------------------------


def _decide(actors, fund, application=None, **kwargs):
    defaults = {"granted": True, "amount": D("1500"), "by": actors["referent_tours"]}
    defaults.update(kwargs)
    return services.grant_decide(application=application or fund["application"], **defaults)


def test_a_grant_is_recorded_and_the_collective_told(
    actors, fund, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decided = _decide(actors, fund, meeting=fund["held"])
    decided.refresh_from_db()
    assert decided.status == GrantStatus.GRANTED
    assert decided.amount_granted == D("1500")
    assert decided.decision_meeting == fund["held"]
    assert decided.decided_by == actors["referent_tours"]
    assert committed_of(fund["envelope"].pk) == D("1500")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [fund["application"].contact_email]
    assert "1\u00a0500\u00a0€" in mailoutbox[0].subject


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount": D("1500.01")}, "above_requested"),
        ({"amount": D("-10")}, "amount_positive"),
        ({"amount": D("0")}, "amount_positive"),
        ({"amount": None}, "amount_required"),
        ({"amount": D("1000"), "reason": " "}, "reason_required"),
        ({"granted": False, "amount": None, "reason": ""}, "reason_required"),
    ],
)
def test_bad_decisions_are_refused(actors, fund, kwargs, code, mailoutbox):
    with pytest.raises(services.FundError) as refused:
        _decide(actors, fund, **kwargs)
    assert refused.value.code == code
    fund["application"].refresh_from_db()
    assert fund["application"].status == GrantStatus.SUBMITTED
    assert mailoutbox == []


def test_a_grant_above_the_remainder_is_refused(actors, fund):
    envelope = fund["envelope"]
    granted(envelope, "9000")
    with pytest.raises(services.FundError) as refused:
        _decide(actors, fund, amount=D("1001"), reason="Reste de l'enveloppe insuffisant")
    assert refused.value.code == "remainder"
    assert "1\u00a0000\u00a0€" in refused.value.messages[0]
    # Exactly the remainder is fine (with a reason: less than requested).
    _decide(actors, fund, amount=D("1000"), reason="Le reste de l'enveloppe.")
    assert committed_of(envelope.pk) == D("10000")


def test_an_application_is_decided_once(actors, fund):
    _decide(actors, fund)
    with pytest.raises(services.FundError) as refused:
        _decide(actors, fund, granted=False, amount=None, reason="Changement d'avis")
    assert refused.value.code == "decided"
    fund["application"].refresh_from_db()
    assert fund["application"].status == GrantStatus.GRANTED


def test_a_refusal_needs_its_reason_and_is_told(
    actors, fund, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _decide(actors, fund, granted=False, amount=None, reason="Le projet est hors du quartier.")
    application = GrantApplication.objects.get(pk=fund["application"].pk)
    assert application.status == GrantStatus.REFUSED
    assert application.amount_granted is None
    assert committed_of(fund["envelope"].pk) == D("0")
    assert "Le projet est hors du quartier." in mailoutbox[0].body


@pytest.mark.parametrize("which", ["other_qpv", "planned", "cancelled"])
def test_the_committee_meeting_must_be_a_held_meeting_of_the_place(actors, fund, which):
    if which == "other_qpv":
        meeting = MeetingFactory(
            dialogue_space=DialogueSpaceFactory(qpv=actors.rabiere),
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=2),
            status=MeetingStatus.HELD,
        )
    elif which == "planned":
        meeting = MeetingFactory(dialogue_space=actors.space)
    else:
        meeting = MeetingFactory(
            dialogue_space=actors.space,
            starts_at=timezone.now() - timedelta(days=2),
            ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=2),
            status=MeetingStatus.CANCELLED,
            cancellation_reason="Salle indisponible",
        )
    with pytest.raises(services.FundError) as refused:
        _decide(actors, fund, meeting=meeting)
    assert refused.value.code == "meeting"


def test_a_commune_envelope_accepts_meetings_of_every_qpv_of_the_commune(actors, fund):
    envelope = FundEnvelopeFactory(qpv=None, commune=actors.sanitas.commune, year=THIS_YEAR)
    application = GrantApplicationFactory(envelope=envelope)
    europe_meeting = MeetingFactory(
        dialogue_space=DialogueSpaceFactory(qpv=actors.europe),
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2) + timedelta(hours=2),
        status=MeetingStatus.HELD,
    )
    _decide(actors, fund, application=application, meeting=europe_meeting)
    assert committed_of(envelope.pk) == D("1500")


# Payments -----------------------------------------------------------------------------------------


def _pay(actors, application, **kwargs):
    defaults = {
        "amount": D("500"),
        "paid_on": timezone.localdate(),
        "by": actors["referent_tours"],
    }
    defaults.update(kwargs)
    return services.grant_record_payment(application=application, **defaults)


def test_payments_never_exceed_the_grant(actors, fund):
    application = granted(fund["envelope"], "1500")
    _pay(actors, application, amount=D("1000"))
    with pytest.raises(services.FundError) as refused:
        _pay(actors, application, amount=D("500.01"))
    assert refused.value.code == "above_granted"
    _pay(actors, application, amount=D("500"))
    envelope = with_consumption(FundEnvelope.objects.filter(pk=fund["envelope"].pk)).get()
    assert envelope.paid == D("1500")
    with pytest.raises(services.FundError) as refused:
        _pay(actors, application, amount=D("0.01"))
    assert refused.value.code == "above_granted"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (lambda: {"amount": D("0")}, "amount_positive"),
        (lambda: {"amount": D("-5")}, "amount_positive"),
        # Tomorrow as of the test's run, not of its collection (which may be before midnight).
        (lambda: {"paid_on": timezone.localdate() + timedelta(days=1)}, "future"),
    ],
    ids=["zero", "negative", "future"],
)
def test_bad_payments_are_refused(actors, fund, kwargs, code):
    application = granted(fund["envelope"], "1500")
    with pytest.raises(services.FundError) as refused:
        _pay(actors, application, **kwargs())
    assert refused.value.code == code
    assert not GrantPayment.objects.exists()


def test_only_granted_applications_are_paid(actors, fund):
    with pytest.raises(services.FundError) as refused:
        _pay(actors, fund["application"])
    assert refused.value.code == "not_granted"


# Envelopes ----------------------------------------------------------------------------------------


def test_one_envelope_per_place_and_year(actors, fund):
    by = actors["referent_tours"]
    with pytest.raises(services.FundError) as refused:
        services.envelope_create(qpv=actors.sanitas, year=THIS_YEAR, amount=D("5"), by=by)
    assert refused.value.code == "duplicate"
    commune = services.envelope_create(
        commune=actors.sanitas.commune, year=THIS_YEAR, amount=D("20000"), by=by
    )
    assert commune.qpv is None
    with pytest.raises(services.FundError) as refused:
        services.envelope_create(commune=commune.commune, year=THIS_YEAR, amount=D("1"), by=by)
    assert refused.value.code == "duplicate"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"year": 2023}, "year"),
        ({"year": 2031}, "year"),
        ({"amount": D("-1")}, "amount_negative"),
        ({"qpv": None}, "place"),
    ],
)
def test_bad_envelopes_are_refused(actors, fund, kwargs, code):
    values = {"qpv": actors.europe, "year": 2027, "amount": D("1000"), "by": None}
    values.update(kwargs)
    with pytest.raises(services.FundError) as refused:
        services.envelope_create(**values)
    assert refused.value.code == code


def test_an_envelope_never_goes_below_what_is_committed(fund):
    envelope = fund["envelope"]
    granted(envelope, "6000")
    with pytest.raises(services.FundError) as refused:
        services.envelope_update(envelope=envelope, amount=D("5999.99"), by=None)
    assert refused.value.code == "below_committed"
    services.envelope_update(envelope=envelope, amount=D("6000"), by=None)
    envelope.refresh_from_db()
    assert envelope.amount == D("6000")


# Applications (service) ---------------------------------------------------------------------------


def _apply(actors, fund, envelope=None, **kwargs):
    values = {
        "envelope": envelope or fund["envelope"],
        "title": "Fête des voisins",
        "description": "Un repas partagé au pied des tours.",
        "collective_name": "Collectif Sanitas en fête",
        "contact_name": "Awa Diallo",
        "contact_email": "Awa@Example.org",
        "amount_requested": D("800"),
        "budget_lines": [("Alimentation", D("500")), ("Location de tables", D("300"))],
        "by": actors["resident"],
    }
    values.update(kwargs)
    return services.grant_apply(**values)


def test_applying_tells_the_collective_and_the_referents(
    actors, fund, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application = _apply(actors, fund)
    assert application.status == GrantStatus.SUBMITTED
    assert application.contact_email == "awa@example.org"
    assert application.budget_lines == [
        {"label": "Alimentation", "amount": "500.00"},
        {"label": "Location de tables", "amount": "300.00"},
    ]
    recipients = [message.to for message in mailoutbox]
    assert ["awa@example.org"] in recipients
    assert [actors["referent_tours"].email] in recipients
    # The referents of another commune are not told.
    assert all(actors["referent_joue"].email not in to for to in recipients)
    to_referents = next(m for m in mailoutbox if m.to == [actors["referent_tours"].email])
    assert (
        reverse("projects:envelope_detail", kwargs={"pk": fund["envelope"].pk}) in to_referents.body
    )


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"amount_requested": D("900")}, "total_mismatch"),
        ({"amount_requested": D("0")}, "amount_positive"),
        ({"budget_lines": []}, "no_lines"),
        ({"budget_lines": [("", D("800"))]}, "line_incomplete"),
        ({"budget_lines": [("Tout", D("-800"))], "amount_requested": D("800")}, "line_amount"),
    ],
)
def test_bad_applications_are_refused(actors, fund, kwargs, code):
    with pytest.raises(services.FundError) as refused:
        _apply(actors, fund, **kwargs)
    assert refused.value.code == code
    assert GrantApplication.objects.count() == 2


def test_past_envelopes_are_closed(actors, fund):
    past = FundEnvelopeFactory(qpv=actors.sanitas, year=THIS_YEAR - 1)
    with pytest.raises(services.FundError) as refused:
        _apply(actors, fund, envelope=past)
    assert refused.value.code == "closed"


def test_the_linked_project_must_be_a_published_project_of_the_place(actors, fund):
    ours = ProjectFactory(qpv=actors.sanitas)
    theirs = ProjectFactory(qpv=actors.rabiere)
    pending = ProjectFactory(qpv=actors.sanitas, moderation=ModerationStatus.PENDING)
    assert _apply(actors, fund, project=ours).project == ours
    for project in (theirs, pending):
        with pytest.raises(services.FundError) as refused:
            _apply(actors, fund, project=project)
        assert refused.value.code == "project"


# Pages: access by role ----------------------------------------------------------------------------


def _staff_urls(fund) -> dict[str, tuple[str, set[str], int]]:
    """Each page: its address, who may use it, and how the others are refused."""
    envelope, joue = fund["envelope"], fund["joue_envelope"]
    return {
        "staff_envelopes": (reverse("projects:staff_envelopes"), STAFF_ANYWHERE, FORBIDDEN),
        "envelope_create": (reverse("projects:envelope_create"), STAFF_ANYWHERE, FORBIDDEN),
        "envelope_detail": (
            reverse("projects:envelope_detail", args=[envelope.pk]),
            STAFF_OF_SANITAS,
            HIDDEN,
        ),
        "envelope_edit": (
            reverse("projects:envelope_edit", args=[envelope.pk]),
            STAFF_OF_SANITAS,
            HIDDEN,
        ),
        "joue_detail": (reverse("projects:envelope_detail", args=[joue.pk]), STAFF_OF_JOUE, HIDDEN),
        "joue_edit": (reverse("projects:envelope_edit", args=[joue.pk]), STAFF_OF_JOUE, HIDDEN),
    }


STAFF_PAGES = [
    "staff_envelopes",
    "envelope_create",
    "envelope_detail",
    "envelope_edit",
    "joue_detail",
    "joue_edit",
]


@pytest.mark.parametrize("page", STAFF_PAGES)
@pytest.mark.parametrize("actor", ACTORS)
def test_staff_pages_by_role(client, actors, fund, page, actor):
    url, allowed, refusal = _staff_urls(fund)[page]
    actors.login(client, actor)
    response = client.get(url)
    if actor in allowed:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, refusal)


@pytest.mark.parametrize("actor", ACTORS)
def test_deciding_by_role(client, actors, fund, actor):
    actors.login(client, actor)
    application = fund["application"]
    response = client.post(
        reverse("projects:grant_decide", args=[application.pk]),
        {f"decide-{application.pk}-decision": "granted", f"decide-{application.pk}-amount": "1500"},
    )
    application.refresh_from_db()
    if actor in STAFF_OF_SANITAS:
        assert response.status_code == 302
        assert application.status == GrantStatus.GRANTED
    else:
        _assert_refused(response, actor, HIDDEN)
        assert application.status == GrantStatus.SUBMITTED


@pytest.mark.parametrize("actor", ACTORS)
def test_deciding_on_joue_by_role(client, actors, fund, actor):
    actors.login(client, actor)
    application = fund["joue_application"]
    response = client.post(
        reverse("projects:grant_decide", args=[application.pk]),
        {f"decide-{application.pk}-decision": "refused", f"decide-{application.pk}-reason": "Non"},
    )
    if actor in STAFF_OF_JOUE:
        assert response.status_code == 302
    else:
        _assert_refused(response, actor, HIDDEN)


@pytest.mark.parametrize("actor", ACTORS)
def test_paying_by_role(client, actors, fund, actor):
    application = granted(fund["envelope"], "1000")
    actors.login(client, actor)
    response = client.post(
        reverse("projects:grant_pay", args=[application.pk]),
        {
            f"pay-{application.pk}-amount": "400",
            f"pay-{application.pk}-paid_on": timezone.localdate().isoformat(),
        },
    )
    if actor in STAFF_OF_SANITAS:
        assert response.status_code == 302
        assert GrantPayment.objects.get().amount == D("400")
    else:
        _assert_refused(response, actor, HIDDEN)
        assert not GrantPayment.objects.exists()


@pytest.mark.parametrize("actor", ACTORS)
def test_public_page_and_application_form_by_role(client, actors, fund, actor):
    actors.login(client, actor)
    assert client.get(reverse("projects:envelopes")).status_code == 200
    response = client.get(reverse("projects:grant_apply", args=[fund["envelope"].pk]))
    if actor == "visitor":
        _assert_sent_to_login(response)
    else:
        assert response.status_code == 200


def test_a_referent_creates_envelopes_only_in_their_commune(client, actors, fund):
    english(client)
    actors.login(client, "referent_tours")
    page = client.get(reverse("projects:envelope_create")).content.decode()
    assert f'value="qpv-{actors.europe.pk}"' in page
    assert f'value="qpv-{actors.rabiere.pk}"' not in page
    response = client.post(
        reverse("projects:envelope_create"),
        {"place": f"qpv-{actors.rabiere.pk}", "year": "2027", "amount": "5000"},
    )
    assert response.status_code == 400
    assert not FundEnvelope.objects.filter(qpv=actors.rabiere, year=2027).exists()


# Pages: staff forms -------------------------------------------------------------------------------


def test_creating_an_envelope(client, actors, fund):
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("projects:envelope_create"),
        {"place": f"qpv-{actors.europe.pk}", "year": "2027", "amount": "12 500,50"},
    )
    envelope = FundEnvelope.objects.get(qpv=actors.europe, year=2027)
    assert response.status_code == 302
    assert response["Location"] == reverse("projects:envelope_detail", args=[envelope.pk])
    assert envelope.amount == D("12500.50")
    assert envelope.set_by == actors["referent_tours"]
    tours = Commune.objects.get(slug="tours")
    response = client.post(
        reverse("projects:envelope_create"),
        {"place": f"commune-{tours.pk}", "year": "2027", "amount": "30000"},
    )
    assert response.status_code == 302
    assert FundEnvelope.objects.get(commune=tours, year=2027).qpv is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"year": str(THIS_YEAR)}, "place", "already has an envelope for"),
        ({"amount": "-100"}, "amount", "The envelope cannot be negative."),
        ({"amount": "beaucoup"}, "amount", "Enter an amount in euros"),
        ({"year": "2031"}, "year", "Select a valid choice"),
        ({"place": ""}, "place", "This field is required"),
    ],
)
def test_bad_envelopes_in_the_form_are_400_and_keep_the_input(
    client, actors, fund, data, field, message
):
    english(client)
    actors.login(client, "referent_tours")
    values = {"place": f"qpv-{actors.sanitas.pk}", "year": "2027", "amount": "9000"}
    values.update(data)
    response = client.post(reverse("projects:envelope_create"), values)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    assert message in response.content.decode()
    assert form["amount"].value() == values["amount"]
    assert FundEnvelope.objects.count() == 2


def test_editing_an_envelope_below_what_is_committed_is_refused(client, actors, fund):
    english(client)
    granted(fund["envelope"], "4000")
    actors.login(client, "referent_tours")
    url = reverse("projects:envelope_edit", args=[fund["envelope"].pk])
    response = client.post(url, {"amount": "3999"})
    assert response.status_code == 400
    assert "cannot be set below that amount" in response.content.decode()
    fund["envelope"].refresh_from_db()
    assert fund["envelope"].amount == D("10000")
    assert client.post(url, {"amount": "4000"}).status_code == 302
    fund["envelope"].refresh_from_db()
    assert fund["envelope"].amount == D("4000")


def _decision(application, **values) -> dict:
    return {f"decide-{application.pk}-{name}": value for name, value in values.items()}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"decision": "granted", "amount": "1600"}, "amount", "cannot exceed the amount requested"),
        ({"decision": "granted", "amount": "-5"}, "amount", "must be greater than zero"),
        ({"decision": "granted", "amount": ""}, "amount", "Enter the amount granted."),
        ({"decision": "granted", "amount": "1000"}, "reason", "granting less than requested"),
        ({"decision": "refused", "reason": ""}, "reason", "Give the reason for the refusal"),
        ({"decision": "", "amount": "1500"}, "decision", "This field is required"),
        ({"decision": "granted", "amount": "9500"}, "amount", "Only 8\u00a0500"),
    ],
)
def test_bad_decisions_in_the_form_are_400(client, actors, fund, values, field, message):
    english(client)
    granted(fund["envelope"], "1500")
    actors.login(client, "referent_tours")
    application = fund["application"]
    if field == "amount" and "9500" in values.get("amount", ""):
        application.amount_requested = D("9500")
        application.save()
    response = client.post(
        reverse("projects:grant_decide", args=[application.pk]), _decision(application, **values)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    form = response.context["pending"][0].decision_form
    assert field in form.errors
    assert form["amount"].value() == values.get("amount")
    application.refresh_from_db()
    assert application.status == GrantStatus.SUBMITTED


def test_deciding_with_the_committee_meeting(client, actors, fund, mailoutbox):
    actors.login(client, "referent_tours")
    application = fund["application"]
    response = client.post(
        reverse("projects:grant_decide", args=[application.pk]),
        _decision(
            application,
            decision="granted",
            amount="1 200",
            meeting=str(fund["held"].pk),
            reason="Le matériel est prêté par la ville.",
        ),
    )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.amount_granted == D("1200")
    assert application.decision_meeting == fund["held"]


def test_deciding_twice_through_the_page_shows_the_refusal(client, actors, fund):
    english(client)
    actors.login(client, "referent_tours")
    application = fund["application"]
    url = reverse("projects:grant_decide", args=[application.pk])
    client.post(url, _decision(application, decision="granted", amount="1500"))
    response = client.post(url, _decision(application, decision="refused", reason="Non"))
    assert response.status_code == 400
    assert "already been decided" in response.content.decode()
    application.refresh_from_db()
    assert application.status == GrantStatus.GRANTED


def test_paying_above_the_grant_through_the_page_is_400(client, actors, fund):
    english(client)
    application = granted(fund["envelope"], "1000")
    pay(application, "800")
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("projects:grant_pay", args=[application.pk]),
        {
            f"pay-{application.pk}-amount": "300",
            f"pay-{application.pk}-paid_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 400
    assert "at most 200" in response.content.decode()
    assert GrantPayment.objects.count() == 1
    response = client.post(
        reverse("projects:grant_pay", args=[application.pk]),
        {
            f"pay-{application.pk}-amount": "100",
            f"pay-{application.pk}-paid_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()


# Pages: the application form ----------------------------------------------------------------------


def _application_data(**overrides) -> dict:
    data = {
        "title": "Fête des voisins",
        "description": "Un repas partagé au pied des tours.",
        "collective_name": "Collectif Sanitas en fête",
        "contact_name": "Awa Diallo",
        "contact_email": "awa@example.org",
        "contact_phone": "06 12 34 56 78",
        "amount_requested": "800",
        "line_label_1": "Alimentation",
        "line_amount_1": "500",
        "line_label_2": "Location de tables",
        "line_amount_2": "300",
    }
    data.update(overrides)
    return data


def test_the_application_form_is_prefilled_from_the_account(client, actors, fund):
    resident = actors["resident"]
    client.force_login(resident)
    response = client.get(reverse("projects:grant_apply", args=[fund["envelope"].pk]))
    form = response.context["form"]
    assert form["contact_name"].value() == resident.full_name
    assert form["contact_email"].value() == resident.email


def test_applying_online(client, actors, fund, mailoutbox, django_capture_on_commit_callbacks):
    project = ProjectFactory(qpv=actors.sanitas)
    actors.login(client, "resident")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("projects:grant_apply", args=[fund["envelope"].pk]),
            _application_data(project=str(project.pk), line_amount_2="300,00"),
        )
    assert response.status_code == 302
    # The resident lands on "Mon espace", on their applications, where the new one is listed.
    assert response["Location"] == reverse("account_home") + "#fph"
    assert "Fête des voisins" in client.get(response["Location"]).content.decode()
    application = GrantApplication.objects.get(title="Fête des voisins")
    assert application.envelope == fund["envelope"]
    assert application.project == project
    assert application.submitted_by == actors["resident"]
    assert application.amount_requested == D("800")
    assert len(application.budget_lines) == 2
    assert {tuple(m.to) for m in mailoutbox} == {
        ("awa@example.org",),
        (actors["referent_tours"].email,),
    }


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount_requested": "900"}, "amount_requested", "add up to 800"),
        ({"amount_requested": "-800"}, "amount_requested", "must be greater than zero"),
        ({"line_amount_1": "-500"}, "line_amount_1", "must be greater than zero"),
        ({"line_amount_1": ""}, "line_amount_1", "Enter the amount of this line."),
        ({"line_label_2": ""}, "line_label_2", "Say what this amount pays for."),
        ({"line_amount_2": "trois cents"}, "line_amount_2", "Enter an amount in euros"),
        (
            {"line_label_1": "", "line_amount_1": "", "line_label_2": "", "line_amount_2": ""},
            "__all__",
            "at least one line",
        ),
        ({"title": ""}, "title", "This field is required"),
        ({"contact_email": "awa@"}, "contact_email", "valid email"),
    ],
)
def test_bad_applications_are_400_and_keep_the_input(
    client, actors, fund, overrides, field, message, mailoutbox
):
    english(client)
    actors.login(client, "resident")
    data = _application_data(**overrides)
    response = client.post(reverse("projects:grant_apply", args=[fund["envelope"].pk]), data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    page = response.content.decode()
    assert message in page
    for kept in ("title", "collective_name", "amount_requested", "line_label_1", "line_amount_1"):
        assert response.context["form"][kept].value() == data[kept]
    assert GrantApplication.objects.count() == 2
    assert mailoutbox == []


def test_a_past_envelope_refuses_applications(client, actors, fund):
    english(client)
    past = FundEnvelopeFactory(qpv=actors.sanitas, year=THIS_YEAR - 1)
    actors.login(client, "resident")
    url = reverse("projects:grant_apply", args=[past.pk])
    page = client.get(url).content.decode()
    assert "envelope is closed" in page
    assert 'name="title"' not in page
    response = client.post(url, _application_data())
    assert response.status_code == 400
    assert not GrantApplication.objects.filter(envelope=past).exists()


# The public page ----------------------------------------------------------------------------------


def test_the_public_page_shows_aggregates_and_funded_actions_not_contacts(client, fund):
    action = granted(
        fund["envelope"],
        "1200",
        title="Jardin partagé des Tours",
        collective_name="Les Jardiniers du Sanitas",
        contact_email="secret.contact@example.org",
        contact_name="Personne Secrète",
        contact_phone="06 99 99 99 99",
    )
    pay(action, "600")
    GrantApplicationFactory(
        envelope=fund["envelope"], title="Demande en attente", contact_name="Attente"
    )
    page = client.get(reverse("projects:envelopes")).content.decode()
    assert "Jardin partagé des Tours" in page
    assert "Les Jardiniers du Sanitas" in page
    for private in ("secret.contact@example.org", "Personne Secrète", "06 99 99 99 99"):
        assert private not in page
    assert "Demande en attente" not in page
    assert "Attente" not in page
    assert "8\u00a0800" in page  # left: 10 000 - 1 200
    assert reverse("projects:grant_apply", args=[fund["envelope"].pk]) in page


def test_past_envelopes_get_no_apply_link(client, actors, fund):
    past = FundEnvelopeFactory(qpv=actors.europe, year=THIS_YEAR - 1)
    page = client.get(reverse("projects:envelopes")).content.decode()
    assert reverse("projects:grant_apply", args=[past.pk]) not in page
    assert str(THIS_YEAR - 1) in page


# Query counts -------------------------------------------------------------------------------------


def _populate(actors, fund, count: int) -> None:
    qpvs = list(QPV.objects.exclude(pk__in=[actors.sanitas.pk, actors.rabiere.pk])[:3])
    for year in (THIS_YEAR - 1, THIS_YEAR):
        for qpv in qpvs:
            FundEnvelopeFactory(qpv=qpv, year=year)
    for _index in range(count):
        application = granted(fund["envelope"], "100")
        pay(application, "50")
        GrantApplicationFactory(envelope=fund["envelope"], amount_requested=D("10"))


@pytest.mark.parametrize("count", [3, 30])
def test_public_page_queries_do_not_grow(client, actors, fund, django_assert_num_queries, count):
    _populate(actors, fund, count)
    # Envelopes with their figures, the granted actions, the totals (3 grouped queries), the menu.
    with django_assert_num_queries(6):
        assert client.get(reverse("projects:envelopes")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_staff_list_queries_do_not_grow(client, actors, fund, django_assert_num_queries, count):
    _populate(actors, fund, count)
    actors.login(client, "referent_tours")
    # Session, user, roles; envelopes with their figures, QPV without an envelope; the menu.
    with django_assert_num_queries(6):
        assert client.get(reverse("projects:staff_envelopes")).status_code == 200


@pytest.mark.parametrize("count", [3, 30])
def test_envelope_detail_queries_do_not_grow(
    client, actors, fund, django_assert_num_queries, count
):
    _populate(actors, fund, count)
    actors.login(client, "referent_tours")
    # Session, user, roles; the envelope with its figures, the meetings, the applications, their
    # payments; the menu.
    with django_assert_num_queries(8):
        response = client.get(reverse("projects:envelope_detail", args=[fund["envelope"].pk]))
    assert response.status_code == 200
    assert len(response.context["decided"]) == count


@pytest.mark.parametrize("actor", ACTORS)
def test_a_commune_envelope_is_managed_by_the_commune_staff(client, actors, fund, actor):
    envelope = FundEnvelopeFactory(qpv=None, commune=actors.sanitas.commune, year=THIS_YEAR)
    GrantApplicationFactory(envelope=envelope)
    actors.login(client, actor)
    response = client.get(reverse("projects:envelope_detail", args=[envelope.pk]))
    if actor in STAFF_OF_SANITAS:
        assert response.status_code == 200
    else:
        _assert_refused(response, actor, HIDDEN)


def test_the_staff_home_links_to_the_fund_for_its_managers_only(client, actors, fund):
    url = reverse("projects:staff_envelopes")
    actors.login(client, "referent_tours")
    assert url in staff_home(client)
    actors.login(client, "facilitator_sanitas")
    assert url not in staff_home(client)


# Is the file complete? (issue 17) -----------------------------------------------------------------


def _file_check(application, **values) -> dict:
    return {f"file-{application.pk}-{key}": value for key, value in values.items()}


@pytest.mark.parametrize("actor", ACTORS)
def test_checking_the_file_by_role(client, actors, fund, actor):
    actors.login(client, actor)
    application = fund["application"]
    response = client.post(
        reverse("projects:grant_check_file", args=[application.pk]),
        _file_check(application, complete="yes"),
    )
    application.refresh_from_db()
    if actor in STAFF_OF_SANITAS:
        assert response.status_code == 302
        assert application.file_status == "complete"
    else:
        _assert_refused(response, actor, HIDDEN)
        assert application.file_status == ""


def test_an_incomplete_file_says_what_is_missing_and_the_collective_is_told(
    client, actors, fund, mailoutbox, on_commit
):
    actors.login(client, "referent_tours")
    application = fund["application"]
    with on_commit():
        response = client.post(
            reverse("projects:grant_check_file", args=[application.pk]),
            _file_check(application, complete="no", missing="Le devis de la location de tables."),
        )
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.file_status == "incomplete"
    assert application.missing_pieces == "Le devis de la location de tables."
    assert application.file_checked_at is not None
    [message] = [m for m in mailoutbox if m.to == [application.contact_email]]
    assert "incomplète" in message.subject
    assert "Le devis de la location de tables." in message.body
    # The staff page shows it, and the form stays until the committee decides.
    page = client.get(reverse("projects:envelope_detail", args=[fund["envelope"].pk]))
    assert "Le devis de la location de tables." in page.content.decode()


@pytest.mark.parametrize(
    "values, field, message",
    [
        ({}, "complete", "Indiquez si le dossier est complet."),
        ({"complete": "peut-être"}, "complete", "Choisissez complet ou incomplet."),
        ({"complete": "no"}, "missing", "Dites ce qui manque"),
        ({"complete": "no", "missing": "x" * 1001}, "missing", "1000 caractères"),
    ],
)
def test_bad_file_checks_are_400_in_french_and_keep_what_was_typed(
    client, actors, fund, values, field, message, mailoutbox
):
    actors.login(client, "referent_tours")
    application = fund["application"]
    response = client.post(
        reverse("projects:grant_check_file", args=[application.pk]),
        _file_check(application, **values),
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert "error-summary" in page
    if values.get("missing"):
        assert values["missing"] in page
    application.refresh_from_db()
    assert application.file_status == ""
    assert mailoutbox == []


def test_a_decided_application_is_not_checked_again(client, actors, fund):
    application = granted(fund["envelope"], "1000")
    actors.login(client, "referent_tours")
    response = client.post(
        reverse("projects:grant_check_file", args=[application.pk]),
        _file_check(application, complete="yes"),
    )
    assert response.status_code == 400
    assert "déjà fait l&#x27;objet d&#x27;une décision" in response.content.decode()
    application.refresh_from_db()
    assert application.file_status == ""
