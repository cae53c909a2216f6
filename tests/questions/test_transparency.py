"""Transparency figures of the Q&A (dialogue/transparency.py): exact values on hand-made data.

Run also on PostgreSQL (CI does): the percentiles are percentile_cont there, a registered Python
aggregate on SQLite, and both must give the same numbers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from qpv.models import QPV
from questions.models import Channel, Question, QuestionStatus
from questions.selectors import (
    PublicStatus,
    TransparencyFigures,
    percentile_cont,
    public_transparency,
    public_transparency_by_qpv,
    transparency_by_qpv,
    transparency_figures,
    with_public_status,
)
from tests.dialogue.factories import RegistrationFactory
from tests.qpv.factories import OrganisationFactory
from tests.questions.factories import QuestionFactory

pytestmark = pytest.mark.django_db

TODAY = date(2027, 6, 15)
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def sanitas() -> QPV:
    return QPV.objects.get(slug="sanitas")


@pytest.fixture
def rabiere() -> QPV:
    return QPV.objects.get(slug="la-rabiere")


def answered(received_on: date, days: int, *, due_days: int = 30, **kwargs) -> Question:
    return QuestionFactory(
        received_on=received_on,
        due_on=received_on + timedelta(days=due_days),
        answered_on=received_on + timedelta(days=days),
        status=QuestionStatus.ANSWERED,
        **kwargs,
    )


def waiting(received_on: date, *, due_days: int = 30, **kwargs) -> Question:
    return QuestionFactory(
        received_on=received_on, due_on=received_on + timedelta(days=due_days), **kwargs
    )


def test_percentile_cont_interpolates_like_postgresql():
    assert percentile_cont([1, 2, 3, 4, 10], 0.5) == 3
    assert percentile_cont([10, 4, 3, 2, 1], 0.9) == pytest.approx(7.6)
    assert percentile_cont([1, 2, 3, 4], 0.5) == 2.5
    assert percentile_cont([7], 0.9) == 7
    assert percentile_cont([], 0.5) is None


def test_median_and_p90_on_a_known_list(sanitas):
    for days in (1, 2, 3, 4, 10):
        answered(date(2027, 5, 1), days, qpv=sanitas)
    figures = transparency_figures(qpv=sanitas, today=TODAY)
    assert figures.median_delay_days == 3
    assert figures.p90_delay_days == 7.6
    assert figures.answered == figures.received == 5


def test_delay_across_a_month_end(sanitas):
    question = QuestionFactory(
        qpv=sanitas,
        received_on=date(2027, 1, 31),
        due_on=date(2027, 3, 2),
        answered_on=date(2027, 3, 2),
        status=QuestionStatus.ANSWERED,
    )
    assert question.delay_days == 30
    figures = transparency_figures(qpv=sanitas, today=TODAY)
    assert figures.median_delay_days == figures.p90_delay_days == 30
    # Due on the day of the answer: within the due date.
    assert figures.answered_on_time == 1


def test_delay_across_the_change_to_summer_time(sanitas):
    # Clocks go forward on 28 March 2027: the day is 23 hours long, the delay still 30 days.
    question = QuestionFactory(
        qpv=sanitas,
        received_on=date(2027, 3, 20),
        due_on=date(2027, 4, 19),
        answered_on=date(2027, 4, 19),
        status=QuestionStatus.ANSWERED,
    )
    assert question.delay_days == 30
    assert transparency_figures(qpv=sanitas, today=TODAY).median_delay_days == 30


def test_delay_across_the_change_to_winter_time(sanitas):
    # Clocks go back on 31 October 2027.
    answered(date(2027, 10, 20), 20, qpv=sanitas)
    figures = transparency_figures(qpv=sanitas, today=date(2027, 12, 1))
    assert figures.median_delay_days == 20


@pytest.fixture
def dataset(sanitas, rabiere):
    """A mix in two communes, two organisations, and questions that must not count."""
    bailleur = OrganisationFactory(name="Tours Habitat")
    ville = OrganisationFactory(name="Ville de Tours")
    # Sanitas (Tours), received in May 2027.
    answered(date(2027, 5, 3), 5, qpv=sanitas, organisation=bailleur)  # on time
    answered(date(2027, 5, 10), 30, qpv=sanitas, organisation=bailleur)  # on the due date
    answered(date(2027, 5, 20), 40, qpv=sanitas, organisation=ville)  # late answer
    waiting(date(2027, 5, 10), qpv=sanitas, organisation=bailleur, status="forwarded")  # overdue
    waiting(date(2027, 5, 31), qpv=sanitas)  # due 30 June: open, not overdue
    QuestionFactory(
        qpv=sanitas,
        received_on=date(2027, 5, 12),
        due_on=date(2027, 6, 11),
        status=QuestionStatus.CLOSED,
        closed_reason="Hors du champ des institutions.",
    )
    # Not public, still counted: figures are counts, not contents.
    answered(date(2027, 5, 15), 10, qpv=sanitas, organisation=ville, public_display=False)
    # Outside the period (April, then July).
    answered(date(2027, 4, 30), 2, qpv=sanitas, organisation=bailleur)
    waiting(date(2027, 6, 1), qpv=sanitas)
    # La Rabière (Joué-lès-Tours), May 2027.
    answered(date(2027, 5, 5), 12, qpv=rabiere, organisation=bailleur)
    waiting(date(2027, 5, 1), qpv=rabiere, due_days=20)  # overdue since 21 May
    # Never counted: not accepted.
    for status in (QuestionStatus.UNCONFIRMED, QuestionStatus.MODERATION, QuestionStatus.REJECTED):
        waiting(date(2027, 5, 4), qpv=sanitas, status=status, organisation=bailleur)
    return {"bailleur": bailleur, "ville": ville}


MAY = {"start": date(2027, 5, 1), "end": date(2027, 5, 31)}


def test_figures_of_a_qpv_over_a_period(dataset, sanitas):
    figures = transparency_figures(qpv=sanitas, today=TODAY, **MAY)
    assert figures == TransparencyFigures(
        received=7,
        answered=4,
        answered_on_time=3,
        closed=1,
        still_open=2,
        overdue=1,
        median_delay_days=20.0,  # 5, 10, 30, 40
        p90_delay_days=37.0,  # 30 + 0.7 * 10
    )
    assert figures.received == figures.answered + figures.closed + figures.still_open
    assert figures.answered_percent == 57
    assert figures.on_time_percent == 43


def test_period_bounds_are_included(dataset, sanitas):
    figures = transparency_figures(
        qpv=sanitas, start=date(2027, 5, 3), end=date(2027, 5, 3), today=TODAY
    )
    assert figures.received == 1
    assert figures.median_delay_days == 5


def test_all_time_figures_of_a_qpv(dataset, sanitas):
    figures = transparency_figures(qpv=sanitas, today=TODAY)
    assert figures.received == 9
    assert figures.answered == 5
    assert figures.still_open == 3
    assert figures.median_delay_days == 10


def test_overdue_depends_on_today(dataset, sanitas):
    # The overdue forwarded question was due on 9 June: not yet overdue on that day.
    assert transparency_figures(qpv=sanitas, today=date(2027, 6, 9), **MAY).overdue == 0
    assert transparency_figures(qpv=sanitas, today=date(2027, 6, 10), **MAY).overdue == 1
    assert transparency_figures(qpv=sanitas, today=date(2027, 7, 1), **MAY).overdue == 2


def test_figures_of_a_commune_and_of_the_metropole(dataset, sanitas, rabiere):
    tours = transparency_figures(commune=sanitas.commune, today=TODAY, **MAY)
    assert tours == transparency_figures(qpv=sanitas, today=TODAY, **MAY)
    joue = transparency_figures(commune=rabiere.commune_id, today=TODAY, **MAY)
    assert (joue.received, joue.answered, joue.overdue, joue.median_delay_days) == (2, 1, 1, 12)
    everywhere = transparency_figures(today=TODAY, **MAY)
    assert everywhere.received == 9
    assert everywhere.overdue == 2
    assert everywhere.median_delay_days == 12  # 5, 10, 12, 30, 40


def test_figures_of_an_organisation(dataset):
    figures = transparency_figures(organisation=dataset["bailleur"], today=TODAY, **MAY)
    # Sanitas: two answered (5 and 30 days), one overdue; La Rabière: one answered (12 days).
    assert figures == TransparencyFigures(
        received=4,
        answered=3,
        answered_on_time=3,
        still_open=1,
        overdue=1,
        median_delay_days=12.0,
        p90_delay_days=26.4,  # 12 + 0.8 * 18
    )


def test_empty_scope_gives_zeros_and_no_delay(dataset, sanitas):
    figures = transparency_figures(qpv=QPV.objects.get(slug="le-morier"), today=TODAY)
    assert figures == TransparencyFigures()
    assert figures.received == 0
    assert figures.median_delay_days is None
    assert figures.p90_delay_days is None
    assert figures.answered_percent is None
    assert figures.on_time_percent is None
    empty_period = transparency_figures(start=date(2030, 1, 1), end=date(2029, 1, 1))
    assert empty_period == TransparencyFigures()


def test_open_questions_only_have_no_delay(sanitas):
    waiting(date(2027, 5, 1), qpv=sanitas)
    figures = transparency_figures(qpv=sanitas, today=TODAY)
    assert figures.received == figures.still_open == figures.overdue == 1
    assert figures.median_delay_days is None


def test_figures_are_one_query(dataset, sanitas, django_assert_num_queries):
    with django_assert_num_queries(1):
        transparency_figures(qpv=sanitas, start=date(2027, 5, 1), today=TODAY)


def test_by_qpv_matches_the_figures_of_each_qpv(
    dataset, sanitas, rabiere, django_assert_num_queries
):
    with django_assert_num_queries(2):
        by_qpv = transparency_by_qpv(today=TODAY, **MAY)
    assert len(by_qpv) == 13
    assert list(by_qpv) == list(QPV.objects.for_listing())
    for qpv, figures in by_qpv.items():
        assert figures == transparency_figures(qpv=qpv, today=TODAY, **MAY), qpv
    assert by_qpv[sanitas].received == 7
    assert by_qpv[rabiere].received == 2
    assert by_qpv[QPV.objects.get(slug="le-morier")] == TransparencyFigures()


def test_by_qpv_of_a_commune_with_given_qpv(dataset, sanitas, django_assert_num_queries):
    qpvs, tours = list(QPV.objects.for_listing()), sanitas.commune
    with django_assert_num_queries(1):
        by_qpv = transparency_by_qpv(commune=tours, qpvs=qpvs, today=TODAY)
    assert {qpv.commune_id for qpv in by_qpv} == {sanitas.commune_id}
    assert by_qpv[sanitas].received == 9
    by_organisation = transparency_by_qpv(organisation=dataset["ville"], today=TODAY, **MAY)
    assert by_organisation[sanitas].answered == 2
    assert by_organisation[sanitas].answered_on_time == 1


def test_public_figures_equal_a_full_computation_and_follow_each_write(
    dataset, sanitas, django_assert_num_queries
):
    """The public Q&A keeps its figures until the next write (issue 21): a read served from that
    store runs no SQL, and a question answered in between shows at the next read."""
    qpvs = list(QPV.objects.for_listing())
    assert public_transparency(today=TODAY) == transparency_figures(today=TODAY)
    assert public_transparency(qpv=sanitas, today=TODAY) == transparency_figures(
        qpv=sanitas, today=TODAY
    )
    assert public_transparency_by_qpv(today=TODAY, qpvs=qpvs) == transparency_by_qpv(
        today=TODAY, qpvs=qpvs
    )
    with django_assert_num_queries(0):
        public_transparency(today=TODAY)
        public_transparency(qpv=sanitas, today=TODAY)
        public_transparency_by_qpv(today=TODAY, qpvs=qpvs)
    # A live meeting's taps (someone ticked present) leave the stored figures in place.
    registration = RegistrationFactory()
    registration.attended = True
    registration.save(update_fields=["attended"])
    with django_assert_num_queries(0):
        public_transparency(today=TODAY)
        public_transparency_by_qpv(today=TODAY, qpvs=qpvs)
    before = public_transparency(qpv=sanitas, today=TODAY)
    question = Question.objects.filter(qpv=sanitas, status=QuestionStatus.FORWARDED).first()
    question.status, question.answered_on = QuestionStatus.ANSWERED, TODAY
    question.save()
    after = public_transparency(qpv=sanitas, today=TODAY)
    assert after == transparency_figures(qpv=sanitas, today=TODAY)
    assert after.answered == before.answered + 1
    assert public_transparency(today=TODAY) == transparency_figures(today=TODAY)
    assert public_transparency_by_qpv(today=TODAY, qpvs=qpvs) == transparency_by_qpv(
        today=TODAY, qpvs=qpvs
    )


def test_public_status_is_computed_with_the_date(sanitas):
    received = date(2027, 5, 1)
    due_today = waiting(received, qpv=sanitas, due_days=45)  # due 15 June
    late = waiting(received, qpv=sanitas, due_days=44, status=QuestionStatus.FORWARDED)
    on_time = waiting(received, qpv=sanitas, due_days=60)
    done = answered(received, 60, qpv=sanitas)  # answered late: still "answered"
    closed = QuestionFactory(
        qpv=sanitas,
        received_on=received,
        due_on=date(2027, 5, 2),
        status=QuestionStatus.CLOSED,
        closed_reason="Hors du champ.",
    )
    statuses = dict(
        with_public_status(Question.objects.all(), TODAY).values_list("pk", "public_status")
    )
    assert statuses == {
        due_today.pk: PublicStatus.WAITING,
        late.pk: PublicStatus.LATE,
        on_time.pk: PublicStatus.WAITING,
        done.pk: PublicStatus.ANSWERED,
        closed.pk: PublicStatus.CLOSED,
    }
    # The day after, the one due today is late.
    next_day = dict(
        with_public_status(Question.objects.all(), TODAY + timedelta(days=1)).values_list(
            "pk", "public_status"
        )
    )
    assert next_day[due_today.pk] == PublicStatus.LATE


# Questions logged late after their meeting (issue 17, item 7) -----------------------------------


def heard(received_on: date, logged_at: datetime, **kwargs) -> Question:
    """Heard at a meeting on `received_on`, logged by the staff at `logged_at`."""
    question = waiting(received_on, channel=Channel.MEETING, **kwargs)
    Question.objects.filter(pk=question.pk).update(created_at=logged_at)
    return question


def test_questions_logged_more_than_7_days_after_their_meeting(sanitas, rabiere):
    meeting_day = date(2027, 5, 11)
    heard(meeting_day, datetime(2027, 5, 11, 21, 0, tzinfo=PARIS), qpv=sanitas)  # that evening
    # 7 days after, late in the evening: still within the 7 days.
    heard(meeting_day, datetime(2027, 5, 18, 23, 59, tzinfo=PARIS), qpv=sanitas)
    # 8 days after in Paris, although still the 18th in UTC (22:30 UTC is 00:30 Paris).
    heard(meeting_day, datetime(2027, 5, 18, 22, 30, tzinfo=UTC), qpv=sanitas)
    heard(meeting_day, datetime(2027, 6, 30, 10, 0, tzinfo=PARIS), qpv=rabiere)
    # Asked online: never "logged late", whenever they were created.
    waiting(date(2027, 5, 1), qpv=sanitas)
    Question.objects.filter(channel=Channel.ONLINE).update(
        created_at=datetime(2027, 6, 1, tzinfo=PARIS)
    )
    figures = transparency_figures(qpv=sanitas, today=TODAY, **MAY)
    assert (figures.received, figures.heard_at_meetings, figures.logged_late) == (4, 3, 1)
    assert transparency_figures(today=TODAY, **MAY).logged_late == 2
    by_qpv = transparency_by_qpv(today=TODAY, **MAY)
    assert (by_qpv[sanitas].logged_late, by_qpv[rabiere].logged_late) == (1, 1)
    assert TransparencyFigures().logged_late_days == 7


def test_logged_late_keeps_the_figures_one_query(sanitas, django_assert_num_queries):
    for day in range(15, 30):
        heard(date(2027, 5, day), datetime(2027, 5, 30, tzinfo=PARIS), qpv=sanitas)
    with django_assert_num_queries(1):
        figures = transparency_figures(qpv=sanitas, today=TODAY)
    assert figures.logged_late == 8  # heard on the 15th to the 22nd: 8 to 15 days before the 30th


def test_the_public_pages_say_how_many_were_logged_late(client, sanitas):
    heard(date(2027, 5, 11), datetime(2027, 5, 11, 21, 0, tzinfo=PARIS), qpv=sanitas)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for url in (
        reverse("questions:questions"),
        reverse("questions:qpv_questions", args=["sanitas"]),
    ):
        page = client.get(url).content.decode()
        assert "The question asked at a meeting was noted within 7 days." in page
    heard(date(2027, 5, 11), datetime(2027, 5, 30, 9, 0, tzinfo=PARIS), qpv=sanitas)
    page = client.get(reverse("questions:questions")).content.decode()
    assert (
        "1 of the 2 questions asked at a meeting was noted more than 7 days after the meeting."
        in page
    )
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(reverse("questions:qpv_questions", args=["sanitas"])).content.decode()
    assert (
        "1 des 2 questions posées en rencontre a été notée plus de 7 jours après la rencontre."
        in page
    )
