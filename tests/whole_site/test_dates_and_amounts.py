"""Dates and amounts typed in the portal are sane (issue 20: a grant payment dated 0001-01-01 was
stored): within the Contrat de ville 2024-2030, not after today when they say something happened,
end after start, amounts above zero and below a plausible maximum.

Each form gets its hostile values through the page: a 400 with the French message on the field,
what was typed still in the form, nothing saved; the edge values of the window are taken. The model
fields refuse the same values (the admin is a model form), and the date inputs carry min/max.
"""

from __future__ import annotations

import datetime
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from dialogue.models import Meeting, MeetingMode
from evaluation.models import Report
from participation.contract import (
    MAX_EUROS,
    DayField,
    contract_end,
    contract_start,
    contract_years,
)
from projects.models import (
    ExperienceEvaluation,
    FundEnvelope,
    GrantApplication,
    GrantPayment,
    GrantStatus,
    InfluenceOutcome,
    InfluenceRecord,
    ProjectStage,
    ProjectStep,
)
from qpv.models import NewsItem
from questions.models import DueDateChange
from tests.dialogue.factories import MeetingFactory
from tests.projects.factories import (
    FundEnvelopeFactory,
    GrantApplicationFactory,
    ProjectFactory,
)
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

OUTSIDE = "La date doit être comprise entre le 1er janvier 2024 et le 31 décembre 2030."
TOO_LARGE = "Ce montant est trop élevé : 1\u202f000\u202f000 € au maximum."
FIRST, LAST = datetime.date(2024, 1, 1), datetime.date(2030, 12, 31)
HOSTILE_DAYS = ["0001-01-01", "9999-12-31", "2023-12-31", "2031-01-01"]


def today() -> datetime.date:
    return timezone.localdate()


def tomorrow() -> str:
    return (today() + timedelta(days=1)).isoformat()


def _refused(response, message: str, *typed: str) -> str:
    """A 400 whose page says `message` and still holds what was typed."""
    assert response.status_code == 400, response.status_code
    page = unescape(response.content.decode())
    assert message in page
    for value in typed:
        assert f'value="{value}"' in page, value
    return page


def test_the_window_is_the_contract_and_comes_from_the_settings(settings):
    assert (contract_start(), contract_end()) == (FIRST, LAST)
    assert list(contract_years()) == list(range(2024, 2031))
    settings.CONTRACT_END = datetime.date(2032, 12, 31)
    assert DayField().clean("2032-06-01") == datetime.date(2032, 6, 1)


@pytest.mark.parametrize("value", [*HOSTILE_DAYS, "1970-01-01"])
def test_the_day_field_refuses_days_outside_the_window(value):
    with pytest.raises(ValidationError) as error:
        DayField().clean(value)
    assert error.value.code == "outside_contract"


def test_the_day_field_takes_the_edges_and_past_days_refuse_tomorrow():
    assert DayField().clean("2024-01-01") == FIRST
    assert DayField().clean("2030-12-31") == LAST
    past = DayField(past=True, future_message="Pas dans le futur.")
    assert past.clean(today().isoformat()) == today()
    with pytest.raises(ValidationError, match="Pas dans le futur"):
        past.clean(tomorrow())


def test_date_inputs_carry_the_window_as_min_and_max():
    html = DayField(past=True).widget.render("paid_on", None)
    assert 'type="date"' in html
    assert 'min="2024-01-01"' in html
    assert f'max="{min(today(), LAST).isoformat()}"' in html
    assert 'max="2030-12-31"' in DayField().widget.render("date", None)


# The participation fund ---------------------------------------------------------------------------


@pytest.fixture
def envelope(actors) -> FundEnvelope:
    return FundEnvelopeFactory(qpv=actors.sanitas, year=today().year, amount=Decimal("10000"))


@pytest.fixture
def granted(envelope) -> GrantApplication:
    return GrantApplicationFactory(
        envelope=envelope,
        status=GrantStatus.GRANTED,
        amount_requested=Decimal("1500"),
        amount_granted=Decimal("1500"),
        decided_at=timezone.now() - timedelta(days=10),
    )


