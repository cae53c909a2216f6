"""Invitations (issue 19): a coordinator invites a person by email with a role and its scope; the
person follows the link, signs up (or signs in), sets up the second factor and lands in the
professional area with the role. The journey drives allauth's real sign-up, reauthentication and
TOTP views, as tests/participation/test_mfa.py does.
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from participation import services
from participation.models import Invitation, RoleAssignment, User
from participation.roles import Role, scopes_of
from qpv.models import QPV, Commune
from tests.helpers import PortalClient, recovery_codes, totp_code
from tests.participation.factories import PASSWORD, UserFactory, grant

STAFF_HOME = "/espace-pro/"
INVITATIONS = "/espace-pro/invitations/"
LINK = re.compile(r"https?://[^\s\"<>]+/invitation/[^\s\"<>/]+/")


def _link(message) -> str:
    """The path of the invitation link in an email (the plain-text part)."""
    url = LINK.search(message.body).group(0)
    return "/" + url.split("/", 3)[3]


def _coordinator(email: str = "coordinatrice@example.org") -> User:
    user = UserFactory(email=email, full_name="Claire Coordinatrice")
    grant(user, Role.COORDINATOR)
    return user


def _coordinator_client(coordinator: User) -> PortalClient:
    client = PortalClient()
    client.force_login(coordinator)
    return client


def _invite(coordinator: User, *, email="nouvelle@example.org", role=Role.FACILITATOR, **scope):
    """An invitation made by the service, and its link's path (from the email)."""
    sent: list = []
    original = services.queue_email
    services.queue_email = sent.append  # type: ignore[assignment]  # captures without Celery
    try:
        if role == Role.FACILITATOR and not scope:
            scope = {"qpv": QPV.objects.get(slug="sanitas")}
        invitation = services.invitation_create(
            email=email, role=role, invited_by=coordinator, **scope
        )
    finally:
        services.queue_email = original  # type: ignore[assignment]
    url = LINK.search(sent[0].body).group(0)
    return invitation, "/" + url.split("/", 3)[3]


def _sanitas() -> QPV:
    return QPV.objects.get(slug="sanitas")


# The whole journey ----------------------------------------------------------------------------


# A real commit, as in production: allauth announces the new authenticator on commit, and the
# invitation email leaves on commit.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_invitee_signs_up_sets_up_the_second_factor_and_lands_with_the_role(mailoutbox):
    coordinator = _coordinator()
    staff = _coordinator_client(coordinator)
    sanitas = _sanitas()
    response = staff.post(
        INVITATIONS,
        {"email": "Nadia.Animatrice@Example.org", "role": "facilitator", "qpv": sanitas.pk},
    )
    assert response.status_code == 302
    assert response.url == INVITATIONS
    invitation = Invitation.objects.get()
    assert invitation.email == "nadia.animatrice@example.org"
    assert len(mailoutbox) == 1
    link = _link(mailoutbox[0])

    client = PortalClient()
    page = client.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Animateur ou animatrice" in text and "Sanitas" in text
    assert "Créer mon compte" in text
    response = client.post(link)
    assert response.status_code == 302
    assert response.url == f"{reverse('account_signup')}?next=%2Fespace-pro%2F"
    signup = client.get(response.url)
    assert 'value="nadia.animatrice@example.org"' in signup.content.decode()

    fields = {"first_name": "Nadia", "last_name": "Animatrice"}
    fields |= {"password1": PASSWORD, "password2": PASSWORD}
    # A forwarded link: the account is created with the invited address only.
    other = client.post(response.url, {**fields, "email": "quelquun@example.org"})
    assert other.status_code == 200
    assert "Cette invitation a été envoyée à nadia.animatrice@example.org" in other.content.decode()
    assert not User.objects.filter(email="quelquun@example.org").exists()

    done = client.post(response.url, {**fields, "email": "nadia.animatrice@example.org"})
    assert done.status_code == 302
    assert done.url == STAFF_HOME
    user = User.objects.get(email="nadia.animatrice@example.org")
    # The link proved the address: no code to type, the address is verified.
    assert EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1
    assert scopes_of(user).facilitator_qpv_ids == frozenset({sanitas.pk})
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None

    # The professional area waits for the second factor, through allauth's own views.
    activate_url = client.get(STAFF_HOME).url
    assert activate_url.startswith(reverse("mfa_activate_totp"))
    reauthenticate = client.get(activate_url)
    assert reauthenticate.url.startswith(reverse("account_reauthenticate"))
    assert client.post(reauthenticate.url, {"password": PASSWORD}).url == activate_url
    secret = client.get(activate_url).context["form"].secret
    response = client.post(activate_url, {"code": totp_code(secret)})
    assert response.url == reverse("mfa_view_recovery_codes")
    assert len(recovery_codes(user)) == 10

    home = client.get(STAFF_HOME)
    assert home.status_code == 200
    assert "Sanitas" in home.content.decode()
    # Single use: the link is spent.
    again = client.get(link)
    assert again.status_code == 410
    assert "Cette invitation a déjà été utilisée" in again.content.decode()
    assert PortalClient().post(link).status_code == 410


