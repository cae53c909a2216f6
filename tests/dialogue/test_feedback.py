"""The anonymous survey: invitations, one answer per token, 30 days, on the spot, summary, anonymity."""

from __future__ import annotations

import logging
import re
from datetime import datetime, time, timedelta

import pytest
from django.db import models
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from dialogue.models import (
    ComeBack,
    Feedback,
    FeedbackToken,
    Meeting,
    MeetingStatus,
    RegistrationStatus,
    feedback_token_hash,
)
from dialogue.services.feedback import (
    FeedbackError,
    feedback_invitations_send,
    feedback_submit,
    feedback_summary,
    feedback_tokens_create,
)
from dialogue.views.feedback import ANSWERED, SESSION_KEY
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

SURVEY_LINK = re.compile(r"https?://[^\s\"<>]+/avis/([^\s\"<>/]+)/")
VALID = {
    "felt_heard": "4",
    "felt_legitimate": "5",
    "understood_institutions": "3",
    "will_come_back": "yes",
    "comment": "Merci pour l'accueil.",
}


def held_meeting(*, days_ago: float = 2, **kwargs) -> Meeting:
    """A meeting of two hours that ended `days_ago` days ago (negative: still to come)."""
    ends_at = timezone.now() - timedelta(days=days_ago)
    kwargs.setdefault("status", MeetingStatus.HELD)
    return MeetingFactory(starts_at=ends_at - timedelta(hours=2), ends_at=ends_at, **kwargs)


def token_for(meeting: Meeting) -> str:
    (token,) = feedback_tokens_create(meeting=meeting, count=1)
    return token


def url(token: str) -> str:
    return reverse("dialogue:feedback", args=[token])


# Invitations by email ---------------------------------------------------------------------------


def test_invitations_go_once_to_each_attendee_with_their_own_token(mailoutbox, on_commit, caplog):
    meeting = held_meeting()
    RegistrationFactory(meeting=meeting, email="awa@example.org", attended=True)
    RegistrationFactory(meeting=meeting, email="karim@example.org", attended=True)
    # The same person twice (an old cancelled registration, ticked too): one email.
    RegistrationFactory(
        meeting=meeting, email="awa@example.org", attended=True, status=RegistrationStatus.CANCELLED
    )
    RegistrationFactory(meeting=meeting, email="absent@example.org", attended=False)
    RegistrationFactory(meeting=meeting, email="unknown@example.org", attended=None)
    RegistrationFactory(meeting=held_meeting(), email="elsewhere@example.org", attended=True)
    next_meeting = MeetingFactory(dialogue_space=meeting.dialogue_space, title="La suite")

    caplog.set_level(logging.DEBUG)
    with on_commit():
        assert feedback_invitations_send(meeting) == 2

    assert sorted(m.to[0] for m in mailoutbox) == ["awa@example.org", "karim@example.org"]
    tokens = [SURVEY_LINK.search(m.body).group(1) for m in mailoutbox]
    assert len(set(tokens)) == 2
    stored = set(FeedbackToken.objects.filter(meeting=meeting).values_list("token_hash", flat=True))
    assert stored == {feedback_token_hash(token) for token in tokens}
    # The raw token is nowhere in the database nor in the logs.
    assert not FeedbackToken.objects.filter(token_hash__in=tokens).exists()
    assert not any(token in record.getMessage() for record in caplog.records for token in tokens)
    # All created at the same instant: their times say nothing of the order of the recipients.
    assert FeedbackToken.objects.values("created_at").distinct().count() == 1
    message = mailoutbox[0]
    assert next_meeting.title in message.body
    assert "html" in message.alternatives[0][1]
    meeting.refresh_from_db()
    assert meeting.feedback_sent_at is not None


def test_invitations_are_idempotent(mailoutbox, on_commit):
    meeting = held_meeting()
    RegistrationFactory(meeting=meeting, attended=True)
    with on_commit():
        assert feedback_invitations_send(meeting) == 1
    with on_commit():
        assert feedback_invitations_send(meeting) == 0
        # A fresh object (the flag read from the database) sends nothing either.
        assert feedback_invitations_send(Meeting.objects.get(pk=meeting.pk)) == 0
    assert len(mailoutbox) == 1
    assert FeedbackToken.objects.count() == 1


