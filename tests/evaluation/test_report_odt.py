"""The editable copy (ODT) of a report (issue 19, item 6): built with the PDF from the same context,
opened with odfpy (headings with outline levels, tables with header rows, charts as PNG pictures),
converted by LibreOffice to PDF and read back with pdftotext (the same figures and QPV names as the
PDF); its download for every role in and out of scope, its link on the status page, its queries."""

from __future__ import annotations

import io
import shutil
import subprocess
import uuid
import zipfile
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, pgettext
from odf import draw, style, table, text
from odf.opendocument import load
from pypdf import PdfReader

from evaluation import odt, pdf, services
from evaluation.indicators import Scope
from evaluation.models import Report, ReportStatus
from tests.evaluation.factories import build_dataset
from tests.evaluation.test_reports import (
    Q1_2026,
    ROLES,
    SANITAS_READERS,
    build_eagerly,
    client_for,
    commune,
    expected_for,
    normalised,
    pdf_text,
    qpv,
    ready_report,
)

pytestmark = pytest.mark.django_db

ODT_BYTES = b"PK\x03\x04 a tiny test file"
LIBREOFFICE_TIMEOUT = 120


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def ready_with_odt(scope: Scope | None = None) -> Report:
    report = ready_report(scope)
    report.odt_file.save("rapport-test.odt", ContentFile(ODT_BYTES), save=True)
    return report


def download_url(report: Report) -> str:
    return reverse("evaluation:report_download_odt", kwargs={"pk": report.pk})


