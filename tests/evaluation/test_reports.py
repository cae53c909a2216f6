"""PDF reports for the Plenary Assembly (issue 7, items 5, 6, 7 and 9): request, status, download,
retry for every role in and out of scope; the build (eager Celery) on a small dataset, checked with
pdftotext and pdftoppm against `compute(...)`; failures, retries, idempotency; the annual schedule."""

from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from pypdf import PdfReader

from evaluation import charts, pdf, services, tasks
from evaluation.computations import compute, compute_by_qpv
from evaluation.indicators import INDICATORS, Period, Scope
from evaluation.models import Report, ReportStatus
from participation.roles import Role
from participation.sizes import file_size
from qpv.models import QPV, Commune
from tests.evaluation.factories import build_dataset
from tests.participation.factories import UserFactory, grant
from tests.qpv.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

REPORTS = reverse("evaluation:reports")
Q1_2026 = Period.quarter(2026, 1)
# Today for the dataset: after every date of build_dataset(), so that nothing is "in the future".
TODAY = date(2026, 5, 1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def qpv(slug: str) -> QPV:
    return QPV.objects.select_related("commune").get(slug=slug)


def commune(slug: str) -> Commune:
    return Commune.objects.get(slug=slug)


def user_with(role: Role | None = None, **scope):
    user = UserFactory()
    if role is not None:
        grant(user, role, **scope)
    return user


# Every role of the definition of done, against a report of Sanitas (Tours).
ROLES = {
    "visitor": lambda: None,
    "resident": lambda: user_with(),
    "facilitator_sanitas": lambda: user_with(Role.FACILITATOR, qpv=qpv("sanitas")),
    "facilitator_rabiere": lambda: user_with(Role.FACILITATOR, qpv=qpv("la-rabiere")),
    "referent_tours": lambda: user_with(Role.REFERENT, commune=commune("tours")),
    "referent_joue": lambda: user_with(Role.REFERENT, commune=commune("joue-les-tours")),
    "correspondent": lambda: user_with(Role.CORRESPONDENT, organisation=OrganisationFactory()),
    "delegate_all": lambda: user_with(Role.DELEGATE),
    "delegate_sanitas": lambda: user_with(Role.DELEGATE, qpv=qpv("sanitas")),
    "delegate_rabiere": lambda: user_with(Role.DELEGATE, qpv=qpv("la-rabiere")),
    "delegate_joue": lambda: user_with(Role.DELEGATE, commune=commune("joue-les-tours")),
    "coordinator": lambda: user_with(Role.COORDINATOR),
}
NO_INDICATOR_ROLE = {
    "resident",
    "facilitator_sanitas",
    "facilitator_rabiere",
    "correspondent",
}


def client_for(client, role: str):
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    return client, user


def make_report(*, scope: Scope | None = None, status=ReportStatus.QUEUED, **fields) -> Report:
    scope = scope or Scope.of_qpv(qpv("sanitas"))
    fields.setdefault("period_start", Q1_2026.start)
    fields.setdefault("period_end", Q1_2026.end)
    return Report.objects.create(qpv=scope.qpv, commune=scope.commune, status=status, **fields)


def ready_report(scope: Scope | None = None, content: bytes = b"%PDF-1.7\n% a tiny test file\n"):
    from django.core.files.base import ContentFile

    report = make_report(scope=scope, status=ReportStatus.READY)
    report.file.save("rapport-test.pdf", ContentFile(content), save=False)
    report.size = len(content)
    report.checksum = hashlib.sha256(content).hexdigest()
    report.generated_at = timezone.now()
    report.progress = 100
    report.save()
    return report


def normalised(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(path: Path) -> str:
    # -raw: the content stream's order, so that each row of a table reads "label value".
    result = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    )
    return normalised(result.stdout)


def first_page_ink(path: Path) -> float:
    """The share of dark pixels of page 1 rendered at 40 dpi in grey (binary PGM)."""
    grey = subprocess.run(
        ["pdftoppm", "-r", "40", "-gray", "-f", "1", "-l", "1", str(path)],
        capture_output=True,
        check=True,
    ).stdout
    magic, width, height, maxval, pixels = grey.split(maxsplit=4)
    assert (magic, maxval) == (b"P5", b"255")
    assert len(pixels) == int(width) * int(height)
    return sum(1 for value in pixels if value < 200) / len(pixels)


def french(text) -> str:
    with translation.override("fr"):
        return str(text)


# Access: the list and the request form ------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("visitor", 302),
        ("resident", 403),
        ("facilitator_sanitas", 403),
        ("correspondent", 403),
        ("referent_tours", 200),
        ("delegate_all", 200),
        ("delegate_sanitas", 200),
        ("coordinator", 200),
    ],
)
def test_reports_page_by_role(client, role, expected):
    client, _user = client_for(client, role)
    response = client.get(REPORTS)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("referent_tours", {"sanitas", "tours"}),
        ("referent_joue", {"joue"}),
        ("delegate_sanitas", {"sanitas"}),
        ("delegate_joue", {"joue"}),
        ("delegate_all", {"sanitas", "tours", "joue", "metropole"}),
        ("coordinator", {"sanitas", "tours", "joue", "metropole"}),
    ],
)
def test_the_list_shows_the_reports_of_the_scope_only(client, role, visible):
    reports = {
        "sanitas": make_report(scope=Scope.of_qpv(qpv("sanitas"))),
        "tours": make_report(scope=Scope.commune_of(commune("tours"))),
        "joue": make_report(scope=Scope.commune_of(commune("joue-les-tours"))),
        "metropole": make_report(scope=Scope.metropole()),
    }
    client, _user = client_for(client, role)
    response = client.get(REPORTS)
    assert response.status_code == 200
    shown = {name for name, report in reports.items() if report.get_absolute_url() in response.text}
    assert shown == visible