@pytest.mark.django_db
def test_an_existing_account_signs_in_then_accepts():
    coordinator = _coordinator()
    resident = UserFactory(email="habitante@example.org")
    tours = Commune.objects.get(pk=_sanitas().commune_id)
    invitation, link = _invite(
        coordinator, email="Habitante@example.org", role=Role.REFERENT, commune=tours
    )
    client = PortalClient()
    page = client.get(link).content.decode()
    assert "Un compte existe déjà pour habitante@example.org" in page
    response = client.post(link)
    assert response.url == f"{reverse('account_login')}?next={link.replace('/', '%2F')}"
    back = client.post(response.url, {"login": resident.email, "password": PASSWORD})
    assert back.url == link
    page = client.get(link).content.decode()
    assert "Accepter l’invitation" in page or "Accepter l'invitation" in page
    response = client.post(link)
    assert response.status_code == 302
    assert response.url == STAFF_HOME
    assert scopes_of(User.objects.get(pk=resident.pk)).referent_commune_ids == frozenset({tours.pk})
    # Now staff: the area asks for an authenticator app before it opens.
    assert client.get(STAFF_HOME).url.startswith(reverse("mfa_activate_totp"))
    invitation.refresh_from_db()
    assert invitation.accepted_by_id == resident.pk


@pytest.mark.django_db
def test_a_coordinator_invitation_gives_the_coordinator_role():
    coordinator = _coordinator()
    person = UserFactory(email="collegue@example.org")
    _invitation, link = _invite(coordinator, email=person.email, role=Role.COORDINATOR)
    client = PortalClient()
    client.force_login(person)
    assert client.post(link).url == STAFF_HOME
    assert scopes_of(User.objects.get(pk=person.pk)).coordinator


# Links that cannot be used ------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_expired_link_answers_410_in_french():
    invitation, link = _invite(_coordinator())
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client = PortalClient()
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 410
        page = response.content.decode()
        assert "Cette invitation a expiré" in page
        assert "renvoyer" in page
    assert not RoleAssignment.objects.filter(user__email="nouvelle@example.org").exists()


@pytest.mark.django_db
def test_a_used_link_answers_410():
    coordinator = _coordinator()
    person = UserFactory(email="nouvelle@example.org")
    _invitation, link = _invite(coordinator)
    client = PortalClient()
    client.force_login(person)
    assert client.post(link).status_code == 302
    second = client.post(link)
    assert second.status_code == 410
    assert "déjà été utilisée" in second.content.decode()
    assert RoleAssignment.objects.filter(user=person).count() == 1


