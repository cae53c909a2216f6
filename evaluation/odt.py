"""The editable copy of a report: an OpenDocument text (ODT) that a delegate edits in LibreOffice.

It is built from the SAME context as the PDF (`evaluation.pdf.build_context`), in the same worker
build, so every figure is the PDF's string, formatted once by `charts.format_value`. Nothing is
computed here: each part below reads a few keys of the context and writes them; a key that is
absent (an older context, a part another change has not added yet) is skipped, never an error.

The document uses the word processor's own styles, so that an editor finds what they expect:
"Title", "Heading 1" to "Heading 3" with their outline levels (the navigator and a table of contents
list them), "Text body", "Table Contents" / "Table Heading", "Caption"; each table repeats its header
row on every page. Charts are PNG pictures rendered from the dashboard's SVG (CairoSVG, the PNG
back end of pygal), each with its title and text alternative, and the table of its data beside it
as in the PDF: PNG is the one picture format that every office suite shows and prints alike.

Why odfpy rather than an ODT template: the document is a sequence of tables of varying shapes
(one section per QPV, one table per family), which a template would have to express as loops in
XML; built in Python, each part is a small function with its typed inputs, and odfpy checks the
elements against the OpenDocument schema as they are added.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from odf import dc, draw, style, svg, table, text
from odf.element import Element
from odf.opendocument import OpenDocumentText

from evaluation.odt_html import html_to_odf
from participation.dates import date_format

MEDIA_TYPE = "application/vnd.oasis.opendocument.text"
# A4 with 2 cm margins: 17 cm of text width; charts are rendered at twice their SVG size.
TEXT_WIDTH_CM = 17.0
CHART_SCALE = 2
FONT = "DejaVu Sans"
MONO_FONT = "DejaVu Sans Mono"
# Past this many columns, a table is set in a smaller type.
WIDE_TABLE_COLUMNS = 5


# Styles ------------------------------------------------------------------------------------------


def _paragraph_style(
    name: str,
    display: str,
    *,
    parent: str | None = None,
    outline: int | None = None,
    paragraph: dict | None = None,
    font: dict | None = None,
    next_style: str | None = None,
) -> style.Style:
    attributes: dict[str, Any] = {"name": name, "displayname": display, "family": "paragraph"}
    if parent:
        attributes["parentstylename"] = parent
    if next_style:
        attributes["nextstylename"] = next_style
    if outline:
        attributes["defaultoutlinelevel"] = str(outline)
    result = style.Style(**attributes)
    if paragraph:
        result.addElement(style.ParagraphProperties(**paragraph))
    if font:
        result.addElement(style.TextProperties(**font))
    return result


def _list_style(name: str, *, ordered: bool) -> text.ListStyle:
    """Bullets or numbers, three levels deep, each level indented 0.6 cm more."""
    result = text.ListStyle(name=name, displayname="Numbering 123" if ordered else "List Bullet")
    for level in range(1, 4):
        if ordered:
            level_style = text.ListLevelStyleNumber(level=str(level), numformat="1", numsuffix=".")
        else:
            level_style = text.ListLevelStyleBullet(level=str(level), bulletchar="•–◦"[level - 1])
        level_style.addElement(
            style.ListLevelProperties(
                spacebefore=f"{0.6 * (level - 1):.1f}cm", minlabelwidth="0.6cm"
            )
        )
        result.addElement(level_style)
    return result


def _styles(doc: OpenDocumentText, footer: str) -> style.Style:
    """Named styles (the editor's own names), page layout with its footer, automatic styles."""
    for name, generic, pitch in ((FONT, "swiss", "variable"), (MONO_FONT, "modern", "fixed")):
        doc.fontfacedecls.addElement(
            style.FontFace(
                name=name, fontfamily=f"'{name}'", fontfamilygeneric=generic, fontpitch=pitch
            )
        )
    default = style.DefaultStyle(family="paragraph")
    default.addElement(
        style.TextProperties(
            fontname=FONT, fontsize="10pt", language="fr", country="FR", hyphenate="false"
        )
    )
    doc.styles.addElement(default)
    named = [
        _paragraph_style("Standard", "Default Paragraph Style"),
        _paragraph_style(
            "Text_20_body",
            "Text body",
            parent="Standard",
            paragraph={"margintop": "0cm", "marginbottom": "0.2cm"},
        ),
        _paragraph_style(
            "Heading",
            "Heading",
            parent="Standard",
            next_style="Text_20_body",
            paragraph={"margintop": "0.45cm", "marginbottom": "0.2cm", "keepwithnext": "always"},
            font={"fontweight": "bold", "color": "#1d4e89"},
        ),
        _paragraph_style(
            "Title",
            "Title",
            parent="Heading",
            paragraph={"textalign": "start", "margintop": "3cm", "marginbottom": "0.6cm"},
            font={"fontsize": "24pt"},
        ),
        _paragraph_style(
            "Subtitle",
            "Subtitle",
            parent="Heading",
            font={"fontsize": "14pt", "fontweight": "normal", "color": "#1a1a1a"},
        ),
        _paragraph_style(
            "Heading_20_1", "Heading 1", parent="Heading", outline=1, font={"fontsize": "18pt"}
        ),
        _paragraph_style(
            "Heading_20_2", "Heading 2", parent="Heading", outline=2, font={"fontsize": "14pt"}
        ),
        _paragraph_style(
            "Heading_20_3", "Heading 3", parent="Heading", outline=3, font={"fontsize": "11pt"}
        ),
        _paragraph_style(
            "Caption",
            "Caption",
            parent="Standard",
            paragraph={"margintop": "0.3cm", "marginbottom": "0.1cm", "keepwithnext": "always"},
            font={"fontstyle": "italic", "fontsize": "9pt"},
        ),
        _paragraph_style(
            "Table_20_Contents", "Table Contents", parent="Standard", font={"fontsize": "9pt"}
        ),
        _paragraph_style(
            "Table_20_Heading",
            "Table Heading",
            parent="Table_20_Contents",
            font={"fontweight": "bold"},
        ),
        _paragraph_style(
            "Footer", "Footer", parent="Standard", font={"fontsize": "8pt", "color": "#4a4a4a"}
        ),
    ]
    named += [
        _paragraph_style(
            "Quotations",
            "Quotations",
            parent="Text_20_body",
            paragraph={"marginleft": "1cm", "marginright": "1cm"},
            font={"fontstyle": "italic"},
        ),
        _paragraph_style(
            "Preformatted_20_Text",
            "Preformatted Text",
            parent="Standard",
            font={"fontname": MONO_FONT, "fontsize": "9pt"},
        ),
    ]
    for name, display, properties in (
        ("Strong_20_Emphasis", "Strong Emphasis", {"fontweight": "bold"}),
        ("Emphasis", "Emphasis", {"fontstyle": "italic"}),
        ("Source_20_Text", "Source Text", {"fontname": MONO_FONT}),
    ):
        character = style.Style(name=name, displayname=display, family="text")
        character.addElement(style.TextProperties(**properties))
        named.append(character)
    named += [_list_style("Bullets", ordered=False), _list_style("Numbers", ordered=True)]
    for item in named:
        doc.styles.addElement(item)
    # The outline: each level points at its heading style (no numbering), as LibreOffice writes it.
    outline = text.OutlineStyle(name="Outline")
    for level in range(1, 4):
        outline.addElement(text.OutlineLevelStyle(level=str(level), numformat=""))
    doc.styles.addElement(outline)

    layout = style.PageLayout(name="A4")
    layout.addElement(
        style.PageLayoutProperties(
            pagewidth="21cm",
            pageheight="29.7cm",
            printorientation="portrait",
            margintop="1.8cm",
            marginbottom="1.5cm",
            marginleft="2cm",
            marginright="2cm",
        )
    )
    footer_layout = style.FooterStyle()
    footer_layout.addElement(style.HeaderFooterProperties(minheight="0.6cm", margintop="0.3cm"))
    layout.addElement(footer_layout)
    doc.automaticstyles.addElement(layout)
    master = style.MasterPage(name="Standard", pagelayoutname=layout)
    page_footer = style.Footer()
    line = text.P(stylename="Footer", text=f"{footer} · " if footer else "")
    line.addElement(text.PageNumber(selectpage="current", text="1"))
    line.addText(" / ")
    line.addElement(text.PageCount(text="1"))
    page_footer.addElement(line)
    master.addElement(page_footer)
    doc.masterstyles.addElement(master)

    automatic = [
        # A chapter starts a new page (automatic style: the editor sees "Heading 1").
        _paragraph_style(
            "H1Page", "H1Page", parent="Heading_20_1", paragraph={"breakbefore": "page"}
        ),
        _paragraph_style(
            "Number", "Number", parent="Table_20_Contents", paragraph={"textalign": "end"}
        ),
        _paragraph_style(
            "NumberHeading",
            "NumberHeading",
            parent="Table_20_Heading",
            paragraph={"textalign": "end"},
        ),
        # Wide tables (the QPV side by side, the questions): a smaller type, so that the headers'
        # long words fit their column.
        _paragraph_style("Small", "Small", parent="Table_20_Contents", font={"fontsize": "7.5pt"}),
        _paragraph_style(
            "SmallHeading", "SmallHeading", parent="Table_20_Heading", font={"fontsize": "7.5pt"}
        ),
        _paragraph_style(
            "SmallNumber",
            "SmallNumber",
            parent="Table_20_Contents",
            paragraph={"textalign": "end"},
            font={"fontsize": "7.5pt"},
        ),
        _paragraph_style(
            "SmallNumberHeading",
            "SmallNumberHeading",
            parent="Table_20_Heading",
            paragraph={"textalign": "end"},
            font={"fontsize": "7.5pt"},
        ),
        _paragraph_style("Chart", "Chart", parent="Standard", paragraph={"textalign": "center"}),
        _paragraph_style(
            "Definition",
            "Definition",
            parent="Text_20_body",
            paragraph={"marginleft": "0.6cm", "marginbottom": "0.25cm"},
        ),
        _paragraph_style(
            "Term",
            "Term",
            parent="Text_20_body",
            paragraph={"margintop": "0.3cm", "marginbottom": "0.05cm", "keepwithnext": "always"},
            font={"fontweight": "bold"},
        ),
    ]
    cell = style.Style(name="Cell", family="table-cell")
    cell.addElement(style.TableCellProperties(padding="0.08cm", border="0.5pt solid #b0b0b0"))
    head_cell = style.Style(name="HeadCell", family="table-cell")
    head_cell.addElement(
        style.TableCellProperties(
            padding="0.08cm", border="0.5pt solid #b0b0b0", backgroundcolor="#e8eef6"
        )
    )
    frame = style.Style(name="ChartFrame", family="graphic")
    frame.addElement(
        style.GraphicProperties(
            wrap="none", verticalpos="top", horizontalpos="center", horizontalrel="paragraph"
        )
    )
    for item in [*automatic, cell, head_cell, frame]:
        doc.automaticstyles.addElement(item)
    # A frame names its style by the element (odfpy reads the family from it).
    return frame


# Writing helpers ---------------------------------------------------------------------------------


class Writer:
    """The document being written, and the few shapes it is made of."""

    def __init__(self, title: str, footer: str) -> None:
        self.doc = OpenDocumentText()
        self.doc.meta.addElement(dc.Title(text=title))
        self.doc.meta.addElement(dc.Language(text="fr-FR"))
        self._frame_style = _styles(self.doc, footer)
        self._tables = 0
        self._charts = 0

    def add(self, element: Element) -> None:
        self.doc.text.addElement(element)

    def heading(self, level: int, content: str, *, new_page: bool = False) -> None:
        name = "H1Page" if new_page and level == 1 else f"Heading_20_{level}"
        self.add(text.H(outlinelevel=str(level), stylename=name, text=content))

    def paragraph(self, content: str = "", style_name: str = "Text_20_body") -> text.P:
        paragraph = text.P(stylename=style_name, text=content)
        self.add(paragraph)
        return paragraph

    def labelled(self, label: str, content: str, style_name: str = "Text_20_body") -> None:
        """A paragraph whose first words are bold ("Vous avez dit : …")."""
        paragraph = text.P(stylename=style_name)
        paragraph.addElement(text.Span(stylename="Strong_20_Emphasis", text=label))
        paragraph.addText(" " + content)
        self.add(paragraph)

    def table(
        self,
        caption: str,
        columns: Sequence[str],
        rows: Iterable[tuple[str, Sequence[str]]],
        *,
        total: tuple[str, Sequence[str]] | None = None,
        numeric: int | None = None,
        widths: Sequence[float] | None = None,
    ) -> None:
        """A captioned table: a header row (repeated on each page), rows of a label then cells.

        `numeric`: how many cells after the label are figures, aligned to the right (None: all;
        the others are text). `total`: a last row in bold. `widths`: of the columns, in cm.
        """
        if caption:
            self.paragraph(caption, "Caption")
        self._tables += 1
        count = len(columns)
        name = f"Table{self._tables}"
        table_style = style.Style(name=name, family="table")
        table_style.addElement(
            style.TableProperties(width=f"{TEXT_WIDTH_CM}cm", align="margins", margintop="0cm")
        )
        self.doc.automaticstyles.addElement(table_style)
        # The first column (labels) gets as much room as two figures' columns.
        if widths is None:
            unit = TEXT_WIDTH_CM / (count + 1) if count > 2 else TEXT_WIDTH_CM / 3
            widths = [TEXT_WIDTH_CM - unit * (count - 1), *([unit] * (count - 1))]
        element = table.Table(name=name, stylename=table_style)
        for index, width in enumerate(widths):
            column_style = style.Style(name=f"{name}.C{index}", family="table-column")
            column_style.addElement(style.TableColumnProperties(columnwidth=f"{width:.2f}cm"))
            self.doc.automaticstyles.addElement(column_style)
            element.addElement(table.TableColumn(stylename=column_style))
        small = count > WIDE_TABLE_COLUMNS
        header = table.TableHeaderRows()
        header.addElement(
            self._row(columns[0], columns[1:], heading=True, numeric=numeric, small=small)
        )
        element.addElement(header)
        for label, cells in rows:
            element.addElement(self._row(label, cells, numeric=numeric, small=small))
        if total is not None:
            element.addElement(
                self._row(total[0], total[1], numeric=numeric, bold=True, small=small)
            )
        self.add(element)

    def _row(
        self,
        label: str,
        cells: Sequence[str],
        *,
        heading: bool = False,
        numeric: int | None = None,
        bold: bool = False,
        small: bool = False,
    ) -> Element:
        row = table.TableRow()
        cell_style = "HeadCell" if heading else "Cell"
        strong = heading or bold
        if small:
            label_style = "SmallHeading" if strong else "Small"
            number_style = "SmallNumberHeading" if strong else "SmallNumber"
        else:
            label_style = "Table_20_Heading" if strong else "Table_20_Contents"
            number_style = "NumberHeading" if strong else "Number"
        first = table.TableCell(stylename=cell_style, valuetype="string")
        first.addElement(text.P(stylename=label_style, text=str(label)))
        row.addElement(first)
        for index, value in enumerate(cells):
            name = number_style if numeric is None or index < numeric else label_style
            cell = table.TableCell(stylename=cell_style, valuetype="string")
            cell.addElement(text.P(stylename=name, text=str(value)))
            row.addElement(cell)
        return row

    def chart(self, chart: Any) -> None:
        """A chart of the context (title, uri: an SVG data URI, alt) as a PNG picture."""
        uri = getattr(chart, "uri", "")
        prefix = "data:image/svg+xml;base64,"
        if not uri.startswith(prefix):
            return
        png = svg_to_png(base64.b64decode(uri[len(prefix) :]))
        width, height = png_size(png)
        self._charts += 1
        href = self.doc.addPicture(f"Pictures/chart-{self._charts}.png", "image/png", png)
        shown_height = TEXT_WIDTH_CM * height / width
        frame = draw.Frame(
            name=f"Chart{self._charts}",
            stylename=self._frame_style,
            anchortype="as-char",
            width=f"{TEXT_WIDTH_CM}cm",
            height=f"{shown_height:.2f}cm",
        )
        frame.addElement(draw.Image(href=href, type="simple", show="embed", actuate="onLoad"))
        frame.addElement(svg.Title(text=str(getattr(chart, "title", ""))))
        frame.addElement(svg.Desc(text=str(getattr(chart, "alt", ""))))
        paragraph = text.P(stylename="Chart")
        paragraph.addElement(frame)
        self.add(paragraph)

    def content(self) -> bytes:
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()


def svg_to_png(content: bytes) -> bytes:
    """The PNG of a chart's SVG. CairoSVG loads nothing but data: URIs unless told (unsafe=False)."""
    # Imported here: only the worker renders reports.
    import cairosvg

    png = cairosvg.svg2png(bytestring=content, scale=CHART_SCALE, unsafe=False)
    assert isinstance(png, bytes)
    return png


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels, from the PNG header (IHDR)."""
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def _figure_rows(figures: Iterable[Any]) -> list[tuple[str, list[str]]]:
    return [(str(figure.label), [str(figure.value)]) for figure in figures]


# The parts, in the order of the PDF ----------------------------------------------------------------


def cover(writer: Writer, context: dict) -> None:
    report = context.get("report")
    kicker = " — ".join(
        part for part in (context.get("contract"), context.get("territory")) if part
    )
    if kicker:
        writer.paragraph(kicker, "Subtitle")
    writer.paragraph(_("Action sheet T1.1 “Citizen participation”"), "Subtitle")
    writer.paragraph(_("Residents' participation: evaluation report"), "Title")
    if report is not None and getattr(report, "scheduled", False):
        writer.paragraph(_("Annual report for the Plenary Assembly"), "Subtitle")
    else:
        writer.paragraph(_("Report for the Plenary Assembly"), "Subtitle")
    facts = []
    scope = context.get("scope")
    if scope is not None:
        facts.append((_("Territory"), str(scope.label)))
    period = context.get("period")
    if period is not None:
        facts.append((_("Period"), f"{period.label} ({context.get('period_text', '')})"))
    if context.get("qpv_names"):
        facts.append((_("Neighbourhoods (QPV)"), ", ".join(context["qpv_names"])))
    if context.get("generated_text"):
        facts.append((_("Generated on"), context["generated_text"]))
    for label, value in facts:
        writer.labelled(_("%(label)s:") % {"label": label}, value)
    writer.paragraph(
        _(
            "Every figure of this report is an aggregate computed from the database of the "
            "portal Quartiers en dialogue; no resident can be identified. The definitions are in "
            "the annex."
        )
    )


def editorial(writer: Writer, context: dict) -> None:
    """The written parts (synthèse, faits marquants…) before the figures, as in the PDF: items
    {kind, title, html} (evaluation.pdf.editorial), their sanitised HTML as paragraphs and lists."""
    parts = [part for part in context.get("editorial") or () if _attribute(part, "html")]
    if not parts:
        return
    writer.heading(1, _("Analysis and outlook"), new_page=True)
    published = getattr(context.get("report"), "text_published_at", None)
    if published is not None:
        day = date_format(timezone.localtime(published), "j F Y")
        writer.paragraph(_("Texts published on %(day)s.") % {"day": day})
    for part in parts:
        writer.heading(2, str(_attribute(part, "title") or ""))
        for element in html_to_odf(str(_attribute(part, "html"))):
            writer.add(element)


def _attribute(item: Any, name: str) -> Any:
    if isinstance(item, dict):
        return item.get(name)
    return getattr(item, name, None)


def _target_text(figure: Any) -> str:
    target = getattr(figure, "target", None)
    if target is None:
        return ""
    return "; ".join([str(target.text), *(str(note) for note in getattr(target, "notes", ()))])


def _progress_text(figure: Any) -> str:
    progress = getattr(figure, "progress", None)
    return "" if progress is None else str(progress.text)


def _trend_text(figure: Any) -> str:
    """Arrow AND words ("▲ en hausse de 12 % par rapport à 2025 (41)"), never the arrow alone."""
    trend = getattr(figure, "trend", None)
    if trend is None or not getattr(trend, "text", ""):
        return ""
    return " ".join(part for part in (getattr(trend, "arrow", ""), str(trend.text)) if part)


# Columns of the key figures beyond label and value (evaluation.targets.KeyFigure: target,
# progress, trend), each shown when one figure at least has something to say in it.
KEY_FIGURE_EXTRAS: tuple[tuple[Callable[[], str], Callable[[Any], str], float], ...] = (
    (lambda: _("Target"), _target_text, 2.6),
    (lambda: _("Progress"), _progress_text, 3.2),
    (lambda: _("Change over a year"), _trend_text, 4.0),
)


def key_figure_table(writer: Writer, figures: Sequence[Any]) -> None:
    """Label and value of each key figure, then its target, progress and trend if any."""
    extras = [
        (header, read, width)
        for header, read, width in KEY_FIGURE_EXTRAS
        if any(read(figure) for figure in figures)
    ]
    value_width = 2.2
    label_width = TEXT_WIDTH_CM - value_width - sum(width for _h, _r, width in extras)
    writer.table(
        "",
        [_("Indicator"), _("Value"), *(header() for header, _r, _w in extras)],
        [
            (str(figure.label), [str(figure.value), *(read(figure) for _h, read, _w in extras)])
            for figure in figures
        ],
        numeric=1,
        widths=[label_width, value_width, *(width for _h, _r, width in extras)],
    )


def key_figures(writer: Writer, context: dict) -> None:
    figures = list(context.get("key_figures") or ())
    if not figures:
        return
    writer.heading(1, _("Summary of key figures"), new_page=True)
    key_figure_table(writer, figures)


def evolution(writer: Writer, context: dict) -> None:
    """The territory's charts by quarter with their tables, then the QPV side by side."""
    quarters = context.get("quarters")
    attendance = context.get("attendance_chart")
    if quarters is not None and attendance is not None:
        writer.heading(2, _("Evolution by quarter"))
        writer.chart(attendance)
        writer.table(attendance.title, [_("Quarter"), *quarters.columns], quarters.rows)
    feedback = context.get("feedback_chart")
    if feedback is not None and context.get("feedback_rows") is not None:
        writer.chart(feedback)
        writer.table(
            feedback.title,
            [_("Quarter"), *context.get("feedback_columns", [])],
            context["feedback_rows"],
        )
    comparison = context.get("comparison")
    if comparison:
        writer.heading(2, _("The neighbourhoods side by side"))
        writer.chart(comparison["chart"])
        writer.table(
            _("Key figures by neighbourhood"),
            [_("QPV"), *comparison["columns"]],
            comparison["rows"],
        )


def family_tables(writer: Writer, families: Iterable[tuple[str, Iterable[Any]]]) -> None:
    for family_label, family_figures in families:
        writer.table(str(family_label), [_("Indicator"), _("Value")], _figure_rows(family_figures))


def territory_indicators(writer: Writer, context: dict) -> None:
    if context.get("families"):
        writer.heading(2, _("Every indicator of the territory"))
        family_tables(writer, context["families"])


def qpv_section(writer: Writer, section: Any) -> None:
    qpv = section.qpv
    writer.heading(1, f"{qpv.name} ({qpv.commune.name})", new_page=True)
    key_figure_table(writer, list(section.figures))
    writer.chart(section.chart)
    writer.table(
        section.chart.title, [_("Quarter"), *section.quarters.columns], section.quarters.rows
    )
    writer.heading(2, _("Every indicator — %(qpv)s") % {"qpv": qpv.name})
    family_tables(writer, section.families)


def qpv_sections(writer: Writer, context: dict) -> None:
    for section in context.get("sections") or ():
        qpv_section(writer, section)


def transparency(writer: Writer, context: dict) -> None:
    if context.get("transparency_total") is None:
        return
    writer.heading(1, _("Transparency of questions and answers"), new_page=True)
    writer.paragraph(
        _(
            "Accepted questions received in the period (the cohort), and what became of them: "
            "answered at any time up to the day of the report, answered within the due date, still "
            "open, overdue. Delays are calendar days between reception and answer."
        )
    )
    columns = [
        _("Territory"),
        pgettext("questions table", "Received"),
        pgettext("questions table", "Answered"),
        pgettext("questions table", "Share answered"),
        pgettext("questions table", "Share answered within the due date"),
        pgettext("questions table", "Median delay"),
        pgettext("questions table", "90th percentile delay"),
        pgettext("questions table", "Still open"),
        pgettext("questions table", "Overdue"),
    ]
    rows = context.get("transparency_rows") or []
    scope = context.get("scope")
    writer.table(
        _("Questions of the period and their answers"),
        columns,
        rows if len(rows) > 1 else [],
        total=(str(scope.label) if scope is not None else "", context["transparency_total"]),
    )


def highlights(writer: Writer, context: dict) -> None:
    if "records" not in context and "projects" not in context:
        return
    writer.heading(1, _("Highlights"))
    writer.heading(2, _("“You said, we did”"))
    if context.get("record_counts"):
        writer.table("", [_("Indicator"), _("Value")], _figure_rows(context["record_counts"]))
    limit = context.get("text_limit") or 320
    records = context.get("records") or []
    for record in records:
        meta = [
            record.get_outcome_display(),
            record.qpv.name,
            date_format(record.decided_on, "j F Y"),
        ]
        if record.institution_id:
            meta.append(record.institution.name)
        writer.paragraph(" · ".join(str(part) for part in meta), "Term")
        writer.labelled(_("You said:"), Truncator(record.said).chars(limit), "Definition")
        writer.labelled(_("We did:"), Truncator(record.what_was_done).chars(limit), "Definition")
        if record.reason:
            writer.labelled(_("Why:"), Truncator(record.reason).chars(limit), "Definition")
    if not records:
        writer.paragraph(_("No record of what residents said was decided in this period."))
    writer.heading(2, _("Projects that reached co-construction or beyond"))
    if context.get("projects_figure") is not None:
        writer.table("", [_("Indicator"), _("Value")], _figure_rows([context["projects_figure"]]))
    projects = context.get("projects") or []
    if projects:
        writer.table(
            _("Projects with a step at co-construction or co-decision in the period"),
            [_("Project"), _("QPV"), _("Highest level in the period"), _("Current stage")],
            [
                (
                    project.title,
                    [
                        project.qpv.name,
                        _("Co-decision") if project.level == 5 else _("Co-construction"),
                        project.get_stage_display(),
                    ],
                )
                for project in projects
            ],
            numeric=0,
        )
    else:
        writer.paragraph(_("No project reached co-construction in this period."))


def annex(writer: Writer, context: dict) -> None:
    """The definitions: each indicator's label and definition in words (never its code)."""
    definitions = context.get("definitions")
    if not definitions:
        return
    writer.heading(1, _("Annex: definitions of the indicators"), new_page=True)
    writer.paragraph(
        _(
            "A period is a pair of Paris calendar dates, both included. A scope is the metropole, a "
            "commune (its QPV) or one QPV; a meeting, a speaking turn or a feedback answer belongs "
            "to the QPV of its dialogue space. Counts of an empty scope or period are 0; averages, "
            "shares and medians with nothing to average are shown as “–” (no data)."
        )
    )
    for family_label, indicators in definitions:
        writer.heading(2, str(family_label))
        for indicator in indicators:
            writer.paragraph(str(indicator.label), "Term")
            writer.paragraph(str(indicator.definition), "Definition")


# The parts in the order of the document; the lead may insert more (they read the context only).
PARTS: tuple[Callable[[Writer, dict], None], ...] = (
    cover,
    editorial,
    key_figures,
    evolution,
    territory_indicators,
    qpv_sections,
    transparency,
    highlights,
    annex,
)


def render_report_odt(context: dict) -> bytes:
    """The ODT of a report's context (`evaluation.pdf.build_context`), in the active language."""
    footer = " · ".join(
        part
        for part in (
            _("Data %(period_text)s") % {"period_text": context["period_text"]}
            if context.get("period_text")
            else "",
            _("generated on %(generated_text)s") % {"generated_text": context["generated_text"]}
            if context.get("generated_text")
            else "",
        )
        if part
    )
    writer = Writer(str(context.get("title", "")), footer)
    for part in PARTS:
        part(writer, context)
    return writer.content()