def test_no_attendee_claims_nothing_so_a_later_save_still_sends(mailoutbox, on_commit):
    meeting = held_meeting()
    registration = RegistrationFactory(meeting=meeting, attended=None)
    with on_commit():
        assert feedback_invitations_send(meeting) == 0
    meeting.refresh_from_db()
    assert meeting.feedback_sent_at is None
    registration.attended = True
    registration.save()
    with on_commit():
        assert feedback_invitations_send(meeting) == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize("days_ago", [-7, 31])
def test_no_invitation_before_the_meeting_nor_after_the_window(mailoutbox, on_commit, days_ago):
    meeting = held_meeting(days_ago=days_ago)
    RegistrationFactory(meeting=meeting, attended=True)
    with on_commit():
        assert feedback_invitations_send(meeting) == 0
    assert mailoutbox == []
    assert not FeedbackToken.objects.exists()


def test_the_emailed_link_opens_the_survey(client, mailoutbox, on_commit):
    meeting = held_meeting()
    RegistrationFactory(meeting=meeting, attended=True)
    with on_commit():
        feedback_invitations_send(meeting)
    token = SURVEY_LINK.search(mailoutbox[0].body).group(1)
    assert client.get(url(token)).status_code == 200


# The form ---------------------------------------------------------------------------------------


def test_form_is_accessible_radio_groups(client):
    meeting = held_meeting()
    response = client.get(url(token_for(meeting)))
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<fieldset") == 4
    assert page.count("<legend") == 4
    assert page.count('type="radio"') == 3 * 5 + 3
    assert 'id="id_felt_heard_0"' in page and 'for="id_felt_heard_0"' in page
    assert '<meta name="robots" content="noindex">' in page
    assert "style=" not in page
    assert meeting.title in page


def test_one_answer_per_token(client):
    meeting = held_meeting()
    token = token_for(meeting)
    response = client.post(url(token), VALID)
    assert response.status_code == 200
    assert "dialogue/feedback/thanks.html" in [t.name for t in response.templates]
    feedback = Feedback.objects.get()
    assert (feedback.meeting, feedback.felt_heard, feedback.felt_legitimate) == (meeting, 4, 5)
    assert (feedback.understood_institutions, feedback.will_come_back) == (3, ComeBack.YES)
    assert feedback.comment == "Merci pour l'accueil."
    assert feedback.answered_on == timezone.localdate()

    again = client.post(url(token), {**VALID, "felt_heard": "1"})
    assert again.status_code == 409
    assert "dialogue/feedback/answered.html" in [t.name for t in again.templates]
    assert Feedback.objects.count() == 1
    shown = client.get(url(token))
    assert shown.status_code == 200
    assert "dialogue/feedback/answered.html" in [t.name for t in shown.templates]


def test_the_service_refuses_a_second_answer():
    meeting = held_meeting()
    token = FeedbackToken.objects.get(token_hash=feedback_token_hash(token_for(meeting)))
    data = {**VALID, "felt_heard": 4, "felt_legitimate": 5, "understood_institutions": 3}
    feedback_submit(token=token, data=data)
    with pytest.raises(FeedbackError) as refused:
        feedback_submit(token=token, data=data)
    assert refused.value.code == "used"
    assert Feedback.objects.count() == 1


def test_unknown_token_is_a_404_page(client):
    held_meeting()
    for token in ["nope", "x" * 300, "%2e%2e"]:
        response = client.get(url(token))
        assert response.status_code == 404
        assert "dialogue/feedback/unknown.html" in [t.name for t in response.templates]
    assert client.post(url("nope"), VALID).status_code == 404
    assert not Feedback.objects.exists()


def test_after_30_days_the_survey_is_closed(client):
    meeting = held_meeting(days_ago=30.1)
    token = token_for(meeting)
    response = client.get(url(token))
    assert response.status_code == 410
    assert "dialogue/feedback/closed.html" in [t.name for t in response.templates]
    assert client.post(url(token), VALID).status_code == 410
    assert not Feedback.objects.exists()