def test_request_a_report_queues_its_build_on_commit(client, django_capture_on_commit_callbacks):
    client, user = client_for(client, "referent_tours")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            REPORTS,
            {
                "scope": "qpv:sanitas",
                "preset": "custom",
                "start": "2026-01-01",
                "end": "2026-03-31",
            },
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == report.get_absolute_url()
    assert (report.qpv, report.commune, report.requested_by) == (qpv("sanitas"), None, user)
    assert (report.period_start, report.period_end) == (Q1_2026.start, Q1_2026.end)
    assert report.status == ReportStatus.QUEUED and not report.scheduled
    assert len(callbacks) == 1


def test_the_same_request_twice_while_queued_makes_one_report(client):
    client, _user = client_for(client, "coordinator")
    data = {"scope": "commune:tours", "preset": "year-2025"}
    first = client.post(REPORTS, data)
    second = client.post(REPORTS, data)
    assert first["Location"] == second["Location"]
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {
                "scope": "qpv:sanitas",
                "preset": "custom",
                "start": "2026-03-31",
                "end": "2026-01-01",
            },
            "end",
        ),
        (
            {
                "scope": "qpv:sanitas",
                "preset": "custom",
                "start": "2014-01-01",
                "end": "2064-01-01",
            },
            "end",
        ),
        (
            {
                "scope": "qpv:sanitas",
                "preset": "custom",
                "start": "1976-01-01",
                "end": "2026-01-01",
            },
            "start",
        ),
        ({"scope": "qpv:la-rabiere", "preset": "year-2025"}, "scope"),
        ({"scope": "metropole", "preset": "year-2025"}, "scope"),
        ({"scope": "qpv:nowhere", "preset": "year-2025"}, "scope"),
        ({"scope": "qpv:sanitas", "preset": "custom", "start": "31/02/2026"}, "start"),
    ],
    ids=[
        "end-before-start",
        "fifty-years",
        "fifty-years-back",
        "other-commune",
        "metropole",
        "forged",
        "bad-date",
    ],
)
def test_bad_requests_get_the_form_back_with_errors(client, data, field):
    client, _user = client_for(client, "referent_tours")
    response = client.post(REPORTS, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors[field]
    assert "error-summary" in response.text
    # What was typed is kept.
    for value in data.values():
        if "-" in value and value[0].isdigit():
            assert f'value="{value}"' in response.text
    assert not Report.objects.exists()


def test_a_resident_cannot_post_a_request(client):
    client, _user = client_for(client, "facilitator_sanitas")
    response = client.post(REPORTS, {"scope": "qpv:sanitas", "preset": "year-2025"})
    assert response.status_code == 403
    assert not Report.objects.exists()


def test_a_broker_that_is_down_fails_the_report_with_a_reason(
    monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerError

    from participation.celery import app

    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.build_report, "delay", broker_down)
    coordinator = ROLES["coordinator"]()
    # Celery's settings object does not undo a monkeypatch: set and restore by hand.
    app.conf.task_always_eager = False
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = services.report_request(
                user=coordinator, scope=Scope.of_qpv(qpv("sanitas")), period=Q1_2026
            )
    finally:
        app.conf.task_always_eager = True
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    assert report.error and "111" not in report.error
    assert services.is_retryable(report)


def test_the_service_refuses_a_scope_outside_the_user(db):
    referent = ROLES["referent_tours"]()
    with pytest.raises(services.PermissionDenied):
        services.report_request(
            user=referent, scope=Scope.of_qpv(qpv("la-rabiere")), period=Q1_2026
        )


# Access: one report ---------------------------------------------------------------------------------


def expected_for(role: str, readers: set[str]) -> int:
    if role == "visitor":
        return 302
    if role in NO_INDICATOR_ROLE:
        return 403
    # Someone else's scope: as if the report did not exist.
    return 200 if role in readers else 404


SANITAS_READERS = {"referent_tours", "delegate_all", "delegate_sanitas", "coordinator"}
TOURS_READERS = {"referent_tours", "delegate_all", "coordinator"}
METROPOLE_READERS = {"delegate_all", "coordinator"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "view", ["evaluation:report", "evaluation:report_status", "evaluation:report_download"]
)
def test_a_sanitas_report_by_role(client, role, view):
    report = ready_report(Scope.of_qpv(qpv("sanitas")))
    client, _user = client_for(client, role)
    response = client.get(reverse(view, kwargs={"pk": report.pk}))
    assert response.status_code == expected_for(role, SANITAS_READERS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("scope_name", "readers"), [("tours", TOURS_READERS), ("metropole", METROPOLE_READERS)]
)
def test_commune_and_metropole_reports_by_role(client, role, scope_name, readers):
    scope = Scope.metropole() if scope_name == "metropole" else Scope.commune_of(commune("tours"))
    report = ready_report(scope)
    client, _user = client_for(client, role)
    for view in ("evaluation:report", "evaluation:report_download"):
        response = client.get(reverse(view, kwargs={"pk": report.pk}))
        assert response.status_code == expected_for(role, readers), view


def test_an_unknown_report_id_is_a_404_like_another_scope(client):
    client, _user = client_for(client, "referent_joue")
    report = ready_report(Scope.of_qpv(qpv("sanitas")))
    other = client.get(reverse("evaluation:report", kwargs={"pk": report.pk}))
    missing = client.get(reverse("evaluation:report", kwargs={"pk": report.pk + 1000}))
    assert other.status_code == missing.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_retry_by_role(client, role, django_capture_on_commit_callbacks):
    report = make_report(status=ReportStatus.FAILED, error="La base était indisponible.")
    client, _user = client_for(client, role)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("evaluation:report_retry", kwargs={"pk": report.pk}))
    report.refresh_from_db()
    if role in SANITAS_READERS:
        assert response.status_code == 302
        assert response["Location"] == report.get_absolute_url()
        assert (report.status, report.error, report.progress) == (ReportStatus.QUEUED, "", 0)
        assert len(callbacks) == 1
    else:
        assert response.status_code == expected_for(role, SANITAS_READERS)
        assert report.status == ReportStatus.FAILED
        assert not callbacks