def _pay(client, application, **values):
    data = {"amount": "100", "paid_on": today().isoformat(), **values}
    return client.post(
        reverse("projects:grant_pay", args=[application.pk]),
        {f"pay-{application.pk}-{key}": value for key, value in data.items()},
    )


@pytest.mark.parametrize(
    ("values", "message"),
    [
        *(({"paid_on": day}, OUTSIDE) for day in HOSTILE_DAYS),
        (
            {"paid_on": "tomorrow"},
            "Un versement s'enregistre une fois effectué : la date ne peut pas être dans le futur.",
        ),
        ({"paid_on": "before-decision"}, "Un versement suit la décision"),
        ({"amount": "-5"}, "Le montant versé doit être supérieur à zéro."),
        ({"amount": "0"}, "Le montant versé doit être supérieur à zéro."),
        ({"amount": "1 000 000,01"}, TOO_LARGE),
        ({"amount": "99999999999"}, TOO_LARGE),
    ],
    ids=lambda v: str(v)[:40],
)
def test_a_payment_out_of_bounds_is_refused(client, actors, granted, values, message):
    actors.login(client, "referent_tours")
    special = {
        "tomorrow": tomorrow(),
        "before-decision": (today() - timedelta(days=11)).isoformat(),
    }
    values = {key: special.get(value, value) for key, value in values.items()}
    response = _pay(client, granted, **values)
    _refused(response, message, *values.values())
    assert not GrantPayment.objects.exists()


def test_a_payment_on_the_day_of_the_decision_or_today_is_taken(client, actors, granted):
    actors.login(client, "referent_tours")
    decided = timezone.localdate(granted.decided_at).isoformat()
    assert _pay(client, granted, paid_on=decided).status_code == 302
    assert _pay(client, granted).status_code == 302
    assert GrantPayment.objects.count() == 2


def test_a_payment_on_the_first_day_of_the_contract_is_taken(client, actors, envelope):
    application = GrantApplicationFactory(
        envelope=envelope,
        status=GrantStatus.GRANTED,
        amount_requested=Decimal("500"),
        amount_granted=Decimal("500"),
        decided_at=None,
    )
    actors.login(client, "referent_tours")
    assert _pay(client, application, paid_on="2024-01-01").status_code == 302
    assert GrantPayment.objects.get().paid_on == FIRST


def test_the_payment_form_shows_the_window(client, actors, granted):
    actors.login(client, "referent_tours")
    page = client.get(reverse("projects:envelope_detail", args=[granted.envelope_id]))
    html = page.content.decode()
    assert f'name="pay-{granted.pk}-paid_on"' in html
    assert 'min="2024-01-01"' in html


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"amount": "-1"}, "amount", "L'enveloppe ne peut pas être négative."),
        ({"amount": "5000000"}, "amount", TOO_LARGE),
        ({"year": "2031"}, "year", "Sélectionnez un choix valide."),
        ({"year": "1"}, "year", "Sélectionnez un choix valide."),
    ],
)
def test_an_envelope_out_of_bounds_is_refused(client, actors, values, field, message):
    actors.login(client, "referent_tours")
    data = {"place": f"qpv-{actors.sanitas.pk}", "year": str(today().year), "amount": "8000"}
    response = client.post(reverse("projects:envelope_create"), {**data, **values})
    _refused(response, message)
    assert not FundEnvelope.objects.exists()


def test_an_envelope_amount_changed_too_high_is_refused(client, actors, envelope):
    actors.login(client, "referent_tours")
    url = reverse("projects:envelope_edit", args=[envelope.pk])
    _refused(client.post(url, {"amount": "2 000 000"}), TOO_LARGE, "2 000 000")
    envelope.refresh_from_db()
    assert envelope.amount == Decimal("10000")