def test_within_30_days_the_survey_is_open(client):
    token = token_for(held_meeting(days_ago=29.9))
    assert client.post(url(token), VALID).status_code == 200
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    "field, value",
    [
        ("felt_heard", "0"),
        ("felt_heard", "6"),
        ("felt_legitimate", "abc"),
        ("understood_institutions", ""),
        ("understood_institutions", "3.5"),
        ("will_come_back", "perhaps"),
        ("will_come_back", ""),
    ],
)
def test_invalid_answers_are_refused_and_values_kept(client, field, value):
    token = token_for(held_meeting())
    response = client.post(url(token), {**VALID, field: value})
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == [field]
    page = response.content.decode()
    assert "error-summary" in page
    assert f'href="#id_{field}_0"' in page  # the summary leads to the first option of the group
    # What was chosen and typed is still there.
    assert "Merci pour l&#x27;accueil." in page
    for name in ("felt_heard", "felt_legitimate", "understood_institutions", "will_come_back"):
        if name != field:
            assert re.search(
                rf'name="{name}"\s+id="id_{name}_\d"\s+value="{VALID[name]}"\s+'
                r"required\s+checked",
                page,
            ), name
    assert not Feedback.objects.exists()
    assert FeedbackToken.objects.get().used_at is None


def test_a_phone_number_or_an_email_typed_in_the_comment_is_not_kept(client):
    """The answer is anonymous: no purge could ever find a way to reach its author again."""
    token = token_for(held_meeting())
    comment = "Très bien. Rappelez-moi au 06 12 34 56 78 ou lea.martin@example.org"
    assert client.post(url(token), {**VALID, "comment": comment}).status_code == 200
    assert Feedback.objects.get().comment == (
        "Très bien. Rappelez-moi au [coordonnées retirées] ou [coordonnées retirées]"
    )


def test_too_long_comment_is_refused(client):
    token = token_for(held_meeting())
    response = client.post(url(token), {**VALID, "comment": "a" * 2001})
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["comment"]
    assert client.post(url(token), {**VALID, "comment": "a" * 2000}).status_code == 200


def test_cancelled_meeting_takes_no_answer(client):
    meeting = held_meeting()
    token = token_for(meeting)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=MeetingStatus.CANCELLED, cancellation_reason="Salle indisponible"
    )
    assert client.post(url(token), VALID).status_code == 410
    assert not Feedback.objects.exists()


# Anonymity --------------------------------------------------------------------------------------


def test_nothing_links_a_token_or_an_answer_to_a_person(client):
    assert {field.name for field in FeedbackToken._meta.get_fields()} == {
        "id",
        "meeting",
        "token_hash",
        "created_at",
        "used_at",
    }
    assert {field.name for field in Feedback._meta.get_fields()} == {
        "id",
        "meeting",
        "felt_heard",
        "felt_legitimate",
        "understood_institutions",
        "will_come_back",
        "comment",
        "answered_on",
    }
    for model in (Feedback, FeedbackToken):
        relations = [field for field in model._meta.get_fields() if field.is_relation]
        assert [field.related_model for field in relations] == [Meeting]
    assert isinstance(Feedback._meta.get_field("answered_on"), models.DateField)
    assert not isinstance(Feedback._meta.get_field("answered_on"), models.DateTimeField)

    meeting = held_meeting()
    RegistrationFactory(meeting=meeting, attended=True, email="awa@example.org")
    token = token_for(meeting)
    client.post(url(token), VALID)
    row = FeedbackToken.objects.values().get()
    assert "awa@example.org" not in str(row)
    assert token not in str(row)
    # The token's use is known to the day only, like the answer.
    used_at = timezone.localtime(row["used_at"])
    assert used_at.time() == time(0, 0)
    assert used_at.date() == Feedback.objects.get().answered_on


# On the spot -------------------------------------------------------------------------------------


def spot_url(meeting: Meeting) -> str:
    return reverse("dialogue:feedback_on_the_spot", args=[meeting.pk])


def test_on_the_spot_gives_one_token_per_browser(client):
    meeting = held_meeting(days_ago=0.01)
    first = client.get(spot_url(meeting))
    assert first.status_code == 302
    assert first["Location"].startswith("/avis/")
    assert client.get(spot_url(meeting))["Location"] == first["Location"]
    assert FeedbackToken.objects.filter(meeting=meeting).count() == 1
    assert client.get(first["Location"]).status_code == 200

    other = client.__class__()
    assert other.get(spot_url(meeting))["Location"] != first["Location"]
    assert FeedbackToken.objects.filter(meeting=meeting).count() == 2

    # Once answered, the session forgets the token and says "answered": no second token.
    assert client.post(first["Location"], VALID).status_code == 200
    assert client.session[SESSION_KEY] == {str(meeting.pk): ANSWERED}
    again = client.get(spot_url(meeting))
    assert again.status_code == 200
    assert "dialogue/feedback/answered.html" in [t.name for t in again.templates]
    assert FeedbackToken.objects.filter(meeting=meeting).count() == 2