def test_retry_of_a_report_that_did_not_fail_changes_nothing(client):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    response = client.post(reverse("evaluation:report_retry", kwargs={"pk": report.pk}))
    assert response.status_code == 409
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert (
        client.get(reverse("evaluation:report_retry", kwargs={"pk": report.pk})).status_code == 405
    )


# The status page and its polling --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "polls"),
    [
        (ReportStatus.QUEUED, True),
        (ReportStatus.RUNNING, True),
        (ReportStatus.READY, False),
        (ReportStatus.FAILED, False),
    ],
)
def test_the_status_block_polls_only_while_queued_or_running(client, status, polls):
    client, _user = client_for(client, "coordinator")
    report = make_report(
        status=status,
        progress=40 if status == ReportStatus.RUNNING else 0,
        progress_label="Section Sanitas (1 sur 1)",
        generated_at=timezone.now() if status != ReportStatus.QUEUED else None,
        error="La génération a échoué." if status == ReportStatus.FAILED else "",
    )
    partial = client.get(
        reverse("evaluation:report_status", kwargs={"pk": report.pk}), HTTP_HX_REQUEST="true"
    )
    page = client.get(report.get_absolute_url())
    assert partial.status_code == page.status_code == 200
    assert ('data-hx-trigger="every 2s"' in partial.text) is polls
    assert ('data-hx-trigger="every 2s"' in page.text) is polls
    assert "<html" not in partial.text and 'id="report-status"' in partial.text
    # Without JavaScript: a plain link refreshes the page while it is being built.
    assert (f'href="{report.get_absolute_url()}"' in partial.text) is polls
    if status == ReportStatus.RUNNING:
        assert 'value="40"' in partial.text and "Section Sanitas (1 sur 1)" in partial.text
    if status == ReportStatus.FAILED:
        assert "La génération a échoué." in partial.text
        assert reverse("evaluation:report_retry", kwargs={"pk": report.pk}) in partial.text
    else:
        assert reverse("evaluation:report_retry", kwargs={"pk": report.pk}) not in partial.text


