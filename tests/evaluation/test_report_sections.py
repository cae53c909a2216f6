"""The written parts of a report (issue 19, item 1): drafted by coordinators and referents in scope,
sanitised, read and commented by the delegates, published, printed in the PDF before the figures,
kept through retries and rebuilds; every role in and out of scope; invalid forms; query counts."""

from __future__ import annotations

from datetime import date

import pytest
from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from evaluation import pdf, report_texts, services
from evaluation.indicators import Scope
from evaluation.models import (
    MAX_COMMENT_CHARS,
    MAX_SECTION_CHARS,
    Report,
    ReportComment,
    ReportSection,
    ReportStatus,
    TextStatus,
)
from tests.evaluation.factories import build_dataset
from tests.evaluation.test_reports import (
    NO_INDICATOR_ROLE,
    ROLES,
    SANITAS_READERS,
    client_for,
    commune,
    make_report,
    pdf_text,
    qpv,
    ready_report,
)

pytestmark = pytest.mark.django_db

SANITAS_DRAFTERS = {"referent_tours", "coordinator"}
TOURS_DRAFTERS = {"referent_tours", "coordinator"}
METROPOLE_DRAFTERS = {"coordinator"}
TOURS_READERS = {"referent_tours", "delegate_all", "coordinator"}
METROPOLE_READERS = {"delegate_all", "coordinator"}
SUMMARY = "Les rencontres ont **doublé** au Sanitas."
RECOMMENDATION = "- Ouvrir une permanence le samedi\n- Traduire les affiches"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def url(name: str, report: Report) -> str:
    return reverse(f"evaluation:{name}", kwargs={"pk": report.pk})


def french(msgid: str) -> str:
    with translation.override("fr"):
        return gettext(msgid)


def page(response) -> str:
    return response.content.decode()


def coordinator():
    return ROLES["coordinator"]()


def write(report: Report, **bodies: str) -> list[str]:
    return report_texts.report_sections_save(report=report, by=coordinator(), bodies=bodies)


def expected(role: str, allowed: set[str], readers: set[str], success: int) -> int:
    """A visitor logs in; no indicator role, 403; out of scope, 404; a reader who may not, 403."""
    if role == "visitor":
        return 302
    if role in NO_INDICATOR_ROLE:
        return 403
    if role not in readers:
        return 404
    return success if role in allowed else 403


# Permissions: every role, in and out of scope ------------------------------------------------------


@pytest.mark.parametrize("role", [role for role in ROLES if role != "visitor"])
@pytest.mark.parametrize(
    ("scope_name", "drafters", "commenters"),
    [
        ("sanitas", SANITAS_DRAFTERS, SANITAS_READERS),
        ("tours", TOURS_DRAFTERS, TOURS_READERS),
        ("metropole", METROPOLE_DRAFTERS, METROPOLE_READERS),
    ],
)
def test_the_rules_by_role(role, scope_name, drafters, commenters):
    scope = {
        "sanitas": lambda: Scope.of_qpv(qpv("sanitas")),
        "tours": lambda: Scope.commune_of(commune("tours")),
        "metropole": Scope.metropole,
    }[scope_name]()
    report = make_report(scope=scope)
    user = ROLES[role]()
    assert user.has_perm("evaluation.draft_report_text", report) is (role in drafters)
    assert user.has_perm("evaluation.comment_report", report) is (role in commenters)


@pytest.mark.parametrize("role", ROLES)
def test_the_edit_page_by_role(client, role):
    report = ready_report()
    client, _user = client_for(client, role)
    response = client.get(url("report_texts", report))
    assert response.status_code == expected(role, SANITAS_DRAFTERS, SANITAS_READERS, 200)
    response = client.post(url("report_texts", report), {"summary": SUMMARY})
    assert response.status_code == expected(role, SANITAS_DRAFTERS, SANITAS_READERS, 302)
    assert ReportSection.objects.filter(report=report).exists() is (role in SANITAS_DRAFTERS)


@pytest.mark.parametrize("role", ROLES)
def test_comment_by_role(client, role):
    report = ready_report()
    client, _user = client_for(client, role)
    response = client.post(url("report_comment", report), {"kind": "summary", "body": "Bien."})
    assert response.status_code == expected(role, SANITAS_READERS, SANITAS_READERS, 302)
    assert ReportComment.objects.filter(report=report).exists() is (role in SANITAS_READERS)


