"""The emails of meetings: who receives them, what they say (in French), reminders and digests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import signing
from django.urls import resolve, reverse
from django.utils import timezone
from icalendar import Calendar

from dialogue import emails, tokens
from dialogue.models import MeetingMode, MeetingStatus, Registration, RegistrationStatus
from dialogue.services.registrations import (
    registration_cancel,
    registration_confirm_guest,
    registration_create,
)
from qpv.models import QPV, Follow
from qpv.services.follows import follow_unsubscribe_path
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory
from tests.qpv.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
FOOTER = "Quartiers en dialogue — Tours Métropole Val de Loire"


def links_to(path: str, registration, purpose: str) -> bool:
    """The signed link carries this registration's token (signatures embed the second they were made)."""
    signed = resolve(path).kwargs["signed"]
    unsign = (
        tokens.token_from_confirm_link if purpose == "confirm" else tokens.token_from_manage_link
    )
    return unsign(signed) == registration.token


def french_day(value: datetime) -> str:
    """ "jeudi 3 décembre 2026": what Django's French catalogue gives for the format "l j F Y"."""
    local = value.astimezone(PARIS)
    return f"{DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]} {local.year}"


def html_of(message) -> str:
    [html] = [content for content, mimetype in message.alternatives if mimetype == "text/html"]
    return html


def ics_of(message) -> Calendar:
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("rencontre.ics", "text/calendar")
    return Calendar.from_ical(content)


def assert_well_formed(message, *, name: str, title: str) -> None:
    """What every meeting email has: a greeting, the meeting, text and HTML, the footer, no image."""
    html = html_of(message)
    for part in (message.body, html):
        assert f"{name}," in part
        assert title in part
        assert FOOTER in part
    assert "<img" not in html
    assert 'lang="fr"' in html
    assert "{{" not in message.body and "{%" not in message.body


def link_in(text: str, name: str) -> str:
    """The absolute link of a URL name in an email, checked to point at this site."""
    for url in re.findall(r"https?://\S+", text):
        path = url.removeprefix(settings.SITE_URL)
        if path != url and resolve(path.split("?")[0]).url_name == name:
            return path
    raise AssertionError(f"no link to {name} in:\n{text}")


@pytest.fixture
def meeting():
    host = OrganisationFactory(name="Centre social Pluriel(le)")
    space = DialogueSpaceFactory(name="Café des habitants du Sanitas", host_organisation=host)
    return MeetingFactory(
        dialogue_space=space,
        title="Parlons de la place Saint-Paul",
        venue="Centre social Pluriel(le)",
        address="5 place Saint-Paul, 37000 Tours",
        access_notes="Tram A, arrêt Saint-Paul.",
        capacity=1,
    )