@pytest.mark.django_db
def test_a_revoked_link_answers_410_and_an_accepted_one_cannot_be_revoked():
    coordinator = _coordinator()
    invitation, link = _invite(coordinator)
    staff = _coordinator_client(coordinator)
    response = staff.post(reverse("invitation_revoke", args=[invitation.pk]), follow=True)
    assert "est retirée" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    refused = PortalClient().get(link)
    assert refused.status_code == 410
    assert "Cette invitation a été retirée" in refused.content.decode()

    person = UserFactory(email="autre@example.org")
    accepted, other_link = _invite(coordinator, email=person.email)
    client = PortalClient()
    client.force_login(person)
    client.post(other_link)
    page = staff.post(reverse("invitation_revoke", args=[accepted.pk]), follow=True)
    assert "déjà acceptée" in page.content.decode()
    accepted.refresh_from_db()
    assert accepted.revoked_at is None


@pytest.mark.django_db
def test_a_link_followed_by_another_signed_in_account_answers_403():
    invitation, link = _invite(_coordinator(), email="invitee@example.org")
    intruder = UserFactory(email="intrus@example.org")
    client = PortalClient()
    client.force_login(intruder)
    for response in (client.get(link), client.post(link)):
        assert response.status_code == 403
        assert "Cette invitation est destinée à un autre compte" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=intruder).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db
def test_an_unknown_or_truncated_link_answers_404():
    _invitation, link = _invite(_coordinator())
    client = PortalClient()
    for path in (link[:-5] + "/", "/invitation/n-importe-quoi/", "/invitation/" + "a" * 300 + "/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Ce lien d’invitation n’est pas valide" in response.content.decode()


@pytest.mark.django_db
def test_sending_again_replaces_the_link_and_extends_the_expiry(mailoutbox, on_commit):
    coordinator = _coordinator()
    invitation, old_link = _invite(coordinator)
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    staff = _coordinator_client(coordinator)
    with on_commit():
        response = staff.post(reverse("invitation_resend", args=[invitation.pk]))
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    new_link = _link(mailoutbox[0])
    assert new_link != old_link
    assert PortalClient().get(old_link).status_code == 404
    assert PortalClient().get(new_link).status_code == 200
    invitation.refresh_from_db()
    assert invitation.expires_at > timezone.now() + timedelta(days=6)


# The token ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_digest_of_the_token_is_stored():
    invitation, link = _invite(_coordinator())
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 40
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    assert services.invitation_find(token) == invitation
    assert services.invitation_find(token[:-1] + ("A" if token[-1] != "A" else "B")) is None


# The coordinator's page and form ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "pas-une-adresse", "role": "coordinator"}, "adresse de courriel valide"),
        ({"email": "", "role": "coordinator"}, "Ce champ est obligatoire"),
        ({"email": "x@example.org", "role": "referent"}, "Un référent est rattaché à une commune"),
        ({"email": "x@example.org", "role": "facilitator"}, "à un QPV ou à un espace de dialogue"),
        ({"email": "x@example.org", "role": "correspondent"}, "rattaché à une structure"),
        ({"email": "x@example.org", "role": "coordinator", "qpv": "SANITAS"}, "ne s’applique pas"),
        ({"email": "x@example.org", "role": "chef"}, "Sélectionnez un choix valide"),
    ],
)
def test_invalid_invitations_answer_400_in_french_and_keep_the_input(data, message):
    if data.get("qpv") == "SANITAS":
        data = {**data, "qpv": _sanitas().pk}
    staff = _coordinator_client(_coordinator())
    response = staff.post(INVITATIONS, data)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert message in page.replace("'", "’") or message in page
    assert "Erreur" in page
    if data["email"]:
        assert f'value="{data["email"]}"' in page
    assert not Invitation.objects.exists()


@pytest.mark.django_db
def test_a_second_pending_invitation_or_a_role_already_held_is_refused():
    coordinator = _coordinator()
    _invite(coordinator, email="deja@example.org")
    staff = _coordinator_client(coordinator)
    data = {"email": "deja@example.org", "role": "facilitator", "qpv": _sanitas().pk}
    response = staff.post(INVITATIONS, data)
    assert response.status_code == 400
    assert "a déjà une invitation en attente" in response.content.decode()

    holder = UserFactory(email="titulaire@example.org")
    grant(holder, Role.FACILITATOR, qpv=_sanitas())
    response = staff.post(INVITATIONS, {**data, "email": "titulaire@example.org"})
    assert response.status_code == 400
    assert "occupe déjà ce rôle" in response.content.decode()
    assert Invitation.objects.count() == 1