@pytest.mark.parametrize("role", ROLES)
def test_status_and_rebuild_by_role(client, role, django_capture_on_commit_callbacks):
    report = ready_report()
    write(report, summary=SUMMARY)
    client, _user = client_for(client, role)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("report_text_status", report), {"to": "published"})
    assert response.status_code == expected(role, SANITAS_DRAFTERS, SANITAS_READERS, 302)
    report.refresh_from_db()
    published = role in SANITAS_DRAFTERS
    assert (report.text_status == TextStatus.PUBLISHED) is published
    # Publishing a ready report builds its PDF again.
    assert len(callbacks) == (1 if published else 0)
    assert (report.status == ReportStatus.QUEUED) is published

    other = ready_report()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("report_rebuild", other))
    assert response.status_code == expected(role, SANITAS_DRAFTERS, SANITAS_READERS, 302)
    assert len(callbacks) == (1 if role in SANITAS_DRAFTERS else 0)


def test_get_on_the_post_only_urls_is_a_405(client):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    for name in ("report_text_status", "report_comment", "report_rebuild"):
        assert client.get(url(name, report)).status_code == 405, name


# Drafting, sanitising, reviewing, publishing ------------------------------------------------------


def test_drafting_saves_the_written_sections_only(client):
    client, user = client_for(client, "referent_tours")
    report = ready_report()
    response = client.post(
        url("report_texts", report),
        {"summary": SUMMARY, "recommendations": RECOMMENDATION, "highlights": "  "},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{report.get_absolute_url()}#report-texts"
    sections = {s.kind: s for s in ReportSection.objects.filter(report=report)}
    # A blank section is not saved: it would print an empty heading.
    assert set(sections) == {"summary", "recommendations"}
    assert (
        sections["summary"].body_html
        == "<p>Les rencontres ont <strong>doublé</strong> au Sanitas.</p>"
    )
    assert "<li>Traduire les affiches</li>" in sections["recommendations"].body_html
    assert sections["summary"].updated_by == user
    assert sections["summary"].published_html == ""
    # The drafter sees the draft on the report's page, with the actions.
    detail = page(client.get(report.get_absolute_url()))
    assert "<strong>doublé</strong>" in detail
    assert french("Submit for review") in detail and french("Publish in the PDF") in detail
    # Saving the same text again changes nothing.
    response = client.post(
        url("report_texts", report), {"summary": SUMMARY, "recommendations": RECOMMENDATION}
    )
    assert response.status_code == 302
    assert (
        ReportSection.objects.get(report=report, kind="summary").updated_at
        == sections["summary"].updated_at
    )


def test_scripts_handlers_and_headings_are_not_kept():
    html = report_texts.render_section(
        "## Titre\n\nBonjour <script>alert('x')</script><b onclick=\"steal()\">gras</b> "
        '[lien](javascript:alert(1)) <img src="https://evil.example/x.png"> '
        '<a href="https://tours-metropole.fr" onmouseover="x()">site</a>'
    )
    assert "<script" not in html and "alert('x')" not in html
    assert "onclick" not in html and "onmouseover" not in html and "steal" not in html
    assert "javascript:" not in html and "<img" not in html and "evil.example" not in html
    assert "<h2" not in html and "<p><strong>Titre</strong></p>" in html
    assert '<a href="https://tours-metropole.fr" rel="noopener noreferrer">site</a>' in html
    assert report_texts.render_section("   \n ") == ""


def test_the_page_shows_the_sanitised_html_only(client):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    client.post(url("report_texts", report), {"summary": 'Texte<script>alert("x")</script>'})
    detail = page(client.get(report.get_absolute_url()))
    assert 'alert("x")' not in detail
    assert "<p>Texte</p>" in detail


def test_preview_saves_nothing(client):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    response = client.post(url("report_texts", report), {"summary": SUMMARY, "preview": "1"})
    assert response.status_code == 200
    assert "<strong>doublé</strong>" in page(response)
    assert not ReportSection.objects.exists()


def test_delegates_read_the_texts_once_submitted_and_comment(client):
    report = ready_report()
    write(report, summary=SUMMARY)
    client, delegate = client_for(client, "delegate_sanitas")
    detail = page(client.get(report.get_absolute_url()))
    assert "doublé" not in detail
    assert french("The texts of this report are being drafted.") in detail

    report_texts.report_text_submit(report=report, by=coordinator())
    report.refresh_from_db()
    assert report.text_status == TextStatus.REVIEW
    detail = page(client.get(report.get_absolute_url()))
    assert "<strong>doublé</strong>" in detail
    # A delegate may not write nor publish.
    assert url("report_texts", report) not in detail
    assert french("Publish in the PDF") not in detail

    response = client.post(
        url("report_comment", report),
        {"kind": "summary", "body": "Préciser le nombre de rencontres.\nMerci."},
    )
    assert response.status_code == 302
    comment = ReportComment.objects.get()
    assert (comment.author, comment.kind, comment.report) == (delegate, "summary", report)
    detail = page(client.get(report.get_absolute_url()))
    assert "Préciser le nombre de rencontres.<br>Merci." in detail
    assert delegate.get_full_name() in detail


def test_publish_then_edit_returns_to_draft_and_keeps_the_published_version(
    client, django_capture_on_commit_callbacks
):
    report = ready_report()
    write(report, summary=SUMMARY)
    client, _user = client_for(client, "coordinator")
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(url("report_text_status", report), {"to": "published"})
    assert response.status_code == 302
    report.refresh_from_db()
    section = ReportSection.objects.get(report=report)
    assert report.text_status == TextStatus.PUBLISHED and report.text_published_at is not None
    assert section.published_html == section.body_html

    response = client.post(url("report_texts", report), {"summary": "Nouvelle version."})
    assert response.status_code == 302
    report.refresh_from_db()
    section.refresh_from_db()
    assert report.text_status == TextStatus.DRAFT
    assert section.body_html == "<p>Nouvelle version.</p>"
    assert "doublé" in section.published_html
    with translation.override("fr"):
        printed = pdf.editorial(report)
    assert printed == [{"kind": "summary", "title": "Synthèse", "html": section.published_html}]
    # The delegate reads the published version, and is told a new one is being drafted.
    delegate_client, _delegate = client_for(client.__class__(), "delegate_sanitas")
    detail = page(delegate_client.get(report.get_absolute_url()))
    assert "doublé" in detail and "Nouvelle version" not in detail
    assert (
        french(
            "A new version of these texts is being drafted; what follows is the published version."
        )
        in detail
    )


def test_every_save_is_audit_logged():
    report = ready_report()
    write(report, summary=SUMMARY)
    write(report, summary="Autre texte.")
    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ReportSection)
    ).order_by("pk")
    assert [entry.action for entry in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert entries[1].changes_dict["body"] == [SUMMARY, "Autre texte."]
    assert "body_html" not in entries[1].changes_dict


# Invalid forms: 400 (409 when the page was out of date), a French message, nothing lost --------------


def test_too_long_a_section_is_refused_and_kept(client):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    long_text = "Mot " * (MAX_SECTION_CHARS // 4) + "fin"
    response = client.post(url("report_texts", report), {"summary": SUMMARY, "concerns": long_text})
    assert response.status_code == 400
    body = page(response)
    assert "trop longue" in body and "10000" in body.replace("\u202f", "").replace(" ", "")
    assert long_text.strip() in body and "Les rencontres ont **doublé** au Sanitas." in body
    assert not ReportSection.objects.exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "summary", "body": ""}, "Write your comment."),
        ({"kind": "summary", "body": "   "}, "Write your comment."),
        ({"kind": "nope", "body": "Un avis."}, "Choose one of the sections of the list."),
    ],
)
def test_invalid_comments_get_the_form_back(client, data, message):
    client, _user = client_for(client, "delegate_sanitas")
    report = ready_report()
    response = client.post(url("report_comment", report), data)
    assert response.status_code == 400
    assert french(message) in page(response)
    assert not ReportComment.objects.exists()


