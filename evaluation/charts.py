"""Server-side SVG charts of the indicators (pygal), shared by the dashboard and the PDF report.

The charts carry no JavaScript (pygal always adds a config <script>: removed here), a <title> and a
<desc> for assistive technologies, and print-safe colours: dark enough for a 4.5:1 contrast on
white, and each line series also has its own dash pattern so that it survives grey-scale printing.
Pages embed them with `data_uri()` in an <img> (the CSP forbids inline styles, pygal uses them) and
put the data table beside each chart.
"""

from __future__ import annotations

import base64
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

import pygal
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from pygal.style import Style

from evaluation.indicators import DECIMALS, Indicator

# Contrast on white ≥ 4.5:1 for every colour (checked in tests/evaluation/test_dashboard.py).
COLOURS = ("#1d4e89", "#a4480b", "#2e6b30", "#7b2d8e", "#b0112b", "#4a4a4a")
DASHES = ("", "8, 4", "2, 4", "12, 4, 2, 4", "4, 4", "1, 2")
FONT = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif"

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    opacity="1",
    opacity_hover="1",
    transition="none",
    colors=COLOURS,
    font_family=FONT,
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    value_label_font_size=13,
    tooltip_font_size=13,
    no_data_font_size=20,
    guide_stroke_color="#d0d0d0",
    guide_stroke_dasharray="none",
    major_guide_stroke_color="#b0b0b0",
    major_guide_stroke_dasharray="none",
)
# pygal's own CSS draws lines 1 px wide and 80 % opaque: too faint for print and low vision.
EXTRA_CSS = "inline:.series .line.reactive{stroke-width:3px !important;stroke-opacity:1 !important}"

UNIT_SUFFIX = {"percent": " %", "euros": " €"}


def format_value(
    value: float | int | None, unit: str = "count", decimals: int | None = None
) -> str:
    """A figure for people to read, in the active language (French: `1 234`, `45,2 %`), with
    exactly `decimals` decimals (by default the unit's, `indicators.DECIMALS`).

    Indicator values come rounded once by `computations` to their definition's decimals: this
    only writes them (a value with more decimals, like a chart tick, is rounded half up once).
    """
    if value is None:
        return "–"
    if decimals is None:
        decimals = DECIMALS.get(unit, 2)
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    rounded = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    text = number_format(rounded, decimal_pos=decimals, force_grouping=True)
    if unit == "euros":
        return text + "\N{NO-BREAK SPACE}€"
    if unit == "days":
        return text + "\N{NO-BREAK SPACE}" + _("d")
    if unit == "percent":
        return text + "\N{NO-BREAK SPACE}%"
    if unit == "score":
        return text + "\N{NO-BREAK SPACE}/\N{NO-BREAK SPACE}5"
    return text


def format_indicator(indicator: Indicator, value: float | int | None) -> str:
    """An indicator's value as every page and document prints it (its unit and decimals)."""
    return format_value(value, indicator.unit, indicator.decimals)


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _axis(series: Mapping[str, Sequence], unit: str) -> dict:
    """Readable axis ticks: whole numbers for counts (pygal would print 0.2 people), 1-5 for
    scores, 0-100 for percentages; tick labels without the unit (the title and table say it)."""
    values = [value for values in series.values() for value in values if value is not None]
    top = max(values, default=0)
    ticks: list[float]
    if unit == "score":
        ticks = [1, 2, 3, 4, 5]
    elif unit == "percent":
        ticks = [0, 20, 40, 60, 80, 100]
    else:
        step = _nice_step(top / 5) if top > 0 else 1
        if unit in ("count", "euros"):
            step = max(1, step)
        ticks = [step * index for index in range(math.ceil(max(top, 1) / step) + 1)]
    labels = [{"label": _tick_label(tick, unit), "value": tick} for tick in ticks]
    return {"y_labels": labels, "range": (ticks[0], ticks[-1])}


def _tick_label(tick: float, unit: str) -> str:
    if unit == "percent":
        return f"{tick}\N{NO-BREAK SPACE}%"
    if unit in ("count", "euros", "score"):
        return format_value(tick, "count", 0)
    return number_format(tick, decimal_pos=None if tick == int(tick) else 1, force_grouping=True)


def _config(title: str, unit: str, **extra) -> dict:
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "explicit_size": True,
        "show_legend": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 1,
        "truncate_legend": -1,
        "truncate_label": -1,
        "print_values": False,
        "no_data_text": _("No data"),
        "value_formatter": lambda value: format_value(value, unit),
        "margin": 16,
        "css": ("file://style.css", "file://graph.css", EXTRA_CSS),
        **extra,
    }