def test_on_the_spot_during_a_meeting_not_yet_marked_held(client):
    now = timezone.now()
    meeting = MeetingFactory(
        starts_at=now - timedelta(minutes=30), ends_at=now + timedelta(hours=1)
    )
    assert client.get(spot_url(meeting)).status_code == 302


def test_on_the_spot_refusals(client):
    future = MeetingFactory()
    response = client.get(spot_url(future))
    assert response.status_code == 200
    assert response.context["not_yet"] is True
    assert client.get(spot_url(held_meeting(days_ago=31))).status_code == 410
    cancelled = held_meeting(status=MeetingStatus.CANCELLED, cancellation_reason="Grève")
    assert client.get(spot_url(cancelled)).status_code == 410
    hidden = held_meeting(dialogue_space=DialogueSpaceFactory(is_active=False))
    assert client.get(spot_url(hidden)).status_code == 404
    assert client.get(reverse("dialogue:feedback_on_the_spot", args=[999999])).status_code == 404
    assert client.post(spot_url(held_meeting())).status_code == 405
    assert not FeedbackToken.objects.exists()


# The QR code page (staff) ---------------------------------------------------------------------------

ACTORS = {
    "visitor": False,
    "resident": False,
    "facilitator_sanitas": True,
    "facilitator_space": True,
    "facilitator_rabiere": False,
    "referent_tours": True,
    "referent_joue": False,
    "correspondent": False,
    "delegate_all": False,
    "coordinator": True,
}


@pytest.fixture
def meeting(actors):
    """A held meeting of Café du Sanitas."""
    return held_meeting(dialogue_space=actors.space)


@pytest.mark.parametrize("actor, allowed", ACTORS.items())
def test_qr_page_by_role(client, actors, meeting, actor, allowed):
    actors.login(client, actor)
    response = client.get(reverse("dialogue:feedback_qr", args=[meeting.pk]))
    if actor == "visitor":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    elif allowed:
        assert response.status_code == 200
        page = response.content.decode()
        assert '<svg role="img" viewBox=' in page
        assert "http://testserver" not in page
        assert spot_url(meeting) in page
        assert "style=" not in page
    else:
        # The delegate sees the meeting (its log), not its tools: 403; the others do not see it.
        assert response.status_code == (403 if actor == "delegate_all" else 404)
    assert not FeedbackToken.objects.exists()  # showing the code creates no token


def test_qr_page_of_an_unknown_meeting_is_404(client, actors):
    actors.login(client, "coordinator")
    assert client.get(reverse("dialogue:feedback_qr", args=[999999])).status_code == 404


# Summary ------------------------------------------------------------------------------------------


def make_answers(meeting: Meeting, count: int, **fields) -> None:
    Feedback.objects.bulk_create(
        Feedback(
            meeting=meeting,
            felt_heard=fields.get("felt_heard", 4),
            felt_legitimate=fields.get("felt_legitimate", 3),
            understood_institutions=fields.get("understood_institutions", 2),
            will_come_back=fields.get("will_come_back", ComeBack.YES),
            comment=fields.get("comment", ""),
        )
        for _index in range(count)
    )


def test_summary_exact_values():
    meeting = held_meeting()
    other = held_meeting()
    feedback_tokens_create(meeting=meeting, count=4)
    feedback_tokens_create(meeting=other, count=2)
    make_answers(
        meeting,
        1,
        felt_heard=5,
        felt_legitimate=4,
        understood_institutions=1,
        comment="Zut, trop court",
    )
    make_answers(
        meeting,
        1,
        felt_heard=4,
        felt_legitimate=4,
        understood_institutions=2,
        will_come_back=ComeBack.MAYBE,
        comment="Accueil chaleureux",
    )
    make_answers(
        meeting,
        1,
        felt_heard=2,
        felt_legitimate=1,
        understood_institutions=2,
        will_come_back=ComeBack.NO,
    )
    make_answers(other, 2, felt_heard=1, comment="Ailleurs")

    summary = feedback_summary(meeting)
    assert (summary.answers, summary.invitations) == (3, 4)
    assert summary.response_rate == 0.75
    assert summary.response_rate_percent == 75
    assert summary.felt_heard == pytest.approx(11 / 3, abs=0.01)
    assert summary.felt_legitimate == pytest.approx(3.0)
    assert summary.understood_institutions == pytest.approx(5 / 3, abs=0.01)
    assert (summary.come_back_yes, summary.come_back_maybe, summary.come_back_no) == (1, 1, 1)
    assert summary.comments == ("Accueil chaleureux", "Zut, trop court")
    assert summary.is_shown