def test_too_long_a_comment_is_refused_and_kept(client):
    client, _user = client_for(client, "delegate_sanitas")
    report = ready_report()
    long_text = "a" * (MAX_COMMENT_CHARS + 1)
    response = client.post(url("report_comment", report), {"body": long_text})
    assert response.status_code == 400
    assert long_text in page(response) and "trop long" in page(response)


@pytest.mark.parametrize("value", ["", "draft", "nonsense"])
def test_an_unknown_status_is_a_400(client, value):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    write(report, summary=SUMMARY)
    response = client.post(url("report_text_status", report), {"to": value})
    assert response.status_code == 400
    assert french("Choose what to do with the texts.") in page(response)


def test_nothing_to_submit_or_publish_and_twice_is_a_409(
    client, django_capture_on_commit_callbacks
):
    client, _user = client_for(client, "coordinator")
    report = ready_report()
    for to in ("review", "published"):
        response = client.post(url("report_text_status", report), {"to": to})
        assert response.status_code == 409
        assert "au moins une partie" in page(response)
    write(report, summary=SUMMARY)
    with django_capture_on_commit_callbacks(execute=False):
        assert (
            client.post(url("report_text_status", report), {"to": "published"}).status_code == 302
        )
    response = client.post(url("report_text_status", report), {"to": "published"})
    assert response.status_code == 409
    assert french("These texts are already published.") in page(response)
    # The report is now queued: building it again waits for that build.
    response = client.post(url("report_rebuild", report))
    assert response.status_code == 409
    assert french("The report is being built: it will print the texts published now.") in page(
        response
    )