def text_alternative(title: str, series: Mapping[str, Sequence], labels: Sequence[str]) -> str:
    """A short text equivalent of a chart, for `alt`: what it shows; the table gives the values."""
    names = ", ".join(series)
    if not labels:
        return _("%(title)s: no data for this period.") % {"title": title}
    return _(
        "%(title)s, %(first)s to %(last)s (%(series)s). The values are in the table next to the chart."
    ) % {"title": title, "first": labels[0], "last": labels[-1], "series": names}


def _description(series: Mapping[str, Sequence], labels: Sequence[str], unit: str) -> str:
    """Every value of the chart in words, for the SVG <desc> (read when the SVG stands alone)."""
    parts = []
    for name, values in series.items():
        points = ", ".join(
            f"{label}: {format_value(value, unit)}"
            for label, value in zip(labels, values, strict=False)
        )
        parts.append(f"{name}: {points}.")
    return " ".join(parts)


def _tooltip_only(node) -> bool:
    """pygal's <script>, and the <desc class="value|x_label|x top|…"> of every dot that only that
    script reads (tooltips): nothing draws them, yet the PDF renderer and the ODT's PNG conversion
    parsed them (232 of the 430 nodes of a 7-year chart)."""
    tag = node.tag.rsplit("}", 1)[-1]
    return tag == "script" or (tag == "desc" and node.get("class") is not None)


def _accessible(title: str, description: str):
    """A pygal xml filter: drop the <script> and the tooltips' data, put <title> and <desc>
    first, label the root."""

    def apply(root):
        for parent in list(root.iter()):
            for child in list(parent):
                if isinstance(child.tag, str) and _tooltip_only(child):
                    parent.remove(child)
        chart_id = root.get("id", "chart")
        title_node = ET.Element("title", id=f"{chart_id}-title")
        title_node.text = title
        desc_node = ET.Element("desc", id=f"{chart_id}-desc")
        desc_node.text = description
        root.insert(0, desc_node)
        root.insert(0, title_node)
        root.set("role", "img")
        root.set("aria-labelledby", f"{chart_id}-title {chart_id}-desc")
        root.set("lang", "fr")
        return root

    return apply


def quarterly_chart(
    title: str,
    series: dict[str, list[float | None]],
    quarters: list[str],
    *,
    unit: str = "count",
    width: int = 640,
    height: int = 400,
) -> str:
    """A line chart of one or more series by quarter (labels like "T1 2024"); SVG markup."""
    description = _description(series, quarters, unit)
    chart = pygal.Line(
        **_config(
            title,
            unit,
            width=width,
            height=height,
            x_labels=quarters,
            x_label_rotation=35 if len(quarters) > 8 else 0,
            # Over three years the quarters' labels overlap: show one a year (the data table
            # beside the chart keeps every quarter).
            show_minor_x_labels=len(quarters) <= 12,
            x_labels_major_every=4 if len(quarters) > 12 else None,
            dots_size=4,
            # Room for the first quarter's label ("1er trimestre 2026"), centred on the y axis.
            margin_left=72,
            **_axis(series, unit),
        )
    )
    chart.add_xml_filter(_accessible(title, description))
    for index, (name, values) in enumerate(series.items()):
        dash = DASHES[index % len(DASHES)]
        stroke = {"width": 3, "dasharray": dash} if dash else {"width": 3}
        chart.add(name, list(values), stroke_style=stroke)
    return chart.render(is_unicode=True)


def comparison_chart(
    title: str,
    series: dict[str, list[float | None]],
    labels: list[str],
    *,
    unit: str = "count",
    width: int = 800,
    height: int | None = None,
) -> str:
    """Horizontal bars comparing places (one label per QPV), one bar colour per series; SVG."""
    description = _description(series, labels, unit)
    height = height or max(260, 110 + 26 * len(labels) * max(1, len(series)))
    chart = pygal.HorizontalBar(
        **_config(
            title,
            unit,
            width=width,
            height=height,
            **_axis(series, unit),
        )
    )
    chart.add_xml_filter(_accessible(title, description))
    # pygal draws the first label at the bottom: reverse so that the list reads top-down.
    chart.x_labels = list(reversed(labels))
    for name, values in series.items():
        chart.add(name, list(reversed(values)))
    return chart.render(is_unicode=True)


def data_uri(svg: str) -> str:
    """The SVG as a data: URI for <img src> (allowed by the CSP, unlike inline SVG styles)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def relative_luminance(colour: str) -> float:
    channels = []
    for index in (1, 3, 5):
        value = int(colour[index : index + 2], 16) / 255
        channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
    red, green, blue = channels
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_on_white(colour: str) -> float:
    return 1.05 / (relative_luminance(colour) + 0.05)
