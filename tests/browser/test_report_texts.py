"""The written parts of a report in Chromium (issue 19, item 1): a referent writes the synthesis and
a recommendation, previews them, saves and submits them for review; the prefect's delegate reads
them on the report's page and comments; the referent publishes them. Keyboard and labels only, as
a user of assistive technology would. Screenshots: artifacts/screenshots/report-texts-*.png."""

from __future__ import annotations

import hashlib

import pytest
from django.utils import timezone

from evaluation import pdf
from evaluation.models import Report, ReportComment, ReportStatus, TextStatus
from participation.roles import Role
from qpv.models import QPV
from tests.participation.factories import UserFactory, grant

PDF = b"%PDF-1.7\n% small\n"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_write_review_comment_and_publish(
    new_context, log_in, screenshot, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path
    # Publishing builds the PDF again (eagerly, in the live server's thread): a small one here.
    printed = []
    monkeypatch.setattr(
        pdf, "render_report_pdf", lambda context: printed.append(context["editorial"]) or PDF
    )
    sanitas = QPV.objects.select_related("commune").get(slug="sanitas")
    referent = UserFactory(full_name="Rita Référente")
    grant(referent, Role.REFERENT, commune=sanitas.commune)
    delegate = UserFactory(full_name="Denis Délégué")
    grant(delegate, Role.DELEGATE, qpv=sanitas)
    today = timezone.localdate()
    report = Report.objects.create(
        qpv=sanitas,
        period_start=today.replace(month=1, day=1),
        period_end=today,
        status=ReportStatus.FAILED,
        error="Panne de test.",
        checksum=hashlib.sha256(b"").hexdigest(),
    )

    writer = new_context()
    log_in(writer, referent)
    page = writer.new_page()
    page.goto(report.get_absolute_url())
    page.get_by_role("link", name="Rédiger les textes").click()
    page.get_by_label("Synthèse").fill(
        "Les rencontres ont **doublé** au Sanitas.\n\n<script>alert('x')</script>Merci à tous."
    )
    page.get_by_label("Recommandations").fill("- Ouvrir une permanence le samedi")
    page.get_by_role("button", name="Aperçu").click()
    preview = page.locator(".report-text-preview").first
    assert "doublé" in preview.inner_text()
    assert preview.locator("strong").inner_text() == "doublé"
    screenshot(page, "report-texts-edit-preview")
    page.get_by_role("button", name="Enregistrer les textes").click()
    assert page.url.endswith("#report-texts")
    assert page.locator("#report-text-summary strong").inner_text() == "doublé"
    assert "alert" not in page.locator("#report-text-summary").inner_text()
    # A failed report is built again by its "Retry": no second button for it.
    assert page.get_by_role("button", name="Reconstruire le PDF").count() == 0
    page.get_by_role("button", name="Soumettre à relecture").click()
    report.refresh_from_db()
    assert report.text_status == TextStatus.REVIEW
    screenshot(page, "report-texts-referent")

    reader = new_context()
    log_in(reader, delegate)
    review = reader.new_page()
    review.goto(report.get_absolute_url())
    assert review.get_by_role("link", name="Rédiger les textes").count() == 0
    assert "Ouvrir une permanence le samedi" in review.locator("#report-texts").inner_text()
    review.get_by_label("Au sujet de").select_option(label="Recommandations")
    review.get_by_label("Votre commentaire").fill("Préciser les horaires de la permanence.")
    review.get_by_role("button", name="Ajouter le commentaire").click()
    assert "Préciser les horaires" in review.locator("#report-comments").inner_text()
    screenshot(review, "report-texts-delegate")
    comment = ReportComment.objects.get()
    assert (comment.author, comment.kind) == (delegate, "recommendations")

    page.reload()
    assert "Préciser les horaires" in page.locator("#report-comments").inner_text()
    page.get_by_role("button", name="Publier dans le PDF").click()
    page.wait_for_url(f"**{report.get_absolute_url()}#report-texts")
    report.refresh_from_db()
    assert (report.text_status, report.status) == (TextStatus.PUBLISHED, ReportStatus.READY)
    assert [part["kind"] for part in printed[-1]] == ["summary", "recommendations"]
    screenshot(page, "report-texts-published")
    assert not page.problems and not review.problems