def test_guest_gets_a_confirmation_link_then_a_confirmation_with_ics(
    meeting, mailoutbox, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        registration = registration_create(
            meeting=meeting, name="Awa Diallo", email="Awa@Example.org"
        )
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "Parlons de la place Saint-Paul" in message.subject
    assert_well_formed(message, name="Awa Diallo", title=meeting.title)
    assert french_day(meeting.starts_at) in message.body
    assert "18 h 00" in message.body and "20 h 00" in message.body
    assert "5 place Saint-Paul, 37000 Tours" in message.body
    assert "Tram A, arrêt Saint-Paul." in message.body
    assert message.attachments == []
    confirm = link_in(message.body, "registration_confirm")
    assert links_to(confirm, registration, "confirm")
    assert confirm in html_of(message)
    signed = resolve(confirm).kwargs["signed"]
    assert tokens.token_from_confirm_link(signed) == registration.token

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registration_confirm_guest(registration=registration)
    [message] = mailoutbox
    assert message.to == ["awa@example.org"]
    assert_well_formed(message, name="Awa Diallo", title=meeting.title)
    assert links_to(link_in(message.body, "registration_manage"), registration, "manage")
    [event] = ics_of(message).walk("VEVENT")
    assert str(event["summary"]) == meeting.title
    assert event.decoded("dtstart") == meeting.starts_at
    assert event.decoded("dtstart").tzinfo.key == "Europe/Paris"


def test_resident_confirmed_then_waitlisted_then_promoted(
    meeting, mailoutbox, django_capture_on_commit_callbacks
):
    first = UserFactory(full_name="Karim Benali")
    second = UserFactory(full_name="Lucie Martin")
    with django_capture_on_commit_callbacks(execute=True):
        seat = registration_create(
            meeting=meeting, user=first, name=first.full_name, email=first.email
        )
        waiting = registration_create(
            meeting=meeting, user=second, name=second.full_name, email=second.email
        )
    assert (seat.status, waiting.status) == ("confirmed", "waitlisted")
    confirmed_mail, waitlist_mail = mailoutbox
    assert confirmed_mail.to == [first.email]
    assert_well_formed(confirmed_mail, name="Karim Benali", title=meeting.title)
    assert len(ics_of(confirmed_mail).walk("VEVENT")) == 1
    assert waitlist_mail.to == [second.email]
    assert_well_formed(waitlist_mail, name="Lucie Martin", title=meeting.title)
    assert waitlist_mail.attachments == []
    assert links_to(link_in(waitlist_mail.body, "registration_manage"), waiting, "manage")

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        registration_cancel(registration=seat)
    [promoted] = mailoutbox
    assert promoted.to == [second.email]
    assert_well_formed(promoted, name="Lucie Martin", title=meeting.title)
    assert promoted.subject != waitlist_mail.subject
    assert links_to(link_in(promoted.body, "registration_manage"), waiting, "manage")
    assert len(ics_of(promoted).walk("VEVENT")) == 1


def test_online_link_goes_to_confirmed_people_only(
    meeting, mailoutbox, django_capture_on_commit_callbacks
):
    meeting.mode = MeetingMode.HYBRID
    meeting.online_url = "https://visio.example.org/sanitas"
    meeting.save()
    RegistrationFactory(meeting=meeting, name="Avec place", email="seat@example.org")
    RegistrationFactory(
        meeting=meeting,
        name="En attente",
        email="wait@example.org",
        status=RegistrationStatus.WAITLISTED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        emails.meeting_changed(meeting, changes=["Début"])
    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert "https://visio.example.org/sanitas" in by_recipient["seat@example.org"].body
    assert "https://visio.example.org/sanitas" not in by_recipient["wait@example.org"].body


def test_meeting_changed_tells_each_person_holding_a_place_separately(
    meeting, mailoutbox, django_capture_on_commit_callbacks
):
    confirmed = RegistrationFactory(meeting=meeting, name="Inès Petit", email="ines@example.org")
    RegistrationFactory(
        meeting=meeting,
        name="Tom Roux",
        email="tom@example.org",
        status=RegistrationStatus.WAITLISTED,
    )
    for status in (RegistrationStatus.PENDING, RegistrationStatus.CANCELLED):
        RegistrationFactory(meeting=meeting, email=f"{status}@example.org", status=status)
    new_start = meeting.starts_at + timedelta(days=1, hours=-1)
    meeting.starts_at, meeting.ends_at = new_start, new_start + timedelta(hours=2)
    meeting.venue = "Salle Jacques Brel"
    meeting.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.meeting_changed(meeting, changes=["Début", "Lieu"]) == 2
    assert sorted(message.to[0] for message in mailoutbox) == [
        "ines@example.org",
        "tom@example.org",
    ]
    assert all(len(message.to) == 1 for message in mailoutbox)
    by_recipient = {message.to[0]: message for message in mailoutbox}
    for address, name in [("ines@example.org", "Inès Petit"), ("tom@example.org", "Tom Roux")]:
        message = by_recipient[address]
        assert_well_formed(message, name=name, title=meeting.title)
        assert french_day(new_start) in message.body
        assert "17 h 00" in message.body and "19 h 00" in message.body
        assert "Salle Jacques Brel" in message.body
        assert "- Début" in message.body and "- Lieu" in message.body
        assert "<li>Lieu</li>" in html_of(message)
    [event] = ics_of(by_recipient["ines@example.org"]).walk("VEVENT")
    assert event.decoded("dtstart") == new_start
    assert links_to(
        link_in(by_recipient["ines@example.org"].body, "registration_manage"), confirmed, "manage"
    )
    assert by_recipient["tom@example.org"].attachments == []


def test_meeting_cancelled_tells_every_active_registrant_with_the_reason(
    meeting, mailoutbox, django_capture_on_commit_callbacks
):
    for status in RegistrationStatus:
        RegistrationFactory(
            meeting=meeting, name=f"Personne {status}", email=f"{status}@x.org", status=status
        )
    meeting.status = MeetingStatus.CANCELLED
    meeting.cancellation_reason = "La salle est inondée."
    meeting.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.meeting_cancelled(meeting) == 3
    assert sorted(message.to[0] for message in mailoutbox) == [
        "confirmed@x.org",
        "pending@x.org",
        "waitlisted@x.org",
    ]
    for message in mailoutbox:
        assert "La salle est inondée." in message.body
        assert "La salle est inondée." in html_of(message)
        assert link_in(message.body, "qpv_page") == meeting.qpv.get_absolute_url()
    by_recipient = {message.to[0]: message for message in mailoutbox}
    [event] = ics_of(by_recipient["confirmed@x.org"]).walk("VEVENT")
    assert str(event["status"]) == "CANCELLED"
    assert by_recipient["pending@x.org"].attachments == []


def test_a_rolled_back_registration_sends_nothing(meeting, mailoutbox):
    from django.db import transaction

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        registration_create(meeting=meeting, name="Rollback", email="rb@example.org")
        raise Abort
    assert mailoutbox == []
    assert not Registration.objects.filter(email="rb@example.org").exists()


# Reminders ----------------------------------------------------------------------------------------


def paris(day, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS)


def test_reminders_go_the_day_before_once_to_confirmed_people(
    mailoutbox, django_capture_on_commit_callbacks
):
    today = (timezone.localtime() + timedelta(days=10)).date()
    tomorrow, after = today + timedelta(days=1), today + timedelta(days=2)
    now = paris(today, 10)
    early = MeetingFactory(
        title="Tôt demain", starts_at=paris(tomorrow, 0, 30), ends_at=paris(tomorrow, 2)
    )
    evening = MeetingFactory(
        title="Demain soir", starts_at=paris(tomorrow, 18), ends_at=paris(tomorrow, 20)
    )
    late = MeetingFactory(
        title="Tard demain", starts_at=paris(tomorrow, 23, 30), ends_at=paris(after, 1)
    )
    not_tomorrow = [
        MeetingFactory(title="Ce soir", starts_at=paris(today, 18), ends_at=paris(today, 20)),
        MeetingFactory(title="Après", starts_at=paris(after, 0, 30), ends_at=paris(after, 2)),
        MeetingFactory(
            title="Annulée",
            starts_at=paris(tomorrow, 18),
            ends_at=paris(tomorrow, 20),
            status=MeetingStatus.CANCELLED,
            cancellation_reason="Grève",
        ),
    ]
    reminded = [
        RegistrationFactory(meeting=m, name=f"Pour {m.title}") for m in (early, evening, late)
    ]
    for status in (
        RegistrationStatus.PENDING,
        RegistrationStatus.WAITLISTED,
        RegistrationStatus.CANCELLED,
    ):
        RegistrationFactory(meeting=evening, status=status)
    for m in not_tomorrow:
        RegistrationFactory(meeting=m)

    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_meeting_reminders(now=now) == 3
    assert sorted(message.to[0] for message in mailoutbox) == sorted(r.email for r in reminded)
    message = next(m for m in mailoutbox if m.to == [reminded[1].email])
    assert_well_formed(message, name=reminded[1].name, title="Demain soir")
    assert french_day(evening.starts_at) in message.body
    assert links_to(link_in(message.body, "registration_manage"), reminded[1], "manage")
    for registration in reminded:
        registration.refresh_from_db()
        assert registration.reminder_sent_at == now

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_meeting_reminders(now=now + timedelta(hours=1)) == 0
    assert mailoutbox == []


def test_reminder_task_runs_through_celery(mailoutbox, django_capture_on_commit_callbacks):
    from dialogue.tasks import send_meeting_reminders

    tomorrow = (timezone.localtime() + timedelta(days=1)).date()
    registration = RegistrationFactory(
        meeting=MeetingFactory(starts_at=paris(tomorrow, 18), ends_at=paris(tomorrow, 20))
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert send_meeting_reminders.delay().get() == 1
    assert [message.to for message in mailoutbox] == [[registration.email]]


def test_beat_schedule():
    from celery.schedules import crontab

    schedule = settings.CELERY_BEAT_SCHEDULE
    by_task = {entry["task"]: entry["schedule"] for entry in schedule.values()}
    assert by_task["dialogue.tasks.send_meeting_reminders"] == crontab(hour=10, minute=0)
    assert by_task["dialogue.tasks.send_follow_digests"] == crontab(
        hour=8, minute=0, day_of_week="mon"
    )
    assert settings.CELERY_TIMEZONE == "Europe/Paris"


# Follow digests -----------------------------------------------------------------------------------


def follow(user, slug: str, *, created_at: datetime, last_digest_at=None) -> Follow:
    instance = Follow.objects.create(user=user, qpv=QPV.objects.get(slug=slug))
    # created_at is auto_now_add: set the past with an update.
    Follow.objects.filter(pk=instance.pk).update(
        created_at=created_at, last_digest_at=last_digest_at
    )
    instance.refresh_from_db()
    return instance


def meeting_in(slug: str, *, created_at: datetime, **fields):
    space = DialogueSpaceFactory(qpv=QPV.objects.get(slug=slug))
    meeting = MeetingFactory(dialogue_space=space, **fields)
    type(meeting).objects.filter(pk=meeting.pk).update(created_at=created_at)
    meeting.refresh_from_db()
    return meeting


def test_digest_lists_the_new_upcoming_meetings_of_the_followed_qpv(
    mailoutbox, django_capture_on_commit_callbacks, client
):
    now = timezone.now()
    resident = UserFactory(full_name="Fatou Sow", email="fatou@example.org")
    sanitas = follow(resident, "sanitas", created_at=now - timedelta(days=30))
    sanitas_follow_pk = sanitas.pk
    Follow.objects.filter(pk=sanitas.pk).update(last_digest_at=now - timedelta(days=7))
    new = meeting_in("sanitas", created_at=now - timedelta(days=2), title="Nouvelle rencontre")
    meeting_in("sanitas", created_at=now - timedelta(days=9), title="Déjà annoncée")
    meeting_in("la-rabiere", created_at=now - timedelta(days=2), title="Autre quartier")
    meeting_in(
        "sanitas",
        created_at=now - timedelta(days=2),
        title="Annulée",
        status=MeetingStatus.CANCELLED,
        cancellation_reason="Travaux",
    )
    meeting_in(
        "sanitas",
        created_at=now - timedelta(days=2),
        title="Passée",
        starts_at=now - timedelta(days=1),
        ends_at=now - timedelta(hours=22),
    )
    hidden = meeting_in("sanitas", created_at=now - timedelta(days=2), title="Espace fermé")
    hidden.dialogue_space.is_active = False
    hidden.dialogue_space.save()
    UserFactory()  # follows nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now) == 1
    [message] = mailoutbox
    assert message.to == ["fatou@example.org"]
    assert "Sanitas" in message.subject
    html = html_of(message)
    for part in (message.body, html):
        assert "Fatou Sow," in part
        assert "Nouvelle rencontre" in part
        assert french_day(new.starts_at) in part
        assert settings.SITE_URL + new.get_absolute_url() in part
        assert FOOTER in part
        for title in ["Déjà annoncée", "Autre quartier", "Annulée", "Passée", "Espace fermé"]:
            assert title not in part
    assert "<img" not in html
    unsubscribe = link_in(message.body, "unsubscribe")
    assert message.extra_headers["List-Unsubscribe"] == f"<{settings.SITE_URL}{unsubscribe}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert Follow.objects.get().last_digest_at == now

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now + timedelta(days=7)) == 0
    assert mailoutbox == []

    response = client.get(unsubscribe)
    assert response.status_code == 200
    assert "Sanitas" in response.content.decode()
    assert Follow.objects.filter(pk=sanitas_follow_pk).exists()  # a GET only asks
    response = client.post(unsubscribe)
    assert response.status_code == 200
    assert "Sanitas" in response.content.decode()
    assert not Follow.objects.filter(pk=sanitas_follow_pk).exists()
    # Clicking again is harmless.
    assert client.post(unsubscribe).status_code == 200


def test_first_digest_looks_back_a_week_at_most_and_since_the_follow(
    mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    old_follower = UserFactory(email="old@example.org")
    new_follower = UserFactory(email="new@example.org")
    follow(old_follower, "sanitas", created_at=now - timedelta(days=90))
    follow(new_follower, "sanitas", created_at=now - timedelta(days=1))
    meeting_in("sanitas", created_at=now - timedelta(days=20), title="Il y a longtemps")
    meeting_in("sanitas", created_at=now - timedelta(days=3), title="Cette semaine")
    meeting_in("sanitas", created_at=now - timedelta(hours=2), title="Aujourd'hui")
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now) == 2
    by_recipient = {message.to[0]: message.body for message in mailoutbox}
    assert "Il y a longtemps" not in by_recipient["old@example.org"]
    assert "Cette semaine" in by_recipient["old@example.org"]
    assert "Aujourd'hui" in by_recipient["old@example.org"]
    assert "Cette semaine" not in by_recipient["new@example.org"]
    assert "Aujourd'hui" in by_recipient["new@example.org"]


def test_one_digest_per_user_for_several_qpv_and_nothing_when_nothing_new(
    mailoutbox, django_capture_on_commit_callbacks, client
):
    now = timezone.now()
    resident = UserFactory(email="two@example.org")
    quiet = UserFactory(email="quiet@example.org")
    follows = [
        follow(
            resident, slug, created_at=now - timedelta(days=30), last_digest_at=now - timedelta(7)
        )
        for slug in ("sanitas", "la-rabiere")
    ]
    quiet_follow = follow(
        quiet, "rochepinard", created_at=now - timedelta(days=30), last_digest_at=now
    )
    meeting_in("sanitas", created_at=now - timedelta(days=1), title="Au Sanitas")
    meeting_in("la-rabiere", created_at=now - timedelta(days=1), title="À la Rabière")
    with django_capture_on_commit_callbacks(execute=True):
        assert emails.send_follow_digests(now=now + timedelta(minutes=1)) == 1
    [message] = mailoutbox
    assert message.to == ["two@example.org"]
    assert "Au Sanitas" in message.body and "À la Rabière" in message.body
    quiet_follow.refresh_from_db()
    assert quiet_follow.last_digest_at == now + timedelta(minutes=1)
    # One link per QPV stops that QPV only; the header's link stops both.
    links = [
        url.removeprefix(settings.SITE_URL)
        for url in re.findall(r"https?://\S+", message.body)
        if "desabonnement" in url
    ]
    per_qpv = [link for link in links if link != follow_unsubscribe_path([f.pk for f in follows])]
    assert len(per_qpv) == 2
    assert client.get(per_qpv[0]).status_code == 200
    assert Follow.objects.filter(user=resident).count() == 2
    assert client.post(per_qpv[0]).status_code == 200
    assert Follow.objects.filter(user=resident).count() == 1
    header = message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix(settings.SITE_URL)
    assert client.post(header, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert not Follow.objects.filter(user=resident).exists()


@pytest.mark.parametrize("followers", [3, 15])
def test_digest_query_count_does_not_grow(followers, django_assert_num_queries):
    now = timezone.now()
    for slug in ("sanitas", "la-rabiere", "rochepinard"):
        for _ in range(followers // 3):
            follow(UserFactory(), slug, created_at=now - timedelta(days=30))
        for _ in range(followers // 3):
            meeting_in(slug, created_at=now - timedelta(days=1))
    # The follows, the meetings, the news (issue 6), the update of last_digest_at, in a savepoint.
    with django_assert_num_queries(6):
        assert emails.send_follow_digests(now=now) == followers


@pytest.mark.parametrize(
    "signed",
    [
        "garbage",
        "WzEsMl0:1tXXXX:abcdefghijklmnopqrstuvwxyz0",
        signing.dumps([1], salt="dialogue.registration.manage"),
        signing.dumps("nope", salt="qpv.follow.unsubscribe"),
        signing.Signer(salt="qpv.follow.unsubscribe").sign_object("nope"),
    ],
)
def test_forged_unsubscribe_links_are_a_clear_400(client, signed):
    resident = UserFactory()
    follow(resident, "sanitas", created_at=timezone.now())
    response = client.get(reverse("qpv:unsubscribe", kwargs={"signed": signed}))
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "Retour à l'accueil" in page
    assert Follow.objects.count() == 1