def test_an_application_above_the_whole_envelope_is_refused(client, actors, envelope):
    actors.login(client, "referent_tours")
    data = {
        "title": "Fête des voisins",
        "description": "Un repas partagé.",
        "collective_name": "Collectif",
        "contact_name": "Awa Diallo",
        "contact_email": "awa@example.org",
        "amount_requested": "12000",
        "line_label_1": "Repas",
        "line_amount_1": "12000",
    }
    response = client.post(reverse("projects:grant_apply", args=[envelope.pk]), data)
    _refused(response, "le montant demandé ne peut pas la dépasser", "12000")
    assert not GrantApplication.objects.exists()


# Projects and influence ---------------------------------------------------------------------------


def _step(**values) -> dict:
    return {
        "stage": "elaboration",
        "step_date": today().isoformat(),
        "participation_level": "3",
        "residents_involved": "7",
        "note": "",
        "reason": "",
        **values,
    }


@pytest.mark.parametrize(
    ("day", "message"),
    [
        *((day, OUTSIDE) for day in HOSTILE_DAYS),
        ("tomorrow", "La date d'une étape ne peut pas être dans le futur."),
    ],
)
def test_a_project_step_out_of_bounds_is_refused(client, actors, day, message):
    project = ProjectFactory(qpv=actors.sanitas, stage=ProjectStage.IDEA)
    actors.login(client, "referent_tours")
    day = tomorrow() if day == "tomorrow" else day
    response = client.post(
        reverse("projects:project_step", args=[project.pk]), _step(step_date=day)
    )
    _refused(response, message, day)
    assert not ProjectStep.objects.filter(project=project).exists()


def test_a_project_step_today_is_taken(client, actors):
    project = ProjectFactory(qpv=actors.sanitas, stage=ProjectStage.IDEA)
    actors.login(client, "referent_tours")
    response = client.post(reverse("projects:project_step", args=[project.pk]), _step())
    assert response.status_code == 302
    assert project.steps.get().date == today()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("0001-01-01", OUTSIDE),
        ("9999-12-31", OUTSIDE),
        ("tomorrow", "La date de l'évaluation ne peut pas être dans le futur."),
    ],
)
def test_a_project_evaluation_out_of_bounds_is_refused(client, actors, day, message):
    project = ProjectFactory(qpv=actors.sanitas, stage=ProjectStage.COMPLETED)
    actors.login(client, "referent_tours")
    day = tomorrow() if day == "tomorrow" else day
    data = {
        "voice_changed": "Le lieu.",
        "to_keep": "",
        "to_change": "",
        "highest_level": "4",
        "evaluated_on": day,
    }
    response = client.post(reverse("projects:project_evaluation", args=[project.pk]), data)
    _refused(response, message, day)
    assert not ExperienceEvaluation.objects.exists()


def _influence(**values) -> dict:
    return {
        "said": "Des bancs sur le mail.",
        "meeting": "",
        "question": "",
        "outcome": InfluenceOutcome.ADOPTED,
        "what_was_done": "Six bancs posés.",
        "reason": "",
        "project": "",
        "action": "Mobilier",
        "institution": "",
        "decided_on": today().isoformat(),
        **values,
    }


@pytest.mark.parametrize(
    ("day", "message"),
    [
        *((day, OUTSIDE) for day in HOSTILE_DAYS),
        ("tomorrow", "La date est dans le futur : enregistrez une décision une fois"),
    ],
)
def test_an_influence_decision_out_of_bounds_is_refused(client, actors, day, message):
    actors.login(client, "referent_tours")
    day = tomorrow() if day == "tomorrow" else day
    url = reverse("projects:influence_create") + "?qpv=sanitas"
    _refused(client.post(url, _influence(decided_on=day)), message, day)
    assert not InfluenceRecord.objects.exists()


@pytest.mark.parametrize("day", ["2024-01-01", "today"])
def test_an_influence_decision_at_the_edges_is_taken(client, actors, day):
    actors.login(client, "referent_tours")
    day = today().isoformat() if day == "today" else day
    url = reverse("projects:influence_create") + "?qpv=sanitas"
    assert client.post(url, _influence(decided_on=day)).status_code == 302
    assert InfluenceRecord.objects.get().decided_on.isoformat() == day


