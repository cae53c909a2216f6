"""Security baseline: strict CSP, headers, no inline script or style, secure cookies in production."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.participation.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

PAGES = ["home", "account_login", "account_signup", "legal_notice", "privacy", "sitemap"]


@pytest.mark.parametrize("name", PAGES)
def test_security_headers(client, name):
    response = client.get(reverse(name))
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    policy = dict(
        part.strip().split("=", 1) for part in response.headers["Permissions-Policy"].split(",")
    )
    assert policy["camera"] == policy["microphone"] == policy["browsing-topics"] == "()"
    # FLoC's feature is retired: browsers that no longer know it log an error on every page.
    assert "interest-cohort" not in policy


@pytest.mark.parametrize("name", PAGES)
def test_pages_have_no_inline_script_or_style_and_no_external_resource(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    page = response.content.decode()
    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag, tag
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), "inline script"
    assert not re.search(r"\sstyle=", page), "inline style attribute"
    assert "<style" not in page
    resources = re.findall(r'\ssrc="([^"]+)"', page) + re.findall(
        r'<link\b[^>]*href="([^"]+)"', page
    )
    assert resources
    for url in resources:
        assert not url.startswith(("http://", "https://", "//")), url


def test_hsts_and_secure_cookies_when_debug_is_off(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    response = client.get(reverse("account_login"), secure=True)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response.cookies["csrftoken"]["secure"]
    user = UserFactory()
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    assert response.cookies["sessionid"]["secure"]
    assert response.cookies["sessionid"]["httponly"]
    assert response.cookies["sessionid"]["samesite"] == "Lax"


def test_admin_is_for_coordinators_only(client):
    from participation.roles import Role
    from qpv.models import Commune
    from tests.participation.factories import grant

    referent = UserFactory()
    grant(referent, Role.REFERENT, commune=Commune.objects.get(slug="tours"))
    client.force_login(referent)
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[0][0].startswith("/admin/login/")
    assert response.status_code == 403

    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    client.force_login(coordinator)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/participation/roleassignment/add/").status_code == 200
    assert client.get("/admin/qpv/qpv/").status_code == 200


def test_coordinator_assigns_a_role_in_the_admin(client):
    from participation.models import RoleAssignment
    from participation.roles import Role
    from qpv.models import Commune
    from tests.participation.factories import grant

    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    someone = UserFactory()
    tours = Commune.objects.get(slug="tours")
    client.force_login(coordinator)
    url = "/admin/participation/roleassignment/add/"
    bad = client.post(url, {"user": someone.pk, "role": Role.REFERENT})
    assert bad.status_code == 200
    assert not RoleAssignment.objects.filter(user=someone).exists()
    good = client.post(url, {"user": someone.pk, "role": Role.REFERENT, "commune": tours.pk})
    assert good.status_code == 302
    assert someone.has_perm("dialogue.create_space", tours.qpvs.first())


def test_healthz(client):
    response = client.get(reverse("healthz"))
    assert response.json() == {"status": "ok"}


def test_coordinator_sees_the_apps_in_the_admin_index(client):
    from participation.roles import Role
    from tests.participation.factories import grant

    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    client.force_login(coordinator)
    page = client.get("/admin/").content.decode()
    for url in [
        "/admin/qpv/qpv/",
        "/admin/participation/roleassignment/",
        "/admin/dialogue/meeting/",
    ]:
        assert url in page
