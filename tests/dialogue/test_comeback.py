"""The come-back loop: one invitation for residents who came once and not for 3 months (opt-in)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dialogue import tasks
from dialogue.models import ComebackInvitation, Meeting, MeetingStatus, RegistrationStatus
from dialogue.services.comeback import send_comeback_invitations
from participation.roles import Role
from qpv.models import QPV
from tests.dialogue.factories import DialogueSpaceFactory, MeetingFactory, RegistrationFactory
from tests.participation.factories import UserFactory, grant

pytestmark = pytest.mark.django_db


def meeting_at(days: float, *, space=None, **kwargs) -> Meeting:
    """A meeting starting `days` days from now (negative: in the past, then held)."""
    starts_at = timezone.now() + timedelta(days=days)
    if days < 0:
        kwargs.setdefault("status", MeetingStatus.HELD)
    return MeetingFactory(
        dialogue_space=space or DialogueSpaceFactory(),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        **kwargs,
    )


@pytest.fixture
def world(db):
    sanitas = QPV.objects.get(slug="sanitas")
    rabiere = QPV.objects.get(slug="la-rabiere")
    cafe = DialogueSpaceFactory(qpv=sanitas, name="Café du Sanitas")
    council = DialogueSpaceFactory(qpv=sanitas, name="Conseil citoyen du Sanitas")
    elsewhere = DialogueSpaceFactory(qpv=rabiere, name="Café de la Rabière")
    return {
        "old": meeting_at(-120, space=cafe, title="Café d'été"),
        # The next meeting of the QPV is in another space of the same QPV.
        "next": meeting_at(10, space=council, title="Conseil de rentrée"),
        "later": meeting_at(20, space=cafe, title="Café d'automne"),
        "elsewhere_sooner": meeting_at(3, space=elsewhere, title="Ailleurs"),
        "cafe": cafe,
        "sanitas": sanitas,
    }


def came_once(world, email="awa@example.org", *, opt_in=True, **kwargs):
    return RegistrationFactory(
        meeting=world["old"], email=email, attended=True, comeback_opt_in=opt_in, **kwargs
    )


def test_came_once_and_opted_in_is_invited_to_the_next_meeting_of_the_qpv(
    world, mailoutbox, on_commit
):
    came_once(world, name="Awa Diallo")
    with on_commit():
        assert send_comeback_invitations() == 1
    (message,) = mailoutbox
    assert message.to == ["awa@example.org"]
    assert "Conseil de rentrée" in message.subject
    assert world["next"].get_absolute_url() in message.body
    assert "Awa Diallo" in message.body
    assert "Ailleurs" not in message.body
    invitation = ComebackInvitation.objects.get()
    assert (invitation.email, invitation.meeting) == ("awa@example.org", world["next"])


def test_opted_out_is_not_invited(world, mailoutbox, on_commit):
    came_once(world, opt_in=False)
    with on_commit():
        assert send_comeback_invitations() == 0
    assert mailoutbox == []
    assert not ComebackInvitation.objects.exists()


def test_the_last_choice_wins(world):
    came_once(world, opt_in=True)
    # Registered again later without the opt-in, then cancelled (so not "registered ahead").
    RegistrationFactory(
        meeting=world["later"],
        email="awa@example.org",
        comeback_opt_in=False,
        status=RegistrationStatus.CANCELLED,
    )
    assert send_comeback_invitations() == 0


def test_came_twice_is_not_invited(world):
    came_once(world)
    RegistrationFactory(
        meeting=meeting_at(-100, space=world["cafe"]), email="awa@example.org", attended=True
    )
    assert send_comeback_invitations() == 0


def test_registered_but_absent_is_not_came_once(world):
    RegistrationFactory(
        meeting=world["old"], email="absent@example.org", attended=False, comeback_opt_in=True
    )
    RegistrationFactory(
        meeting=world["old"], email="unknown@example.org", attended=None, comeback_opt_in=True
    )
    assert send_comeback_invitations() == 0


def test_not_before_three_months(world):
    RegistrationFactory(
        meeting=meeting_at(-80, space=world["cafe"]),
        email="recent@example.org",
        attended=True,
        comeback_opt_in=True,
    )
    assert send_comeback_invitations() == 0
    assert send_comeback_invitations(now=timezone.now() + timedelta(days=12)) == 1


@pytest.mark.parametrize(
    "status",
    [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED, RegistrationStatus.PENDING],
)
def test_already_registered_for_a_coming_meeting_is_not_invited(world, status):
    came_once(world)
    RegistrationFactory(
        meeting=world["later"], email="awa@example.org", status=status, comeback_opt_in=True
    )
    assert send_comeback_invitations() == 0


def test_invited_at_most_once_a_month_and_once_per_lapse(world, mailoutbox, on_commit):
    came_once(world)
    with on_commit():
        assert send_comeback_invitations() == 1
        assert send_comeback_invitations() == 0  # the same day
    now = timezone.now()
    with on_commit():
        assert send_comeback_invitations(now=now + timedelta(days=5)) == 0
        # A month later the rule still says no: one invitation per lapse, and they did not come.
        assert send_comeback_invitations(now=now + timedelta(days=31)) == 0
    assert len(mailoutbox) == 1


def test_a_recent_invitation_blocks_another_one(world):
    came_once(world)
    ComebackInvitation.objects.create(
        email="awa@example.org", meeting=world["next"], sent_at=timezone.now() - timedelta(days=29)
    )
    assert send_comeback_invitations() == 0
    assert ComebackInvitation.objects.count() == 1


def test_no_coming_meeting_in_the_qpv_records_nothing_and_waits(world, mailoutbox, on_commit):
    came_once(world)
    Meeting.objects.filter(
        dialogue_space__qpv=world["sanitas"], starts_at__gt=timezone.now()
    ).update(status=MeetingStatus.CANCELLED, cancellation_reason="Travaux")
    assert send_comeback_invitations() == 0
    assert not ComebackInvitation.objects.exists()
    fresh = meeting_at(15, space=world["cafe"], title="Café de reprise")
    with on_commit():
        assert send_comeback_invitations() == 1
    assert ComebackInvitation.objects.get().meeting == fresh
    assert "Café de reprise" in mailoutbox[0].subject


def test_a_meeting_already_started_or_of_an_inactive_space_is_not_proposed(world):
    came_once(world)
    Meeting.objects.filter(pk=world["next"].pk).update(
        starts_at=timezone.now() - timedelta(minutes=10)
    )
    world["later"].dialogue_space.is_active = False
    world["later"].dialogue_space.save()
    assert send_comeback_invitations() == 0


def test_staff_are_not_residents(world):
    facilitator = UserFactory(email="anim@example.org")
    grant(facilitator, Role.FACILITATOR, qpv=world["sanitas"])
    came_once(world, email="anim@example.org", user=facilitator)
    assert send_comeback_invitations() == 0


def test_one_email_per_person_and_only_the_right_ones(world, mailoutbox, on_commit):
    came_once(world, email="awa@example.org")
    came_once(world, email="karim@example.org")
    came_once(world, email="nope@example.org", opt_in=False)
    # Came once in La Rabière: invited to La Rabière's next meeting.
    RegistrationFactory(
        meeting=meeting_at(-120, space=world["elsewhere_sooner"].dialogue_space),
        email="rabiere@example.org",
        attended=True,
        comeback_opt_in=True,
    )
    with on_commit():
        assert send_comeback_invitations() == 3
    assert sorted(m.to[0] for m in mailoutbox) == [
        "awa@example.org",
        "karim@example.org",
        "rabiere@example.org",
    ]
    by_email = dict(ComebackInvitation.objects.values_list("email", "meeting_id"))
    assert by_email["rabiere@example.org"] == world["elsewhere_sooner"].pk
    assert by_email["awa@example.org"] == world["next"].pk


@pytest.mark.parametrize("count", [3, 30])
def test_query_count_does_not_grow(world, django_assert_num_queries, count):
    for index in range(count):
        came_once(world, email=f"person{index}@example.org")
    with django_assert_num_queries(8):
        assert send_comeback_invitations() == count


def test_the_task_runs_the_service(world, mailoutbox, on_commit):
    came_once(world)
    with on_commit():
        assert tasks.send_comeback_invitations.delay().get() == 1
    assert len(mailoutbox) == 1


def test_the_invitation_can_be_stopped_in_one_click_and_a_get_stops_nothing(
    world, mailoutbox, on_commit
):
    from django.conf import settings
    from django.test import Client

    from dialogue.models import Registration

    first = came_once(world, email="awa@example.org")
    # An earlier registration of the same address, opted in too: the address stops, not a row.
    RegistrationFactory(
        meeting=meeting_at(-200, space=world["cafe"]),
        email="awa@example.org",
        attended=False,
        comeback_opt_in=True,
    )
    other = came_once(world, email="karim@example.org")
    with on_commit():
        assert send_comeback_invitations() == 2
    message = next(m for m in mailoutbox if m.to == ["awa@example.org"])
    header = message.extra_headers["List-Unsubscribe"]
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header.removeprefix("<").removesuffix(">")
    assert url.startswith(settings.SITE_URL) and url in message.body
    assert url in message.alternatives[0][0]
    assert "awa" not in url  # the link names the registration, not the address
    path = url.removeprefix(settings.SITE_URL)

    page = Client().get(path)
    assert page.status_code == 200
    assert "Me désabonner" in page.content.decode()
    assert Registration.objects.filter(email="awa@example.org", comeback_opt_in=True).count() == 2

    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Vous êtes désabonné" in response.content.decode()
    assert not Registration.objects.filter(email="awa@example.org", comeback_opt_in=True).exists()
    other.refresh_from_db()
    assert other.comeback_opt_in is True
    first.refresh_from_db()
    assert first.comeback_opt_in is False


@pytest.mark.parametrize("signed", ["garbage", "WzFd:forged", "Wy0xXQ:1tXXXX"])
def test_a_forged_come_back_link_is_a_clear_400(client, signed):
    from django.urls import reverse

    response = client.post(reverse("dialogue:comeback_unsubscribe", kwargs={"signed": signed}))
    assert response.status_code == 400
    assert "Ce lien de désabonnement n" in response.content.decode()