# Questions, meetings, news, reports -----------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2031-01-01"])
def test_a_due_date_moved_outside_the_contract_is_refused(client, actors, day):
    question = QuestionFactory(qpv=actors.sanitas, organisation=actors.organisation)
    due = question.due_on
    actors.login(client, "referent_tours")
    url = reverse("questions:question_extend", args=[question.pk])
    _refused(client.post(url, {"new_due_on": day, "reason": "Devis"}), OUTSIDE, day)
    question.refresh_from_db()
    assert question.due_on == due
    assert not DueDateChange.objects.exists()


def test_a_due_date_moved_to_the_last_day_of_the_contract_is_taken(client, actors):
    question = QuestionFactory(qpv=actors.sanitas, organisation=actors.organisation)
    actors.login(client, "referent_tours")
    url = reverse("questions:question_extend", args=[question.pk])
    assert client.post(url, {"new_due_on": "2030-12-31", "reason": "Travaux"}).status_code == 302
    question.refresh_from_db()
    assert question.due_on == LAST


def _meeting(**values) -> dict:
    return {
        "title": "Café des habitants",
        "date": (today() + timedelta(days=7)).isoformat(),
        "start_time": "18:00",
        "end_time": "20:00",
        "mode": MeetingMode.IN_PERSON,
        "venue": "Centre social",
        "address": "1 place Neuve, 37000 Tours",
        "capacity": "15",
        "repeat_every_weeks": "",
        "repeat_until": "",
        **values,
    }


@pytest.mark.parametrize(
    "values",
    [
        {"date": "9999-12-31"},
        {"date": "2031-01-01"},
        {"date": "0001-01-01"},
        {"date": "2030-12-20", "repeat_every_weeks": "1", "repeat_until": "2031-01-10"},
    ],
    ids=lambda values: "-".join(values.values()),
)
def test_a_meeting_planned_outside_the_contract_is_refused(client, actors, values):
    actors.login(client, "referent_tours")
    url = reverse("dialogue:meeting_create") + f"?espace={actors.space.pk}"
    _refused(client.post(url, _meeting(**values)), OUTSIDE, *values.values())
    assert not Meeting.objects.exists()


def test_a_meeting_on_the_last_evening_of_the_contract_is_taken(client, actors):
    actors.login(client, "referent_tours")
    url = reverse("dialogue:meeting_create") + f"?espace={actors.space.pk}"
    response = client.post(url, _meeting(date="2030-12-31", start_time="18:00", end_time="23:00"))
    assert response.status_code == 302
    assert timezone.localdate(Meeting.objects.get().starts_at) == LAST


def test_news_published_after_the_contract_is_refused(client, actors):
    actors.login(client, "referent_tours")
    data = {
        "title": "Fête de quartier",
        "body_markdown": "Samedi.",
        "image_alt": "",
        "publication": "later",
        "publish_at": "2031-01-01T10:00",
    }
    response = client.post(reverse("qpv:news_create") + "?qpv=sanitas", data)
    _refused(response, OUTSIDE, "2031-01-01T10:00")
    assert not NewsItem.objects.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [("2023-12-31", "2024-06-30"), ("2030-01-01", "2031-01-01"), ("0001-01-01", "9999-12-31")],
)
def test_a_report_period_outside_the_contract_is_refused(client, actors, start, end):
    actors.login(client, "referent_tours")
    data = {"scope": "qpv:sanitas", "preset": "custom", "start": start, "end": end}
    response = client.post(reverse("evaluation:reports"), data)
    _refused(response, OUTSIDE)
    assert not Report.objects.exists()


def test_the_report_form_shows_the_window(client, actors):
    actors.login(client, "referent_tours")
    html = client.get(reverse("evaluation:reports")).content.decode()
    assert 'min="2024-01-01"' in html
    assert 'max="2030-12-31"' in html


# The models: what the admin (a model form) can store ---------------------------------------------


def _invalid_fields(obj) -> set[str]:
    with pytest.raises(ValidationError) as error:
        obj.full_clean()
    return set(error.value.message_dict)