@pytest.mark.django_db
def test_the_page_lists_pending_accepted_expired_and_revoked_invitations():
    coordinator = _coordinator()
    pending, _link1 = _invite(coordinator, email="attente@example.org")
    expired, _link2 = _invite(coordinator, email="expiree@example.org")
    Invitation.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(days=1))
    revoked, _link3 = _invite(coordinator, email="retiree@example.org")
    services.invitation_revoke(invitation=revoked)
    person = UserFactory(email="acceptee@example.org")
    accepted, _link4 = _invite(coordinator, email=person.email)
    services.invitation_accept(invitation=accepted, user=person)

    page = _coordinator_client(coordinator).get(INVITATIONS)
    assert page.status_code == 200
    text = page.content.decode()
    pending_part, others_part = text.split("Invitations acceptées, expirées et retirées")
    assert "attente@example.org" in pending_part
    for email in ("expiree@example.org", "retiree@example.org", "acceptee@example.org"):
        assert email in others_part
    assert "En attente, lien valable jusqu’au" in pending_part
    assert "Expirée le" in others_part
    assert "Retirée le" in others_part
    assert "Acceptée le" in others_part
    assert reverse("invitation_revoke", args=[pending.pk]) in text
    assert reverse("invitation_revoke", args=[expired.pk]) not in text
    assert reverse("invitation_resend", args=[expired.pk]) in text


OTHER_ROLES = [
    "resident",
    "facilitator_sanitas",
    "facilitator_space",
    "referent_tours",
    "correspondent",
    "delegate_sanitas",
    "delegate_all",
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", OTHER_ROLES)
def test_only_coordinators_invite(actors, client, role):
    coordinator = actors["coordinator"]
    invitation, _link = _invite(coordinator)
    actors.login(client, role)
    assert client.get(INVITATIONS).status_code == 403
    data = {"email": "x@example.org", "role": "coordinator"}
    assert client.post(INVITATIONS, data).status_code == 403
    assert client.post(reverse("invitation_resend", args=[invitation.pk])).status_code == 403
    assert client.post(reverse("invitation_revoke", args=[invitation.pk])).status_code == 403
    assert Invitation.objects.count() == 1
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    # The staff home links to invitations for coordinators only.
    if role != "resident":
        assert INVITATIONS not in client.get(STAFF_HOME).content.decode()


@pytest.mark.django_db
def test_visitors_are_sent_to_log_in_and_coordinators_see_the_link(actors, client):
    response = client.get(INVITATIONS)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    actors.login(client, "coordinator")
    assert INVITATIONS in client.get(STAFF_HOME).content.decode()


@pytest.mark.django_db
def test_coordinators_invitations_are_rate_limited(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "invitation": (2, 3600)}
    staff = _coordinator_client(_coordinator())
    for number in range(2):
        data = {"email": f"p{number}@example.org", "role": "coordinator"}
        assert staff.post(INVITATIONS, data).status_code == 302
    assert (
        staff.post(INVITATIONS, {"email": "p9@example.org", "role": "coordinator"}).status_code
        == 429
    )
    assert Invitation.objects.count() == 2


# The email ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_email_is_french_plain_and_says_until_when(mailoutbox, on_commit):
    coordinator = _coordinator()
    staff = _coordinator_client(coordinator)
    with on_commit():
        staff.post(
            INVITATIONS,
            {"email": "delegue@example.org", "role": "delegate", "qpv": _sanitas().pk},
        )
    message = mailoutbox[0]
    invitation = Invitation.objects.get()
    assert message.to == ["delegue@example.org"]
    assert message.subject == "Invitation à l’espace professionnel de Quartiers en dialogue"
    body = message.body
    assert "Claire Coordinatrice, de l’équipe de coordination de la Métropole" in body
    assert "« Délégué" in body or "Délégué" in body
    assert "Sanitas" in body
    assert _link(message) in body
    day = timezone.localtime(invitation.expires_at)
    assert f"jusqu’au {day.day if day.day != 1 else '1er'} " in body
    # The time in French typography, as every email of the portal ("3 h 26", never "03:26").
    assert f" à {day.hour} h {day.minute:02d}." in body
    assert "application d’authentification" in body
    assert "{%" not in body and "{{" not in body
    html = message.alternatives[0][0]
    assert message.alternatives[0][1] == "text/html"
    assert _link(message) in html
    assert "Accepter l’invitation" in html


# The audit log ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_invitations_and_their_acceptance_are_in_the_audit_log():
    coordinator = _coordinator()
    staff = _coordinator_client(coordinator)
    staff.post(INVITATIONS, {"email": "audit@example.org", "role": "coordinator"})
    invitation = Invitation.objects.get()
    staff.post(reverse("invitation_resend", args=[invitation.pk]))
    person = UserFactory(email="audit@example.org")
    invitation.refresh_from_db()
    services.invitation_accept(invitation=invitation, user=person)

    kind = ContentType.objects.get_for_model(Invitation)
    entries = list(LogEntry.objects.filter(content_type=kind).order_by("pk"))
    assert [entry.action for entry in entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.UPDATE,
    ]
    assert entries[0].actor == coordinator
    assert entries[1].actor == coordinator
    assert entries[2].actor == person
    assert all("token_hash" not in entry.changes_dict for entry in entries)
    assignment = LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(RoleAssignment),
        action=LogEntry.Action.CREATE,
        object_pk=str(RoleAssignment.objects.get(user=person).pk),
    )
    assert assignment.actor == person
    # The coordinators' audit log page lists invitations among the audited models.
    page = staff.get(reverse("audit_log"), {"model": "participation.invitation"})
    assert page.status_code == 200
    assert "audit@example.org" in page.content.decode()