def test_summary_of_a_meeting_without_answers():
    summary = feedback_summary(held_meeting())
    assert (summary.answers, summary.invitations, summary.response_rate) == (0, 0, None)
    assert (summary.felt_heard, summary.felt_legitimate, summary.understood_institutions) == (
        None,
        None,
        None,
    )
    assert summary.comments == ()
    html = render_to_string("dialogue/includes/log_feedback.html", {"feedback": summary})
    assert 'class="log-feedback-figures"' in html
    assert "log-feedback-table" not in html


@pytest.mark.parametrize("count", [3, 30])
def test_summary_query_count_does_not_grow(django_assert_num_queries, count):
    meeting = held_meeting()
    feedback_tokens_create(meeting=meeting, count=count + 2)
    make_answers(meeting, count, comment="Bien")
    with django_assert_num_queries(3):
        summary = feedback_summary(meeting)
    assert summary.answers == count
    assert len(summary.comments) == count


def test_log_partial_hides_details_below_three_answers():
    meeting = held_meeting()
    feedback_tokens_create(meeting=meeting, count=2)
    make_answers(meeting, 2, comment="Mon secret")
    with translation.override("en"):
        html = render_to_string(
            "dialogue/includes/log_feedback.html", {"feedback": feedback_summary(meeting)}
        )
    assert "Fewer than 3 answers: the details are hidden" in html
    assert "Mon secret" not in html
    assert "log-feedback-table" not in html
    make_answers(meeting, 1)
    html = render_to_string(
        "dialogue/includes/log_feedback.html", {"feedback": feedback_summary(meeting)}
    )
    assert "Mon secret" in html
    assert html.count("log-feedback-table") == 2


def test_meeting_log_shows_the_feedback_section(client, actors, meeting):
    feedback_tokens_create(meeting=meeting, count=3)
    make_answers(meeting, 3, comment="Très utile")
    actors.login(client, "delegate_all")
    page = client.get(reverse("dialogue:meeting_log", args=[meeting.pk])).content.decode()
    assert 'id="log-feedback-title"' in page
    assert "Très utile" in page


def test_feedback_token_pages_are_not_cached(client):
    response = client.get(url(token_for(held_meeting())))
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_answered_on_is_the_paris_day():
    meeting = held_meeting()
    token = FeedbackToken.objects.get(token_hash=feedback_token_hash(token_for(meeting)))
    # 00:30 in Paris is still the day before in UTC.
    paris = timezone.get_current_timezone()
    just_after_midnight = datetime.combine(timezone.localdate(), time(0, 30), tzinfo=paris)
    data = {**VALID, "felt_heard": 4, "felt_legitimate": 5, "understood_institutions": 3}
    feedback = feedback_submit(token=token, data=data, now=just_after_midnight)
    assert feedback.answered_on == timezone.localdate()
    token.refresh_from_db()
    assert token.used_at == datetime.combine(timezone.localdate(), time.min, tzinfo=paris)


@pytest.mark.parametrize("count", [3, 30])
def test_form_and_qr_pages_query_counts(client, actors, meeting, django_assert_num_queries, count):
    tokens = feedback_tokens_create(meeting=meeting, count=count)
    make_answers(meeting, count)
    # The token with its meeting, space and QPV; the header's menu.
    with django_assert_num_queries(2):
        assert client.get(url(tokens[0])).status_code == 200
    actors.login(client, "facilitator_sanitas")
    # Session, user, roles, the meeting with its space and QPV, the menu.
    with django_assert_num_queries(5):
        assert client.get(reverse("dialogue:feedback_qr", args=[meeting.pk])).status_code == 200