def test_the_models_refuse_dates_outside_the_contract(actors, granted):
    ancient, far = datetime.date(1, 1, 1), datetime.date(9999, 12, 31)
    payment = GrantPayment(application=granted, amount=Decimal("10"), paid_on=ancient)
    assert "paid_on" in _invalid_fields(payment)
    payment.paid_on = today() + timedelta(days=1)
    assert "paid_on" in _invalid_fields(payment)
    payment.paid_on, payment.amount = today(), MAX_EUROS + 1
    assert "amount" in _invalid_fields(payment)

    project = ProjectFactory(qpv=actors.sanitas)
    step = ProjectStep(project=project, date=far, stage="idea", participation_level=1)
    assert "date" in _invalid_fields(step)

    record = InfluenceRecord(
        qpv=actors.sanitas,
        said="Bancs",
        outcome=InfluenceOutcome.ADOPTED,
        what_was_done="Posés",
        decided_on=ancient,
    )
    assert "decided_on" in _invalid_fields(record)

    envelope = FundEnvelope(qpv=actors.sanitas, year=1, amount=Decimal("10"))
    assert "year" in _invalid_fields(envelope)

    meeting = MeetingFactory.build(
        dialogue_space=actors.space,
        starts_at=timezone.make_aware(datetime.datetime(2031, 1, 1, 18)),
        ends_at=timezone.make_aware(datetime.datetime(2031, 1, 1, 20)),
    )
    assert {"starts_at", "ends_at"} <= _invalid_fields(meeting)

    report = Report(qpv=actors.sanitas, period_start=ancient, period_end=LAST)
    assert "period_start" in _invalid_fields(report)


def test_the_admin_cannot_store_an_influence_record_of_year_one(client, actors):
    actors.login(client, "coordinator")
    data = {
        "qpv": actors.sanitas.pk,
        "said": "Bancs",
        "outcome": InfluenceOutcome.ADOPTED,
        "what_was_done": "Posés",
        "reason": "",
        "action": "",
        "decided_on": "0001-01-01",
    }
    response = client.post(reverse("admin:projects_influencerecord_add"), data)
    assert response.status_code == 200
    assert OUTSIDE in unescape(response.content.decode())
    assert not InfluenceRecord.objects.exists()


# The services: the same rules for any caller, a form or not ----------------------------------------


def test_the_services_refuse_dates_outside_the_contract(actors, granted):
    from dialogue.services.meetings import MeetingError, meeting_create
    from projects.services.fund import FundError, grant_record_payment
    from projects.services.influence import InfluenceError, influence_record_create
    from projects.services.projects import ProjectError, project_add_step
    from questions.services import QuestionError, question_extend_due_date

    by = actors["referent_tours"]
    ancient = datetime.date(1, 1, 1)
    with pytest.raises(FundError) as fund_error:
        grant_record_payment(application=granted, amount=Decimal("10"), paid_on=ancient, by=by)
    assert fund_error.value.code == "outside_contract"
    with pytest.raises(ProjectError):
        project_add_step(
            project=ProjectFactory(qpv=actors.sanitas),
            stage="elaboration",
            step_date=ancient,
            participation_level=2,
            by=by,
        )
    with pytest.raises(InfluenceError):
        influence_record_create(
            qpv=actors.sanitas,
            said="Bancs",
            outcome=InfluenceOutcome.ADOPTED,
            what_was_done="Posés",
            decided_on=ancient,
            by=by,
        )
    question = QuestionFactory(qpv=actors.sanitas, organisation=actors.organisation)
    with pytest.raises(QuestionError) as question_error:
        question_extend_due_date(
            question=question, new_due_on=datetime.date(2031, 1, 1), reason="Devis", by=by
        )
    assert question_error.value.code == "outside_contract"
    starts = timezone.make_aware(datetime.datetime(2031, 1, 7, 18))
    with pytest.raises(MeetingError) as meeting_error:
        meeting_create(
            space=actors.space,
            by=by,
            title="Café",
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            mode=MeetingMode.ONLINE,
            online_url="https://visio.example.org/cafe",
        )
    assert meeting_error.value.code == "outside_contract"
    assert not GrantPayment.objects.exists()
    assert not InfluenceRecord.objects.exists()
    assert not Meeting.objects.exists()
