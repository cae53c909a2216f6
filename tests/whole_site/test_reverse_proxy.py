"""Issue 20, items 3 and 4: the portal behind the shipped nginx configuration, and Django's own
guards on request bodies.

Through nginx (Debian's /usr/sbin/nginx, running deploy/nginx/templates/quartiers.conf.template
rendered as the official image would, on loopback ports and without TLS) in front of gunicorn on the
test database, with TRUSTED_PROXIES=1 as in docker-compose:

- failed logins from one client (127.0.0.2) lock that client out, not another one (127.0.0.3):
  nginx sets X-Forwarded-For from the connection, so allauth's limits count each client apart;
- a client rotating a forged X-Forwarded-For is still counted as itself by our own limits;
- a 50 MB body gets 413 from nginx, and gunicorn never sees it;
- hashed static files are served by nginx with a year of cache, /media/ is not a folder.

Without nginx (Django's test client): an unexpected file field, a body past the limit and a second
file are refused (400, 413, 400) with nothing saved. The whole 127.0.0.0/8 is loopback on Linux,
so a client socket bound to 127.0.0.2 is a second client. Needs nginx (Debian package `nginx`,
scripts/system_deps.sh test), PostgreSQL and Redis: CI has all three and fails on skips.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from dialogue.models import Minutes, Registration
from participation.uploads import UnexpectedFileHandler
from tests.dialogue.factories import MeetingFactory
from tests.participation.factories import PASSWORD, UserFactory
from tests.whole_site.fault_helpers import ROOT, Process, free_port, start_gunicorn, wait_until

TEMPLATE = ROOT / "deploy" / "nginx" / "templates" / "quartiers.conf.template"
NGINX = Path("/usr/sbin/nginx")
SERVER_NAME = "quartiers.test"
REDIS_URL = os.environ.get("REDIS_URL")
ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MB = 1024 * 1024
# The error messages of a page, for the failure report of an assertion.
ALERT = re.compile(r"(?s)<(?:div|p|li)[^>]*(?:alert|error|invalid)[^>]*>.{0,300}")


def render_template(values: dict[str, str]) -> str:
    """The template with its ${PROXY_...} variables replaced, as the image's envsubst does; a
    variable the caller did not give fails the test (KeyError)."""
    return re.sub(r"\$\{(\w+)\}", lambda match: values[match.group(1)], TEMPLATE.read_text())


def main_conf(tmp_path: Path, site: Path) -> Path:
    """nginx's main file around the site's template, like the image's /etc/nginx/nginx.conf: the
    site is included in the http block; every file nginx writes stays under tmp_path."""
    for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / folder).mkdir(exist_ok=True)
    # As root, the workers would switch to www-data, who cannot read tmp_path: keep root.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        f"{user}worker_processes 1;\npid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "  include /etc/nginx/mime.types;\n  default_type application/octet-stream;\n"
        f"  access_log {tmp_path}/access.log;\n"
        f"  client_body_temp_path {tmp_path}/body;\n  proxy_temp_path {tmp_path}/proxy;\n"
        f"  fastcgi_temp_path {tmp_path}/fastcgi;\n  uwsgi_temp_path {tmp_path}/uwsgi;\n"
        f"  scgi_temp_path {tmp_path}/scgi;\n"
        f"  include {site};\n"
        "}\n"
    )
    return conf


def nginx_command(tmp_path: Path, conf: Path, *args: str) -> list[str]:
    return [
        str(NGINX),
        "-p",
        str(tmp_path),
        "-e",
        str(tmp_path / "error.log"),
        "-c",
        str(conf),
        *args,
    ]


def make_certificate(folder: Path) -> None:
    """A self-signed fullchain.pem and privkey.pem: nginx loads the template's certificate even
    on a listen without "ssl"."""
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
            "-nodes", "-days", "1", "-subj", f"/CN={SERVER_NAME}",
            "-keyout", str(folder / "privkey.pem"), "-out", str(folder / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip


needs_nginx = pytest.mark.skipif(
    not NGINX.exists(), reason="needs nginx (Debian package nginx: scripts/system_deps.sh test)"
)


# The shipped file --------------------------------------------------------------------------------


def test_the_body_limit_is_the_same_in_nginx_and_in_django():
    limit = re.search(r"^\s*client_max_body_size (\d+)m;", TEMPLATE.read_text(), re.MULTILINE)
    assert limit, "client_max_body_size <n>m; not found"
    assert int(limit.group(1)) * MB == settings.MAX_REQUEST_BODY_BYTES
    from dialogue.forms.minutes import MAX_ATTACHMENT_BYTES
    from qpv.services.news import MAX_IMAGE_BYTES

    # Room for the forms to answer "too big" themselves, with what was typed kept.
    assert max(MAX_ATTACHMENT_BYTES, MAX_IMAGE_BYTES) + MB < settings.MAX_REQUEST_BODY_BYTES


def test_forwarded_headers_are_set_from_the_connection_never_appended():
    text = TEMPLATE.read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in text
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text
    assert "proxy_add_x_forwarded_for;" not in text.replace("$proxy_add_x_forwarded_for would", "")
    assert "/media" not in re.sub(r"#.*", "", text), "media are served by Django's checked views"


def test_compose_gives_the_proxy_every_variable_of_the_template():
    compose = (ROOT / "docker-compose.yml").read_text()
    variables = set(re.findall(r"\$\{(PROXY_\w+)\}", TEMPLATE.read_text()))
    assert len(variables) == 8
    for name in variables:
        assert re.search(rf"^\s+{name}:", compose, re.MULTILINE), name
    assert "TRUSTED_PROXIES: 1" in compose or 'TRUSTED_PROXIES: "1"' in compose


@needs_nginx
def test_the_tls_server_of_the_template_is_valid_for_nginx(tmp_path):
    """The production shape (443 ssl http2, certificate, port 80 redirect): `nginx -t` accepts it."""
    make_certificate(tmp_path)
    site = tmp_path / "site.conf"
    site.write_text(
        render_template(
            {
                "PROXY_SERVER_NAME": SERVER_NAME,
                "PROXY_HTTPS_LISTEN": f"127.0.0.1:{free_port()} ssl http2",
                "PROXY_HTTP_LISTEN": f"127.0.0.1:{free_port()}",
                "PROXY_UPSTREAM": f"127.0.0.1:{free_port()}",
                "PROXY_STATIC_ROOT": str(tmp_path / "static"),
                "PROXY_ACME_ROOT": str(tmp_path / "acme"),
                "PROXY_TLS_CERTIFICATE": str(tmp_path / "fullchain.pem"),
                "PROXY_TLS_CERTIFICATE_KEY": str(tmp_path / "privkey.pem"),
            }
        )
    )
    checked = subprocess.run(
        nginx_command(tmp_path, main_conf(tmp_path, site), "-t"), capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


# Through nginx -----------------------------------------------------------------------------------


@dataclass
class Browser:
    """One client: connections from its own loopback address, its own cookies."""

    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, *, body: str | None = None, headers=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(self.address, 0)
        )
        try:
            sent = {"Host": SERVER_NAME, **(headers or {})}
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[name] = value
            return response.status, response.headers, response.read().decode(errors="replace")
        finally:
            connection.close()

    def submit(self, path: str, fields: dict[str, str], *, headers=None):
        """GET the form (its CSRF token), then POST it."""
        status, _headers, page = self.request("GET", path)
        assert status == 200, page[:2000]
        token = CSRF_FIELD.search(page).group(1)
        body = urlencode({"csrfmiddlewaretoken": token, **fields})
        return self.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        )


@dataclass
class Stack:
    port: int
    http_port: int
    gunicorn: Process
    nginx: Process
    static_root: Path

    def browser(self, address: str) -> Browser:
        return Browser(self.port, address)


def database_url_of_the_tests() -> str:
    database = settings.DATABASES["default"]
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    host = database["HOST"] or "127.0.0.1"
    return f"postgres://{credentials}@{host}:{database['PORT'] or 5432}/{database['NAME']}"


@pytest.fixture
def stack(tmp_path):
    """gunicorn (production settings, TRUSTED_PROXIES=1) on the test database, nginx in front."""
    import redis

    queue = f"test-proxy-{uuid.uuid4().hex[:8]}"
    prefix = f"test-proxy-{uuid.uuid4().hex[:8]}"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"USE_X_FORWARDED_FOR", "TRUSTED_PROXIES"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.whole_site.fault_settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": SERVER_NAME,
            "DATABASE_URL": database_url_of_the_tests(),
            "REDIS_URL": REDIS_URL or "",
            "CELERY_QUEUE": queue,
            "CACHE_KEY_PREFIX": prefix,
            "TRUSTED_PROXIES": "1",
            # No TLS in the test: nginx says X-Forwarded-Proto: http.
            "SECURE_SSL_REDIRECT": "false",
            "VAR_DIR": str(tmp_path / "var"),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(tmp_path / "mail"),
            "LOG_LEVEL": "WARNING",
        }
    )
    (tmp_path / "var" / "staticfiles").mkdir(parents=True)
    static_root = tmp_path / "static"
    (static_root / "css").mkdir(parents=True)
    (static_root / "css" / "site.0123456789ab.css").write_text("body { color: #222; }\n")
    (static_root / "css" / "site.css").write_text("body { color: #222; }\n")
    challenge = tmp_path / "acme" / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "jeton-acme").write_text("jeton-acme.empreinte")
    upstream, port, http_port = free_port(), free_port(), free_port()
    site = tmp_path / "site.conf"
    site.write_text(
        render_template(
            {
                "PROXY_SERVER_NAME": SERVER_NAME,
                # Plain HTTP on loopback: no "ssl" (the certificate is loaded, never used).
                "PROXY_HTTPS_LISTEN": f"127.0.0.1:{port}",
                "PROXY_HTTP_LISTEN": f"127.0.0.1:{http_port}",
                "PROXY_UPSTREAM": f"127.0.0.1:{upstream}",
                "PROXY_STATIC_ROOT": str(static_root),
                "PROXY_ACME_ROOT": str(tmp_path / "acme"),
                "PROXY_TLS_CERTIFICATE": str(tmp_path / "fullchain.pem"),
                "PROXY_TLS_CERTIFICATE_KEY": str(tmp_path / "privkey.pem"),
            }
        )
    )
    make_certificate(tmp_path)
    conf = main_conf(tmp_path, site)
    gunicorn = start_gunicorn(port=upstream, env=env, log=tmp_path / "gunicorn.log")
    nginx = Process(
        "nginx",
        nginx_command(tmp_path, conf, "-g", "daemon off;"),
        env=dict(os.environ),
        log=tmp_path / "nginx.log",
    )
    try:
        stack = Stack(
            port=port, http_port=http_port, gunicorn=gunicorn, nginx=nginx, static_root=static_root
        )

        def up():
            try:
                return stack.browser("127.0.0.1").request("GET", "/healthz")[0] == 200
            except OSError:
                return False

        assert wait_until(up, timeout=60, interval=0.2), (
            gunicorn.output()[-3000:] + nginx.output() + read(tmp_path / "error.log")
        )
        yield stack
    finally:
        nginx.stop(how=signal.SIGTERM)
        gunicorn.stop(how=signal.SIGINT)
        client = redis.Redis.from_url(REDIS_URL)
        for pattern in (f"*{queue}*", f"{prefix}:*"):
            for key in client.scan_iter(pattern):
                client.delete(key)


def read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def wrong_logins(browser: Browser, count: int) -> list[tuple[int, str]]:
    """`count` failed logins, each for another address (allauth also limits per address)."""
    answers = []
    for attempt in range(count):
        status, _headers, page = browser.submit(
            "/compte/login/", {"login": f"inconnu{attempt}@example.org", "password": "mauvais-mdp"}
        )
        answers.append((status, page))
    return answers


@needs_nginx
@pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real Redis); always set in CI")
@pytest.mark.skipif(not ON_POSTGRESQL, reason="gunicorn shares the test database (PostgreSQL)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_behind_nginx_each_client_is_counted_as_itself(stack, tmp_path):
    resident = UserFactory(email="awa@example.org")
    # Hashed as production checks it (the tests' settings use MD5, gunicorn does not know it).
    hasher = PBKDF2PasswordHasher()
    resident.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    resident.save(update_fields=["password"])
    meeting = MeetingFactory(capacity=None)
    attacker, neighbour = stack.browser("127.0.0.2"), stack.browser("127.0.0.3")

    # (a) Ten failed logins from the attacker (ACCOUNT_RATE_LIMITS login_failed: 10 a minute per
    # address): the attacker is refused even with the right password, the neighbour is not.
    answers = wrong_logins(attacker, 10)
    assert all(status == 200 for status, _page in answers)
    assert "Trop de tentatives" not in answers[-1][1]
    status, _headers, page = attacker.submit(
        "/compte/login/", {"login": resident.email, "password": PASSWORD}
    )
    assert status in {200, 429}
    assert "Trop de tentatives" in page or "trop de tentatives" in page.lower(), page[:3000]
    status, headers, page = neighbour.submit(
        "/compte/login/", {"login": resident.email, "password": PASSWORD}
    )
    assert status == 302, ALERT.findall(page)
    assert not headers["Location"].startswith("/compte/login/")
    # Forging X-Forwarded-For does not make the attacker someone else: nginx replaces the header.
    status, _headers, page = attacker.submit(
        "/compte/login/",
        {"login": resident.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "203.0.113.77"},
    )
    assert "trop de tentatives" in page.lower()

    # (b) Guest registrations (RATE_LIMITS: 20 per 10 minutes per address), each with another
    # forged X-Forwarded-For: still counted on the attacker's address.
    path = f"/rencontres/{meeting.pk}/inscription/"
    limit = settings.RATE_LIMITS["guest_registration"][0]
    statuses = [
        attacker.submit(
            path,
            {"name": f"Faux {number}", "email": f"faux{number}@example.org"},
            headers={"X-Forwarded-For": f"198.51.100.{number}, 10.0.0.{number}"},
        )[0]
        for number in range(1, limit + 2)
    ]
    assert statuses == [302] * limit + [429], statuses
    assert neighbour.submit(path, {"name": "Léo", "email": "leo@example.org"})[0] == 302
    assert Registration.objects.filter(meeting=meeting).count() == limit + 1

    # (c) A 50 MB body: 413 from nginx as soon as it reads the headers; gunicorn never sees it.
    requests_before = stack.gunicorn.output().count(" /rencontres/")
    with socket.create_connection(("127.0.0.1", stack.port), source_address=("127.0.0.2", 0)) as s:
        s.sendall(
            (
                f"POST {path} HTTP/1.1\r\nHost: {SERVER_NAME}\r\n"
                "Content-Type: multipart/form-data; boundary=x\r\n"
                f"Content-Length: {50 * MB}\r\n\r\n"
            ).encode()
            + b"--x\r\n" * 1000
        )
        answer = b""
        while b"</html>" not in answer:
            chunk = s.recv(4096)
            if not chunk:
                break
            answer += chunk
    answer_text = answer.decode(errors="replace")
    assert answer_text.startswith("HTTP/1.1 413"), answer_text
    # In French, as Django's own 413 page.
    assert "Fichier trop volumineux" in answer_text and 'lang="fr"' in answer_text
    assert stack.gunicorn.output().count(" /rencontres/") == requests_before
    assert Registration.objects.filter(meeting=meeting).count() == limit + 1

    # Static files come from nginx: hashed ones cached for a year, the others for an hour.
    status, headers, body = attacker.request("GET", "/static/css/site.0123456789ab.css")
    assert (status, body) == (200, "body { color: #222; }\n")
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    status, headers, _body = attacker.request("GET", "/static/css/site.css")
    assert (status, headers["Cache-Control"]) == (200, "public, max-age=3600")
    assert "/static/" not in stack.gunicorn.output()
    # No media folder: /media/ goes to Django, which has no such route.
    assert attacker.request("GET", "/media/minutes/x.pdf")[0] == 404
    # Port 80: the ACME challenge is served, everything else goes to HTTPS on the public name.
    plain = Browser(stack.http_port, "127.0.0.2")
    status, headers, body = plain.request("GET", "/.well-known/acme-challenge/jeton-acme")
    assert (status, body) == (200, "jeton-acme.empreinte")
    status, headers, _body = plain.request("GET", f"{path}?a=1")
    assert (status, headers["Location"]) == (301, f"https://{SERVER_NAME}{path}?a=1")
    # The other host names get no answer at all (444: the connection is closed).
    with pytest.raises(http.client.RemoteDisconnected):
        attacker.request("GET", "/", headers={"Host": "127.0.0.1"})


# Django alone --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_django_refuses_a_file_sent_to_a_form_that_takes_none(client):
    meeting = MeetingFactory(capacity=None)
    url = reverse("dialogue:register", args=[meeting.pk])
    stray = SimpleUploadedFile("x.bin", b"\x00" * 1024)
    response = client.post(url, {"name": "Léa", "email": "lea@example.org", "piece": stray})
    assert response.status_code == 400
    assert "Demande non comprise" in response.content.decode()
    assert not Registration.objects.exists()
    # The same form without the file (still multipart, as the test client sends it) is accepted.
    response = client.post(url, {"name": "Léa", "email": "lea@example.org"})
    assert response.status_code == 302
    assert Registration.objects.count() == 1


@pytest.mark.django_db
def test_django_refuses_a_50_mb_body_before_reading_it(client, tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    meeting = MeetingFactory(capacity=None)
    url = reverse("dialogue:register", args=[meeting.pk])
    big = SimpleUploadedFile("gros.bin", b"\x00" * (50 * MB))
    response = client.post(url, {"name": "Léa", "email": "lea@example.org", "piece": big})
    assert response.status_code == 413
    page = response.content.decode()
    assert "Fichier trop volumineux" in page
    assert "8 Mo" in page
    assert not Registration.objects.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_django_refuses_an_oversize_upload_on_a_form_that_takes_a_file(settings, tmp_path):
    """Refused before the CSRF check reads the body, so before any view or permission runs."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32  # a cookie, so that the CSRF check reads the body
    meeting = MeetingFactory()
    url = reverse("dialogue:minutes_edit", args=[meeting.pk])
    pdf = SimpleUploadedFile("gros.pdf", b"%PDF-1.4\n" + b"0" * settings.MAX_REQUEST_BODY_BYTES)
    response = client.post(url, {"summary": "Texte", "attachment": pdf})
    assert response.status_code == 413
    assert not Minutes.objects.exists()
    assert list(tmp_path.iterdir()) == []
    # Two files where a form takes one: 400 (DATA_UPLOAD_MAX_NUMBER_FILES), nothing saved.
    two = [SimpleUploadedFile(f"{n}.pdf", b"%PDF-1.4\n") for n in "ab"]
    response = client.post(url, {"summary": "Texte", "attachment": two})
    assert response.status_code == 400
    assert not Minutes.objects.exists()


def test_the_file_guard_comes_before_the_handlers_that_keep_files():
    assert settings.FILE_UPLOAD_HANDLERS[0] == (
        f"{UnexpectedFileHandler.__module__}.{UnexpectedFileHandler.__name__}"
    )
    assert settings.MIDDLEWARE.index("participation.uploads.request_body_limit") < (
        settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    )


def test_nginx_is_among_the_test_system_packages():
    script = (ROOT / "scripts" / "system_deps.sh").read_text()
    test_line = next(line for line in script.splitlines() if line.strip().startswith("test)"))
    assert " nginx" in test_line
    assert shutil.which("nginx") or NGINX.exists() or os.environ.get("CI") != "true"
