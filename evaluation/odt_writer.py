"""The ODT document of a report being written (odfpy): its styles, tables and chart pictures.

The styles are the word processor's own, so that an editor finds what they expect: "Title",
"Heading 1" to "Heading 3" with their outline levels (the navigator and a table of contents list
them), "Text body", "Table Contents" / "Table Heading", "Caption", "Quotations", "Strong Emphasis";
each table repeats its header row on every page. Charts are PNG pictures rendered from the
dashboard's SVG by CairoSVG (pygal's own PNG back end), each with its title and text alternative:
PNG is the one picture format that every office suite shows and prints alike. CairoSVG loads
nothing but data: URIs (unsafe=False), like the PDF's URL fetcher.
"""

from __future__ import annotations

import base64
import io
import struct
from collections.abc import Iterable, Sequence
from typing import Any

from odf import dc, draw, style, svg, table, text
from odf.element import Element
from odf.opendocument import OpenDocumentText

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
            "Note",
            "Note",
            parent="Standard",
            paragraph={"margintop": "0.05cm", "marginbottom": "0.15cm"},
            font={"fontsize": "7.5pt", "color": "#333333"},
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