# The PDF: the texts before the figures; regenerated without losing them ---------------------------


def test_the_pdf_prints_the_published_texts_before_the_figures(
    django_capture_on_commit_callbacks, tmp_path
):
    build_dataset()
    report = make_report(scope=Scope.of_qpv(qpv("sanitas")), requested_by=coordinator())
    write(report, summary=SUMMARY, recommendations=RECOMMENDATION, next_steps="<script>x</script>")
    write(report, concerns="Un point d’attention.")
    report_texts.report_text_submit(report=report, by=coordinator())
    # Published while queued: the build to come prints them, no second build is queued.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert report_texts.report_text_publish(report=report, by=coordinator()) is False
    assert not callbacks
    write(report, highlights="Ajouté après la publication.")
    with django_capture_on_commit_callbacks(execute=True):
        services._queue(report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.READY, report.error
    path = tmp_path / "report.pdf"
    path.write_bytes(report.file.read())
    report.file.close()
    text = pdf_text(path)
    with translation.override("fr"):
        chapter = gettext("Analysis and outlook")
        key_figures = gettext("Summary of key figures")
        first_table = gettext("Evolution by quarter")
    assert chapter in text
    before, after = text.split(key_figures, 1)
    for written in (
        "Synthèse",
        "Les rencontres ont doublé au Sanitas.",
        "Recommandations",
        "Ouvrir une permanence le samedi",
        "Traduire les affiches",
        "Un point d’attention.",
    ):
        assert written in before, written
    assert before.index(chapter) < before.index("Synthèse") < before.index("Recommandations")
    assert first_table in after
    # Empty once sanitised, or written after the publication: not printed.
    assert "Prochaines étapes" not in text and "<script>" not in text
    assert "Ajouté après la publication." not in text and "Faits marquants" not in before


def test_no_published_text_prints_no_chapter():
    report = make_report()
    write(report, summary=SUMMARY)
    assert pdf.editorial(report) == []
    with translation.override("fr"):
        html = pdf.render_to_string(
            "evaluation/pdf/editorial.html", {"editorial": [], "report": report}
        )
    assert html.strip() == ""


def test_a_rebuild_keeps_the_texts_replaces_the_file_and_emails_nobody(
    monkeypatch, django_capture_on_commit_callbacks
):
    rendered = []

    def render(context):
        rendered.append(context["editorial"])
        return b"%PDF-1.7\n% small " + str(len(rendered)).encode() + b"\n"

    monkeypatch.setattr(pdf, "render_report_pdf", render)
    ROLES["delegate_joue"]()
    report = Report.objects.create(
        commune=commune("joue-les-tours"),
        period_start=date(2025, 1, 1),
        period_end=date(2025, 12, 31),
        scheduled=True,
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.report_build(report_id=report.pk)
    report.refresh_from_db()
    first_file, first_odt = report.file.name, report.odt_file.name
    assert first_odt and rendered == [[]] and len(mail.outbox) == 1
    write(report, summary=SUMMARY)
    with django_capture_on_commit_callbacks(execute=True):
        assert report_texts.report_text_publish(report=report, by=coordinator()) is True
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert rendered[1][0]["kind"] == "summary" and "doublé" in rendered[1][0]["html"]
    # The new PDF replaces the old one; the annual report is not announced twice.
    assert report.file.name != first_file
    assert not report.file.storage.exists(first_file)
    assert report.file.storage.exists(report.file.name)
    # So does the editable copy: nothing is left behind in the storage.
    assert report.odt_file.name != first_odt
    assert not report.odt_file.storage.exists(first_odt)
    assert report.odt_file.storage.exists(report.odt_file.name)
    assert len(mail.outbox) == 1
    assert ReportSection.objects.get(report=report).published_html
    assert not report_texts.is_pdf_outdated(report)


def test_a_failed_build_retried_keeps_the_texts(monkeypatch, django_capture_on_commit_callbacks):
    attempts = []

    def render(context):
        attempts.append(context["editorial"])
        if len(attempts) == 1:
            raise ValueError("a bug")
        return b"%PDF-1.7\n"

    monkeypatch.setattr(pdf, "render_report_pdf", render)
    report = make_report()
    write(report, summary=SUMMARY)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert report_texts.report_text_publish(report=report, by=coordinator()) is False
    assert not callbacks
    services.report_build(report_id=report.pk)
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED
    with django_capture_on_commit_callbacks(execute=True):
        services.report_retry(report=report, by=coordinator())
    report.refresh_from_db()
    assert report.status == ReportStatus.READY
    assert report.text_status == TextStatus.PUBLISHED
    assert [[part["kind"] for part in parts] for parts in attempts] == [["summary"], ["summary"]]


def test_the_page_says_when_the_pdf_predates_the_publication(client):
    report = ready_report()
    write(report, summary=SUMMARY)
    Report.objects.filter(pk=report.pk).update(
        text_status=TextStatus.PUBLISHED, text_published_at=report.generated_at.replace(year=2099)
    )
    client, _user = client_for(client, "coordinator")
    detail = page(client.get(report.get_absolute_url()))
    assert french("Build the PDF again") in detail
    assert "avant la dernière publication" in detail


# Query counts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_query_counts_do_not_grow_with_the_texts(client, django_assert_max_num_queries, count):
    client, _user = client_for(client, "referent_tours")
    report = ready_report()
    write(report, summary=SUMMARY, highlights="Un fait.", concerns="Un point.")
    delegates = [ROLES["delegate_sanitas"]() for _ in range(min(count, 3))]
    for index in range(count):
        report_texts.report_comment_add(
            report=report, by=delegates[index % len(delegates)], kind="", body=f"Avis {index}"
        )
    # Session, user, scopes, the report, its sections, its comments with their authors, the menu.
    with django_assert_max_num_queries(7):
        assert client.get(report.get_absolute_url()).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(url("report_texts", report)).status_code == 200


def test_submitting_emails_the_delegates_who_read_the_report(
    mailoutbox, django_capture_on_commit_callbacks
):
    people = {name: ROLES[name]() for name in ROLES if name != "visitor"}
    report = ready_report()
    write(report, summary=SUMMARY)
    with django_capture_on_commit_callbacks(execute=True):
        report_texts.report_text_submit(report=report, by=people["referent_tours"])
    recipients = {message.to[0] for message in mailoutbox}
    assert recipients == {people[name].email for name in ("delegate_all", "delegate_sanitas")}
    message = mailoutbox[0]
    assert "Sanitas" in message.subject and "relire" in message.subject
    assert settings.SITE_URL + report.get_absolute_url() in message.body
    assert "doublé" not in message.body


def test_publishing_during_a_build_says_to_build_it_again(client):
    report = make_report(status=ReportStatus.RUNNING, generated_at=timezone.now())
    write(report, summary=SUMMARY)
    client, _user = client_for(client, "coordinator")
    response = client.post(url("report_text_status", report), {"to": "published"}, follow=True)
    assert response.status_code == 200
    assert "reconstruisez-le une fois prêt" in page(response)
    report.refresh_from_db()
    assert (report.status, report.text_status) == (ReportStatus.RUNNING, TextStatus.PUBLISHED)