def test_a_ready_report_shows_size_and_download_not_the_checksum(client):
    # The SHA-256 is kept on the record (admin, audit), never shown to delegates; sizes in Ko.
    client, _user = client_for(client, "delegate_sanitas")
    report = ready_report()
    response = client.get(report.get_absolute_url())
    assert report.checksum not in response.text and "SHA" not in response.text
    assert "Kio" not in response.text and file_size(report.size) in response.text
    assert reverse("evaluation:report_download", kwargs={"pk": report.pk}) in response.text


def test_a_stale_running_report_stops_polling_and_may_be_retried(client):
    client, _user = client_for(client, "coordinator")
    report = make_report(
        status=ReportStatus.RUNNING,
        progress=30,
        generated_at=timezone.now() - timedelta(seconds=services.BUILD_TIME_LIMIT + 60),
    )
    partial = client.get(reverse("evaluation:report_status", kwargs={"pk": report.pk}))
    assert 'data-hx-trigger="every 2s"' not in partial.text
    assert reverse("evaluation:report_retry", kwargs={"pk": report.pk}) in partial.text


def test_download_only_when_ready(client):
    client, _user = client_for(client, "coordinator")
    content = b"%PDF-1.7\n% test\n"
    report = ready_report(content=content)
    response = client.get(reverse("evaluation:report_download", kwargs={"pk": report.pk}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert 'filename="rapport-sanitas-20260101-20260331.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == content
    for status in (ReportStatus.QUEUED, ReportStatus.RUNNING, ReportStatus.FAILED):
        other = make_report(status=status, generated_at=timezone.now())
        url = reverse("evaluation:report_download", kwargs={"pk": other.pk})
        assert client.get(url).status_code == 404


@pytest.mark.parametrize("count", [3, 30])
def test_query_counts_do_not_grow_with_the_reports(client, django_assert_num_queries, count):
    client, user = client_for(client, "referent_tours")
    for index in range(count):
        scope = Scope.of_qpv(qpv("sanitas")) if index % 2 else Scope.commune_of(commune("tours"))
        make_report(scope=scope, requested_by=user)
    # Session, user, scopes, communes and QPV of the form, count, the menu's QPV, the reports.
    with django_assert_num_queries(8):
        response = client.get(REPORTS)
    assert response.status_code == 200
    report = Report.objects.first()
    # Session, user, scopes, the report with its place and requester, its written parts and their
    # comments (test_report_sections.py), the menu's QPV.
    with django_assert_num_queries(7):
        assert client.get(report.get_absolute_url()).status_code == 200
    # The partial has no menu.
    with django_assert_num_queries(4):
        assert (
            client.get(reverse("evaluation:report_status", kwargs={"pk": report.pk})).status_code
            == 200
        )


# The build --------------------------------------------------------------------------------------------


@pytest.fixture
def dataset():
    return build_dataset()


def build_eagerly(django_capture_on_commit_callbacks, **request) -> Report:
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(**request)
    report.refresh_from_db()
    return report


def test_build_produces_the_pdf_with_the_figures_of_compute(
    dataset, django_capture_on_commit_callbacks, tmp_path
):
    coordinator = ROLES["coordinator"]()
    scope = Scope.commune_of(commune("joue-les-tours"))
    report = build_eagerly(
        django_capture_on_commit_callbacks, user=coordinator, scope=scope, period=Q1_2026
    )
    assert report.status == ReportStatus.READY, report.error
    assert (report.progress, report.attempts, report.error) == (100, 1, "")
    content = report.file.read()
    report.file.close()
    assert content.startswith(b"%PDF-")
    assert report.size == len(content)
    assert report.checksum == hashlib.sha256(content).hexdigest()
    assert report.generated_at is not None
    assert Path(report.file.path).name.startswith("rapport-joue-les-tours-20260101-20260331")

    # Accessible PDF: tagged, with a title and the language.
    reader = PdfReader(io.BytesIO(content))
    assert reader.trailer["/Root"]["/Lang"] == "fr"
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert "Joué-lès-Tours" in reader.metadata.title
    assert tuple(round(float(v)) for v in reader.pages[0].mediabox[2:]) == (595, 842)

    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    text = pdf_text(path)
    with translation.override("fr"):
        period_label = Q1_2026.label
        values = compute(scope, Q1_2026)
        per_qpv = compute_by_qpv(scope, Q1_2026)
        every = gettext("Every indicator of the territory")
    assert "Joué-lès-Tours" in text and period_label in text
    assert "Contrat de ville 2024-2030" in text and "Tours Métropole Val de Loire" in text
    assert "page 1 /" in text and f"page {len(reader.pages)} / {len(reader.pages)}" in text
    # The data period and the generation date are on every page (running footer).
    assert text.count("1er janvier 2026") >= len(reader.pages)
    # The territory's table: each indicator's label followed by its value, as compute() says.
    territory, rabiere = text.split(every, 1)[1].split("La Rabière (Joué-lès-Tours)", 1)
    rabiere = rabiere.split("Le Morier (Joué-lès-Tours)", 1)[0]
    for code in (
        "meetings_held",
        "attendance_total",
        "residents_distinct",
        "questions_received",
        "feedback_heard",
        "influence_partly",
        "channel_fph_applications",
    ):
        label = normalised(french(INDICATORS[code].label))
        value = normalised(charts.format_value(values[code], INDICATORS[code].unit))
        assert f"{label} {value}" in territory, code
    # La Rabière's own section, as compute_by_qpv() says.
    rabiere_values = per_qpv[qpv("la-rabiere")]
    for code in ("meetings_held", "attendance_total", "questions_received"):
        label = normalised(french(INDICATORS[code].label))
        value = normalised(charts.format_value(rabiere_values[code], INDICATORS[code].unit))
        assert f"{label} {value}" in rabiere, code
    assert first_page_ink(path) > 0.01
    # No resident: none of the dataset's emails appear.
    assert "@example.org" not in text


def test_second_build_of_a_ready_report_does_nothing(dataset, django_capture_on_commit_callbacks):
    coordinator = ROLES["coordinator"]()
    report = build_eagerly(
        django_capture_on_commit_callbacks,
        user=coordinator,
        scope=Scope.of_qpv(qpv("sanitas")),
        period=Q1_2026,
    )
    before = (report.file.name, report.checksum, report.generated_at, report.attempts)
    assert services.report_build(report_id=report.pk) is None
    tasks.build_report.delay(report.pk)
    report.refresh_from_db()
    assert (report.file.name, report.checksum, report.generated_at, report.attempts) == before
    # The PDF and its editable copy (ODT), once each.
    assert len(list(Path(report.file.path).parent.iterdir())) == 2


def test_progress_is_saved_at_each_step(dataset, monkeypatch):
    report = make_report(scope=Scope.commune_of(commune("joue-les-tours")))
    seen = []
    real_save = Report.save

    def spy(self, *args, **kwargs):
        if kwargs.get("update_fields") == ["progress", "progress_label"]:
            seen.append((self.progress, self.progress_label))
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Report, "save", spy)
    services.report_build(report_id=report.pk)
    steps = [label for _progress, label in seen]
    progresses = [progress for progress, _label in seen]
    assert progresses == sorted(progresses)
    assert any("La Rabière" in label for label in steps)
    assert any("Le Morier" in label for label in steps)
    with translation.override("fr"):
        for step in ("Computing the indicators", "Rendering the PDF", "Saving the file"):
            assert gettext(step) in steps


def test_a_failing_build_fails_with_a_reason_and_retry_works(
    dataset, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(context):
        raise RuntimeError("cairo exploded at 0xdeadbeef")

    monkeypatch.setattr(pdf, "render_report_pdf", broken)
    coordinator = ROLES["coordinator"]()
    report = build_eagerly(
        django_capture_on_commit_callbacks,
        user=coordinator,
        scope=Scope.of_qpv(qpv("sanitas")),
        period=Q1_2026,
    )
    assert report.status == ReportStatus.FAILED
    with translation.override("fr"):
        step = gettext("Rendering the PDF")
    assert step in report.error
    # The traceback is logged for the technical team, never shown.
    assert "0xdeadbeef" not in report.error and "Traceback" not in report.error
    assert any(
        "0xdeadbeef" in str(record.exc_info[1]) for record in caplog.records if record.exc_info
    )
    assert not report.file

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(report=report, by=coordinator)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert (report.attempts, report.error) == (2, "")


def test_a_running_report_is_left_alone_unless_stale(dataset):
    recent = make_report(status=ReportStatus.RUNNING, attempts=1, generated_at=timezone.now())
    assert services.report_build(report_id=recent.pk) is None
    recent.refresh_from_db()
    assert (recent.status, recent.attempts) == (ReportStatus.RUNNING, 1)

    stale = make_report(
        status=ReportStatus.RUNNING,
        attempts=1,
        generated_at=timezone.now() - timedelta(seconds=services.BUILD_TIME_LIMIT + 1),
    )
    services.report_build(report_id=stale.pk)
    stale.refresh_from_db()
    assert (stale.status, stale.attempts) == (ReportStatus.READY, 2)


def test_a_failed_report_is_not_rebuilt_by_a_doubled_message(dataset):
    failed = make_report(status=ReportStatus.FAILED, error="x", attempts=1)
    assert services.report_build(report_id=failed.pk) is None
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (ReportStatus.FAILED, 1)
    assert services.report_build(report_id=failed.pk + 999) is None


def test_a_transient_error_requeues_then_fails_on_the_last_attempt(monkeypatch):
    def database_down(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(pdf, "compute", database_down)
    report = make_report()
    with pytest.raises(OperationalError):
        services.report_build(report_id=report.pk, final_attempt=False)
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED
    services.report_build(report_id=report.pk, final_attempt=True)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and report.error
    assert "server closed" not in report.error


def test_the_task_is_configured_for_robust_jobs():
    task = tasks.build_report
    assert task.acks_late is True
    assert (task.time_limit, task.soft_time_limit) == (600, 540)
    assert task.soft_time_limit < task.time_limit
    assert Exception not in task.autoretry_for and OperationalError in task.autoretry_for
    assert task.max_retries >= 1


# The annual reports --------------------------------------------------------------------------------


def test_the_beat_schedules_the_annual_reports_mid_january():
    entry = settings.CELERY_BEAT_SCHEDULE["evaluation-annual-reports"]
    assert entry["task"] == tasks.schedule_annual_reports.name
    schedule = entry["schedule"]
    assert (schedule.month_of_year, schedule.day_of_month) == ({1}, {15})
    assert (schedule.hour, schedule.minute) == ({6}, {0})


def test_schedule_creates_the_previous_year_reports_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = services.schedule_annual_reports(today=date(2027, 1, 15))
    communes = set(Commune.objects.filter(qpvs__isnull=False).values_list("pk", flat=True))
    assert len(created) == 1 + len(communes) == len(callbacks)
    assert {report.commune_id for report in created} == {None, *communes}
    for report in created:
        assert report.scheduled and report.requested_by is None and report.qpv is None
        assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2026, 12, 31))
        assert report.status == ReportStatus.QUEUED
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert services.schedule_annual_reports(today=date(2027, 1, 20)) == []
    assert not again
    assert Report.objects.count() == len(created)


def test_a_ready_annual_report_is_emailed_to_those_who_may_read_it(
    monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(pdf, "render_report_pdf", lambda context: b"%PDF-1.7\n% small\n")
    people = {name: ROLES[name]() for name in ROLES if name != "visitor"}
    report = Report.objects.create(
        commune=commune("joue-les-tours"),
        period_start=date(2026, 1, 1),
        period_end=date(2026, 12, 31),
        scheduled=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.report_build(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    recipients = {message.to[0] for message in mailoutbox}
    expected = {"referent_joue", "delegate_all", "delegate_joue", "coordinator"}
    assert recipients == {people[name].email for name in expected}
    message = mailoutbox[0]
    assert "Joué-lès-Tours" in message.subject and "2026" in message.subject
    page = settings.SITE_URL + report.get_absolute_url()
    assert page in message.body
    assert reverse("evaluation:report_download", kwargs={"pk": report.pk}) not in message.body
    assert not message.attachments

    # A report somebody asked for is not emailed.
    mailoutbox.clear()
    asked = make_report(scope=Scope.commune_of(commune("joue-les-tours")))
    with django_capture_on_commit_callbacks(execute=True):
        services.report_build(report_id=asked.pk)
    assert not mailoutbox


def test_report_form_is_prefilled_from_the_dashboard(client):
    from participation.roles import Role
    from tests.participation.factories import UserFactory, grant

    coordinator = UserFactory()
    grant(coordinator, Role.COORDINATOR)
    client.force_login(coordinator)
    response = client.get("/espace-pro/rapports/", {"scope": "qpv:sanitas", "preset": "year-2025"})
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["scope"] == "qpv:sanitas"
    assert form.initial["preset"] == "year-2025"


@pytest.mark.parametrize(
    ("shown", "status", "announced"),
    [
        ("queued", ReportStatus.RUNNING, "Le rapport est en cours de construction."),
        ("running", ReportStatus.READY, "Le rapport est prêt : vous pouvez télécharger le PDF."),
        ("running", ReportStatus.FAILED, "Le rapport n’a pas pu être généré."),
        ("running", ReportStatus.RUNNING, None),
        ("ready", ReportStatus.READY, None),
        ("", ReportStatus.READY, None),
        ("nonsense", ReportStatus.READY, None),
    ],
)
def test_a_poll_announces_a_status_change_once_in_the_live_region(client, shown, status, announced):
    client, _user = client_for(client, "coordinator")
    report = make_report(
        status=status,
        progress=40,
        generated_at=timezone.now() if status != ReportStatus.QUEUED else None,
        error="La génération a échoué." if status == ReportStatus.FAILED else "",
    )
    url = reverse("evaluation:report_status", kwargs={"pk": report.pk})
    response = client.get(url, {"shown": shown}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="report-status"' in response.text
    if announced is None:
        assert "report-announcer" not in response.text
    else:
        assert (
            f'<div id="report-announcer" data-hx-swap-oob="innerHTML">{announced}</div>'
            in response.text
        )
    # The status page holds the empty live region; its polls say which status it shows.
    page = client.get(report.get_absolute_url())
    assert '<div id="report-announcer" class="visually-hidden" role="status"></div>' in page.text
    if status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
        assert f"{url}?shown={status}" in page.text