# Queries ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_invitations_page_makes_the_same_queries_whatever_their_number(
    django_assert_max_num_queries,
):
    coordinator = _coordinator()
    staff = _coordinator_client(coordinator)
    tours = Commune.objects.get(pk=_sanitas().commune_id)
    _invite(coordinator, email="a@example.org")
    staff.get(INVITATIONS)
    with django_assert_max_num_queries(9) as few:
        assert staff.get(INVITATIONS).status_code == 200
    for number in range(15):
        _invite(coordinator, email=f"r{number}@example.org", role=Role.REFERENT, commune=tours)
        _invite(coordinator, email=f"c{number}@example.org", role=Role.COORDINATOR)
    with django_assert_max_num_queries(9) as many:
        assert staff.get(INVITATIONS).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.django_db
def test_the_invitation_page_and_acceptance_make_few_queries(django_assert_max_num_queries):
    person = UserFactory(email="nouvelle@example.org")
    _invitation, link = _invite(_coordinator())
    client = PortalClient()
    with django_assert_max_num_queries(3):
        assert client.get(link).status_code == 200
    client.force_login(person)
    # 15, one asking whether the person is staff now (to name them in the audit log), and the
    # session saved with the welcome message (MESSAGE_STORAGE: savepoint, update, release).
    with django_assert_max_num_queries(19):
        assert client.post(link).status_code == 302


@pytest.mark.django_db
def test_opening_the_link_changes_nothing_until_the_button_is_pressed():
    invitation, link = _invite(_coordinator())
    client = PortalClient()
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 200
    assert "participation_invitation" not in client.session
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


@pytest.mark.django_db
def test_an_invitation_revoked_during_the_sign_up_gives_no_role(on_commit):
    invitation, link = _invite(_coordinator())
    client = PortalClient()
    signup = client.post(link).url
    services.invitation_revoke(invitation=invitation)
    fields = {"first_name": "Nadia", "last_name": "Animatrice", "email": "nouvelle@example.org"}
    with on_commit():
        response = client.post(signup, {**fields, "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 302
    user = User.objects.get(email="nouvelle@example.org")
    assert not RoleAssignment.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