def libreoffice_pdf(path: Path, outdir: Path) -> Path:
    """LibreOffice's own PDF of the ODT, in a private profile (no clash with another run)."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is missing: run scripts/system_deps.sh test"
    profile = outdir / f"lo-{uuid.uuid4().hex}"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(path),
        ],
        check=True,
        timeout=LIBREOFFICE_TIMEOUT,
        capture_output=True,
    )
    converted = outdir / (path.stem + ".pdf")
    assert converted.exists()
    return converted


def odf_text(element) -> str:
    """The text of an element and its descendants (odfpy's str() skips nested spans' tails)."""
    parts = []
    for node in element.childNodes:
        if node.nodeType == node.TEXT_NODE:
            parts.append(str(node.data))
        else:
            parts.append(odf_text(node))
    return "".join(parts)


# The build ----------------------------------------------------------------------------------------


@pytest.fixture
def joue_report(django_capture_on_commit_callbacks):
    build_dataset()
    coordinator = ROLES["coordinator"]()
    report = build_eagerly(
        django_capture_on_commit_callbacks,
        user=coordinator,
        scope=Scope.commune_of(commune("joue-les-tours")),
        period=Q1_2026,
    )
    assert report.status == ReportStatus.READY, report.error
    return report


def test_the_build_stores_an_odt_beside_the_pdf(joue_report):
    report = joue_report
    assert report.file and report.odt_file
    assert Path(report.odt_file.name).name.startswith("rapport-joue-les-tours-20260101-20260331")
    assert report.odt_file.name.endswith(".odt")
    content = report.odt_file.read()
    report.odt_file.close()
    archive = zipfile.ZipFile(io.BytesIO(content))
    # The mimetype comes first and uncompressed: what makes the file an ODT for every reader.
    first = archive.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert archive.read("mimetype") == odt.MEDIA_TYPE.encode()
    # The PDF's size and checksum stay the PDF's.
    assert report.size == report.file.size


def test_the_odt_has_headings_tables_and_charts(joue_report):
    report = joue_report
    document = load(report.odt_file.path)
    headings = [
        (int(heading.getAttribute("outlinelevel")), odf_text(heading))
        for heading in document.getElementsByType(text.H)
    ]
    with translation.override("fr"):
        summary = gettext("Summary of key figures")
        annex = gettext("Annex: definitions of the indicators")
        transparency = gettext("Transparency of questions and answers")
    level_one = [title for level, title in headings if level == 1]
    assert summary in level_one and annex in level_one and transparency in level_one
    assert "La Rabière (Joué-lès-Tours)" in level_one
    assert "Le Morier (Joué-lès-Tours)" in level_one
    assert {level for level, _title in headings} == {1, 2}
    # The heading styles are the word processor's, with their outline level (the navigator).
    named = {s.getAttribute("name"): s for s in document.styles.getElementsByType(style.Style)}
    for level in (1, 2, 3):
        heading_style = named[f"Heading_20_{level}"]
        assert heading_style.getAttribute("defaultoutlinelevel") == str(level)
        assert heading_style.getAttribute("displayname") == f"Heading {level}"
    for heading in document.getElementsByType(text.H):
        assert heading.getAttribute("stylename") in {"Heading_20_1", "Heading_20_2", "H1Page"}

    # Real tables, each with a header row repeated on every page.
    tables = document.getElementsByType(table.Table)
    assert len(tables) > 20
    for element in tables:
        headers = element.getElementsByType(table.TableHeaderRows)
        assert len(headers) == 1
        assert len(headers[0].getElementsByType(table.TableRow)) == 1

    # The charts as PNG pictures, with their title and text alternative: three of the territory
    # (attendance, feedback, comparison of the QPV) and one per QPV section.
    images = document.getElementsByType(draw.Image)
    assert len(images) == 3 + 2
    archive = zipfile.ZipFile(report.odt_file.path)
    for image in images:
        href = image.getAttribute("href")
        assert archive.read(href).startswith(b"\x89PNG\r\n\x1a\n")
    frames = document.getElementsByType(draw.Frame)
    titles = [odf_text(frame.firstChild.nextSibling) for frame in frames]
    assert all(titles)
    # No code identifier of an indicator anywhere in the document.
    body = odf_text(document.text)
    assert "meetings_held" not in body and "attendance_total" not in body
    assert "@example.org" not in body


def test_libreoffice_reads_the_same_figures_as_the_pdf(joue_report, tmp_path):
    report = joue_report
    odt_path = tmp_path / "rapport.odt"
    odt_path.write_bytes(report.odt_file.read())
    report.odt_file.close()
    converted = libreoffice_pdf(odt_path, tmp_path)
    odt_text = pdf_text(converted)
    reference_path = tmp_path / "reference.pdf"
    reference_path.write_bytes(report.file.read())
    report.file.close()
    reference = pdf_text(reference_path)

    with translation.override("fr"):
        context = pdf.build_context(report)
    assert "Joué-lès-Tours" in odt_text and context["period"].label in odt_text
    assert "Contrat de ville 2024-2030" in odt_text
    for name in context["qpv_names"]:
        assert name in odt_text and name in reference
    # Every key figure: its label and its value, the strings the PDF prints.
    for figure in context["key_figures"]:
        assert normalised(figure.label) in odt_text, figure.label
        assert normalised(figure.value) in reference
        line = normalised(f"{figure.label} {figure.value}")
        assert line in odt_text, line
    # Each QPV's own figures, as in its section of the PDF.
    for section in context["sections"]:
        part = odt_text.split(f"{section.qpv.name} ({section.qpv.commune.name})", 1)[1]
        for figure in section.figures:
            assert normalised(f"{figure.label} {figure.value}") in part, figure.label
    # LibreOffice took the headings as its outline (what its navigator shows): the PDF's
    # bookmarks are the chapters, with the subsections below them.
    outline = PdfReader(converted).outline
    chapters = [item.title for item in outline if not isinstance(item, list)]
    assert chapters[0] == "Synthèse des chiffres clés"
    assert "La Rabière (Joué-lès-Tours)" in chapters and "Le Morier (Joué-lès-Tours)" in chapters
    assert any(isinstance(item, list) for item in outline)
    # The five charts are pictures of the PDF.
    images = subprocess.run(
        ["pdfimages", "-list", str(converted)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    assert len(images) >= 5
    # The transparency total row and the footer with its page numbers.
    assert normalised(" ".join(context["transparency_total"])) in odt_text
    assert "1er janvier 2026" in odt_text
    assert "@example.org" not in odt_text


def test_an_odt_that_cannot_be_made_leaves_the_pdf_ready(
    monkeypatch, caplog, client, django_capture_on_commit_callbacks
):
    def broken(context):
        raise ValueError("odfpy exploded at 0xdeadbeef")

    monkeypatch.setattr(odt, "render_report_odt", broken)
    monkeypatch.setattr(pdf, "render_report_pdf", lambda context: b"%PDF-1.7\n% small\n")
    client, user = client_for(client, "coordinator")
    report = build_eagerly(
        django_capture_on_commit_callbacks,
        user=user,
        scope=Scope.of_qpv(qpv("sanitas")),
        period=Q1_2026,
    )
    assert report.status == ReportStatus.READY and report.file and not report.odt_file
    assert any("0xdeadbeef" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)
    page = client.get(report.get_absolute_url())
    assert reverse("evaluation:report_download", kwargs={"pk": report.pk}) in page.text
    assert download_url(report) not in page.text
    assert client.get(download_url(report)).status_code == 404


def test_the_build_saves_a_progress_step_for_the_odt(monkeypatch):
    monkeypatch.setattr(pdf, "render_report_pdf", lambda context: b"%PDF-1.7\n% small\n")
    monkeypatch.setattr(odt, "render_report_odt", lambda context: ODT_BYTES)
    report = Report.objects.create(
        qpv=qpv("sanitas"), period_start=Q1_2026.start, period_end=Q1_2026.end
    )
    seen = []
    real_save = Report.save

    def spy(self, *args, **kwargs):
        if kwargs.get("update_fields") == ["progress", "progress_label"]:
            seen.append(self.progress_label)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Report, "save", spy)
    services.report_build(report_id=report.pk)
    report.refresh_from_db()
    assert report.odt_file.read() == ODT_BYTES
    report.odt_file.close()
    with translation.override("fr"):
        assert gettext("Rendering the editable copy (ODT)") in seen


def test_absent_context_keys_are_skipped():
    # A context with nothing but a title still makes a valid ODT (parts read only what is there).
    content = odt.render_report_odt({"title": "Rapport"})
    document = load(io.BytesIO(content))
    assert document.getElementsByType(text.H) == []


# The download ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_odt_download_by_role(client, role):
    report = ready_with_odt(Scope.of_qpv(qpv("sanitas")))
    client, _user = client_for(client, role)
    response = client.get(download_url(report))
    assert response.status_code == expected_for(role, SANITAS_READERS)


def test_the_odt_download_answers_the_file_with_its_name(client):
    client, _user = client_for(client, "delegate_sanitas")
    report = ready_with_odt()
    response = client.get(download_url(report))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oasis.opendocument.text"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="rapport-sanitas-20260101-20260331.odt"' in disposition
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == ODT_BYTES


def test_the_odt_download_is_a_404_until_there_is_one(client):
    client, _user = client_for(client, "coordinator")
    without = ready_report()
    assert client.get(download_url(without)).status_code == 404
    for status in (ReportStatus.QUEUED, ReportStatus.RUNNING, ReportStatus.FAILED):
        report = ready_with_odt()
        Report.objects.filter(pk=report.pk).update(status=status)
        assert client.get(download_url(report)).status_code == 404
    missing = ready_with_odt()
    Path(missing.odt_file.path).unlink()
    assert client.get(download_url(missing)).status_code == 404


def test_the_status_block_links_the_odt_only_when_there_is_one(client):
    client, _user = client_for(client, "referent_tours")
    with_odt = ready_with_odt()
    without = ready_report()
    page = client.get(with_odt.get_absolute_url())
    assert download_url(with_odt) in page.text
    assert "Télécharger la version modifiable (ODT)" in page.text or "editable copy" in page.text
    partial = client.get(reverse("evaluation:report_status", kwargs={"pk": with_odt.pk}))
    assert download_url(with_odt) in partial.text
    assert download_url(without) not in client.get(without.get_absolute_url()).text


@pytest.mark.parametrize("count", [1, 10])
def test_the_odt_download_queries_do_not_grow(client, django_assert_num_queries, count):
    client, _user = client_for(client, "referent_tours")
    reports = [ready_with_odt() for _index in range(count)]
    # Session, user, the user's scopes, the report with its place.
    with django_assert_num_queries(4):
        response = client.get(download_url(reports[-1]))
    assert response.status_code == 200
    response.close()


# The written parts ------------------------------------------------------------------------------

EDITORIAL_HTML = (
    "<p>Un <strong>fort</strong> <em>engagement</em> : "
    '<a href="https://exemple.fr/bilan">le bilan</a> <a href="javascript:alert(1)">piège</a>'
    "<br>deuxième ligne</p>"
    "<ul><li>un point</li><li>deux points<ol><li>sous-point</li></ol></li></ul>"
    "<blockquote><p>Une parole d’habitante.</p></blockquote>"
    "<pre>  code\n    indenté</pre>"
)


def test_the_written_parts_come_before_the_figures_with_their_formatting(tmp_path):
    context = {
        "title": "Rapport",
        "editorial": [
            {"kind": "summary", "title": "Synthèse", "html": EDITORIAL_HTML},
            {"kind": "next_steps", "title": "Prochaines étapes", "html": ""},
        ],
        "key_figures": [pdf.Figure(code="meetings_held", label="Rencontres tenues", value="12")],
    }
    with translation.override("fr"):
        content = odt.render_report_odt(context)
    document = load(io.BytesIO(content))
    headings = [
        (int(h.getAttribute("outlinelevel")), odf_text(h))
        for h in document.getElementsByType(text.H)
    ]
    assert headings == [
        (1, "Analyse et perspectives"),
        (2, "Synthèse"),
        (1, "Synthèse des chiffres clés"),
    ]
    spans = {
        (s.getAttribute("stylename"), odf_text(s)) for s in document.getElementsByType(text.Span)
    }
    assert ("Strong_20_Emphasis", "fort") in spans and ("Emphasis", "engagement") in spans
    links = document.getElementsByType(text.A)
    assert [link.getAttribute("href") for link in links] == ["https://exemple.fr/bilan"]
    body = odf_text(document.text)
    assert "piège" in body and "javascript" not in body
    assert len(document.getElementsByType(text.LineBreak)) >= 2
    lists = document.getElementsByType(text.List)
    assert [item.getAttribute("stylename") for item in lists] == ["Bullets", "Numbers"]
    assert len(document.getElementsByType(text.ListItem)) == 3
    paragraphs = {
        p.getAttribute("stylename"): odf_text(p) for p in document.getElementsByType(text.P)
    }
    assert paragraphs["Quotations"] == "Une parole d’habitante."
    assert "Preformatted_20_Text" in paragraphs
    assert document.getElementsByType(text.S)  # the indentation of the code, kept

    # LibreOffice opens it and prints every word, in this order.
    path = tmp_path / "ecrit.odt"
    path.write_bytes(content)
    printed = pdf_text(libreoffice_pdf(path, tmp_path))
    for words in ("Un fort engagement", "le bilan", "un point", "sous-point", "habitante"):
        assert words in printed, words
    assert printed.index("Synthèse") < printed.index("Synthèse des chiffres clés")


def test_key_figures_show_their_target_progress_and_trend_when_they_have_them():
    with_target = SimpleNamespace(
        label="Rencontres tenues",
        value="12",
        target=SimpleNamespace(text="≥ 10", notes=["× 2 QPV"]),
        progress=SimpleNamespace(text="atteint (12 sur 10, 120 %)"),
        trend=SimpleNamespace(arrow="▲", text="en hausse de 20 % par rapport à 2025 (10)"),
    )
    without = SimpleNamespace(
        label="Présences", value="40", target=None, progress=None, trend=SimpleNamespace(text="")
    )
    with translation.override("fr"):
        content = odt.render_report_odt({"key_figures": [with_target, without]})
        plain = odt.render_report_odt({"key_figures": [without]})
    rows = load(io.BytesIO(content)).getElementsByType(table.TableRow)
    cells = [[odf_text(cell) for cell in row.getElementsByType(table.TableCell)] for row in rows]
    assert cells == [
        ["Indicateur", "Valeur", "Objectif", "Progression", "Évolution sur un an"],
        [
            "Rencontres tenues",
            "12",
            "≥ 10; × 2 QPV",
            "atteint (12 sur 10, 120 %)",
            "▲ en hausse de 20 % par rapport à 2025 (10)",
        ],
        ["Présences", "40", "", "", ""],
    ]
    # Without targets nor trends: label and value only.
    rows = load(io.BytesIO(plain)).getElementsByType(table.TableRow)
    assert [odf_text(cell) for cell in rows[0].getElementsByType(table.TableCell)] == [
        "Indicateur",
        "Valeur",
    ]


def test_marks_notes_and_sources_of_the_context_are_printed_when_present():
    """Non-additive columns (†) with their legend, partial quarters, explanations, sources, a
    period cut to today: each printed when the context carries it, as in the PDF."""
    quarter = SimpleNamespace(
        quarter_label="T4 2026 (partiel)", dates_text="du 1er octobre au 7 décembre 2026"
    )
    period = SimpleNamespace(
        label="2026",
        is_cut=True,
        planned_end=date(2026, 12, 31),
        progress_text="année en cours",
    )
    figure = SimpleNamespace(
        label="Taux de retour",
        value="45,0 %",
        explanation="La métropole compte chaque personne une fois.",
    )
    indicator = SimpleNamespace(
        label="Taux de retour",
        definition="Part des habitant·es venu·es deux fois.",
        sources="les inscriptions et les entrées libres",
        additive=False,
        explanation="",
    )
    context = {
        "period": period,
        "period_text": "du 1er janvier au 7 décembre 2026",
        "data_as_of": "Données arrêtées au 7 décembre 2026 à 23 h 10",
        "quarters": SimpleNamespace(
            columns=["Présences"], rows=[("T4 2026 (partiel)", ["3"])], partial=[quarter]
        ),
        "attendance_chart": SimpleNamespace(title="Présences par trimestre", uri="", alt=""),
        "comparison": {
            "chart": SimpleNamespace(title="", uri="", alt=""),
            "columns": [
                SimpleNamespace(label="Présences", additive=True),
                SimpleNamespace(label="Taux de retour", additive=False),
            ],
            "explanations": [("Taux de retour", "Une phrase d’explication.")],
            "rows": [("Sanitas", ["3", "45,0 %"])],
        },
        "families": [("Résultat", [figure])],
        "transparency_total": ["1", "1", "100,0 %", "100,0 %", "2 j", "2 j", "0", "0"],
        "transparency_columns_additive": (True, True, False, False, False, False, True, True),
        "definitions": [("Résultat", [indicator])],
    }
    with translation.override("fr"):
        document = load(io.BytesIO(odt.render_report_odt(context)))
    body = odf_text(document.text)
    headers = [
        odf_text(cell)
        for rows in document.getElementsByType(table.TableHeaderRows)
        for cell in rows.getElementsByType(table.TableCell)
    ]
    assert "Taux de retour †" in headers and "Présences" in headers
    with translation.override("fr"):
        share = pgettext("questions table", "Share answered")
        received = pgettext("questions table", "Received")
    assert f"{share} †" in headers and received in headers
    assert body.count("† Ne s’additionne pas entre quartiers") == 2
    assert "Taux de retour : Une phrase d’explication." in body
    assert "T4 2026 (partiel) : du 1er octobre au 7 décembre 2026 seulement" in body
    assert "Taux de retour : La métropole compte chaque personne une fois." in body
    assert "Source : les inscriptions et les entrées libres." in body
    assert "Ne s’additionne pas entre quartiers." in body
    assert "Données arrêtées au 7 décembre 2026 à 23 h 10." in body
    assert "La période n’est pas terminée (elle s’achève le 31 décembre 2026)" in body
    footer = odf_text(document.masterstyles)
    assert footer.startswith(
        "Du 1er janvier au 7 décembre 2026 (année en cours) · Données arrêtées au 7 décembre 2026"
    )
