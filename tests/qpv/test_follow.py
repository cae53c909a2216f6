"""Following a QPV from its page, and stopping from the page or in one click from the email."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from qpv.models import QPV, Follow
from qpv.services.follows import follow_create, follow_delete, follow_unsubscribe_path
from tests.participation.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sanitas():
    return QPV.objects.get(slug="sanitas")


def follow_url(qpv: QPV) -> str:
    return reverse("qpv:follow", kwargs={"slug": qpv.slug})


def unfollow_url(qpv: QPV) -> str:
    return reverse("qpv:unfollow", kwargs={"slug": qpv.slug})


def test_resident_follows_then_stops_following(client, sanitas):
    resident = UserFactory()
    client.force_login(resident)
    page = client.get(sanitas.get_absolute_url()).content.decode()
    assert f'action="{follow_url(sanitas)}"' in page
    assert f'action="{unfollow_url(sanitas)}"' not in page

    response = client.post(follow_url(sanitas), follow=True)
    assert response.redirect_chain == [(sanitas.get_absolute_url(), 302)]
    assert Follow.objects.filter(user=resident, qpv=sanitas).count() == 1
    page = response.content.decode()
    assert 'role="status"' in page  # the confirmation message
    assert f'action="{unfollow_url(sanitas)}"' in page
    assert f'action="{follow_url(sanitas)}"' not in page

    # Following twice (a double click, an old tab) changes nothing.
    assert client.post(follow_url(sanitas)).status_code == 302
    assert Follow.objects.filter(user=resident, qpv=sanitas).count() == 1

    response = client.post(unfollow_url(sanitas))
    assert response.status_code == 302
    assert response["Location"] == sanitas.get_absolute_url()
    assert not Follow.objects.filter(user=resident).exists()
    # Stopping twice is harmless too.
    assert client.post(unfollow_url(sanitas)).status_code == 302


def test_follows_are_per_user_and_per_qpv(client, sanitas):
    resident, other = UserFactory(), UserFactory()
    rabiere = QPV.objects.get(slug="la-rabiere")
    follow_create(user=other, qpv=sanitas)
    follow_create(user=resident, qpv=rabiere)
    client.force_login(resident)
    client.post(follow_url(sanitas))
    client.post(unfollow_url(rabiere))
    assert set(Follow.objects.values_list("user_id", "qpv__slug")) == {
        (other.pk, "sanitas"),
        (resident.pk, "sanitas"),
    }


def test_visitor_sees_a_login_link_and_is_sent_to_log_in(client, sanitas):
    page = client.get(sanitas.get_absolute_url()).content.decode()
    login = reverse("account_login")
    assert f'href="{login}?next={quote(sanitas.get_absolute_url())}"' in page
    assert follow_url(sanitas) not in page

    for url in (follow_url(sanitas), unfollow_url(sanitas)):
        response = client.post(url)
        assert response.status_code == 302
        # Back to the QPV page after logging in, not to the POST-only URL.
        assert response["Location"] == f"{login}?next={quote(sanitas.get_absolute_url())}"
    assert not Follow.objects.exists()


@pytest.mark.parametrize("name", ["qpv:follow", "qpv:unfollow"])
@pytest.mark.parametrize("logged_in", [False, True])
def test_get_on_the_post_urls_is_a_405(client, sanitas, name, logged_in):
    if logged_in:
        client.force_login(UserFactory())
    response = client.get(reverse(name, kwargs={"slug": sanitas.slug}))
    assert response.status_code == 405
    assert not Follow.objects.exists()


def test_unknown_qpv_is_a_404(client):
    client.force_login(UserFactory())
    assert client.post(reverse("qpv:follow", kwargs={"slug": "nulle-part"})).status_code == 404
    assert client.post(reverse("qpv:unfollow", kwargs={"slug": "nulle-part"})).status_code == 404


def test_services_are_idempotent(sanitas):
    resident = UserFactory()
    first = follow_create(user=resident, qpv=sanitas)
    assert follow_create(user=resident, qpv=sanitas) == first
    assert follow_delete(user=resident, qpv=sanitas) is True
    assert follow_delete(user=resident, qpv=sanitas) is False


def test_unsubscribe_link_asks_on_get_and_ends_only_its_follow_on_post(client, sanitas):
    resident = UserFactory()
    kept = follow_create(user=resident, qpv=QPV.objects.get(slug="europe"))
    ended = follow_create(user=resident, qpv=sanitas)
    path = follow_unsubscribe_path([ended.pk])
    # Mail scanners open every link: a GET only asks.
    response = client.get(path)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert "Sanitas" in page
    assert 'name="List-Unsubscribe" value="One-Click"' in page
    assert "Me désabonner" in page
    assert Follow.objects.count() == 2
    # A mail provider's one-click POST (RFC 8058): no login, no cookie, no CSRF token (enforced
    # here as in production), the body of the RFC.
    mail_client = Client(enforce_csrf_checks=True)
    response = mail_client.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Vous êtes désabonné" in response.content.decode()
    assert list(Follow.objects.all()) == [kept]
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    # Again: harmless, and the page says so.
    assert "déjà" in client.get(path).content.decode()
    assert mail_client.post(path).status_code == 200


def test_tampered_unsubscribe_link_is_a_400(client, sanitas):
    resident = UserFactory()
    ended = follow_create(user=resident, qpv=sanitas)
    other = follow_create(user=UserFactory(), qpv=sanitas)
    path = follow_unsubscribe_path([ended.pk])
    signed = path.rstrip("/").rsplit("/", 1)[1]
    signature = signed.split(":", 1)[1]
    forged = follow_unsubscribe_path([other.pk]).rstrip("/").rsplit("/", 1)[1].split(":", 1)[0]
    response = client.get(reverse("qpv:unsubscribe", kwargs={"signed": f"{forged}:{signature}"}))
    assert response.status_code == 400
    assert Follow.objects.count() == 2
