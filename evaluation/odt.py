"""The editable copy of a report: an OpenDocument text (ODT) that a delegate edits in LibreOffice.

It is built from the SAME context as the PDF (`evaluation.pdf.build_context`), in the same worker
build, so every figure is the PDF's string, formatted once. Nothing is computed here: each part
below reads a few keys of the context and writes them, in the PDF's order; a key that is absent
(an older context, a part another change has not added yet) is skipped, never an error. The
document itself (styles, tables, chart pictures) is `evaluation.odt_writer`; the written parts'
HTML becomes paragraphs in `evaluation.odt_html`.

Why odfpy rather than an ODT template: the document is a sequence of tables of varying shapes
(one section per QPV, one table per family), which a template would have to express as loops in
XML; built in Python, each part is a small function with its typed inputs, and odfpy checks the
elements against the OpenDocument schema as they are added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from evaluation.odt_html import html_to_odf
from evaluation.odt_writer import MEDIA_TYPE, TEXT_WIDTH_CM, Writer
from participation.dates import date_format

__all__ = ["MEDIA_TYPE", "PARTS", "render_report_odt"]


def _figure_rows(figures: Iterable[Any]) -> list[tuple[str, list[str]]]:
    return [(str(figure.label), [str(figure.value)]) for figure in figures]


# Marks a column whose figures do not add up across the QPV rows (as the PDF does).
NOT_ADDITIVE_MARK = " †"


def _column(column: Any, additive: bool = True) -> str:
    """A column header: a string, or an object with a label and whether it adds up."""
    label = str(getattr(column, "label", column))
    if not additive or getattr(column, "additive", True) is False:
        label += NOT_ADDITIVE_MARK
    return label


def _labelled_line(label: Any, sentence: Any) -> str:
    return _("%(label)s:") % {"label": label} + f" {sentence}"


def not_additive_legend(writer: Writer, explanations: Iterable[tuple[Any, Any]] = ()) -> None:
    """Under a table with per-QPV rows: what † means, and the sentences of paradoxical figures."""
    writer.paragraph(
        _(
            "† Does not add up across neighbourhoods: the figure of a territory is not the sum "
            "of its neighbourhoods' (distinct people, shares, averages, medians)."
        ),
        "Note",
    )
    for label, sentence in explanations:
        writer.paragraph(_labelled_line(label, sentence), "Note")


def partial_note(writer: Writer, partial: Iterable[Any]) -> None:
    """Under a table by quarter: the quarters cut by the period or by the day of the build."""
    for quarter in partial or ():
        writer.paragraph(
            _(
                "%(quarter)s: %(dates)s only (quarter cut by the period or by the day the "
                "figures were computed)."
            )
            % {"quarter": quarter.quarter_label, "dates": quarter.dates_text},
            "Note",
        )


def quarter_table(writer: Writer, caption: str, quarters: Any) -> None:
    writer.table(caption, [_("Quarter"), *quarters.columns], quarters.rows)
    partial_note(writer, getattr(quarters, "partial", ()))


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
    if context.get("data_as_of"):
        writer.paragraph(f"{context['data_as_of']}.")
    if period is not None and getattr(period, "is_cut", False):
        writer.paragraph(
            _(
                "The period is not over (it ends on %(planned)s): the figures stop today and the "
                "last quarter is partial."
            )
            % {"planned": date_format(period.planned_end, "j F Y")}
        )
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
    # The sentences of the figures that look paradoxical by construction, as under the PDF's tiles.
    for figure in figures:
        if getattr(figure, "explanation", ""):
            writer.paragraph(f"{figure.label} — {figure.explanation}")


def evolution(writer: Writer, context: dict) -> None:
    """The territory's charts by quarter with their tables, then the QPV side by side."""
    quarters = context.get("quarters")
    attendance = context.get("attendance_chart")
    if quarters is not None and attendance is not None:
        writer.heading(2, _("Evolution by quarter"))
        writer.chart(attendance)
        quarter_table(writer, attendance.title, quarters)
    feedback = context.get("feedback_chart")
    if feedback is not None and context.get("feedback_rows") is not None:
        writer.chart(feedback)
        writer.table(
            feedback.title,
            [_("Quarter"), *context.get("feedback_columns", [])],
            context["feedback_rows"],
        )
        partial_note(writer, context.get("quarter_series_partial") or ())
    comparison = context.get("comparison")
    if comparison:
        writer.heading(2, _("The neighbourhoods side by side"))
        writer.chart(comparison["chart"])
        writer.table(
            _("Key figures by neighbourhood"),
            [_("QPV"), *(_column(column) for column in comparison["columns"])],
            comparison["rows"],
        )
        if any(getattr(column, "additive", True) is False for column in comparison["columns"]):
            not_additive_legend(writer, comparison.get("explanations") or ())


def family_tables(writer: Writer, families: Iterable[tuple[str, Iterable[Any]]]) -> None:
    for family_label, family_figures in families:
        family_figures = list(family_figures)
        writer.table(str(family_label), [_("Indicator"), _("Value")], _figure_rows(family_figures))
        # An indicator that looks paradoxical by construction has its sentence under the table.
        for figure in family_figures:
            if getattr(figure, "explanation", ""):
                writer.paragraph(_labelled_line(figure.label, figure.explanation), "Note")


def territory_indicators(writer: Writer, context: dict) -> None:
    if context.get("families"):
        writer.heading(2, _("Every indicator of the territory"))
        family_tables(writer, context["families"])


def qpv_section(writer: Writer, section: Any) -> None:
    qpv = section.qpv
    writer.heading(1, f"{qpv.name} ({qpv.commune.name})", new_page=True)
    key_figure_table(writer, list(section.figures))
    writer.chart(section.chart)
    quarter_table(writer, section.chart.title, section.quarters)
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
    additive = context.get("transparency_columns_additive")
    if additive:
        columns = [columns[0], *(_column(c, a) for c, a in zip(columns[1:], additive, strict=True))]
    rows = context.get("transparency_rows") or []
    scope = context.get("scope")
    writer.table(
        _("Questions of the period and their answers"),
        columns,
        rows if len(rows) > 1 else [],
        total=(str(scope.label) if scope is not None else "", context["transparency_total"]),
    )
    if additive and not all(additive):
        not_additive_legend(writer)


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
    for paragraph in context.get("annex_intro", ()):
        writer.paragraph(paragraph)
    for family_label, indicators in definitions:
        writer.heading(2, str(family_label))
        for indicator in indicators:
            writer.paragraph(str(indicator.label), "Term")
            writer.paragraph(str(indicator.definition), "Definition")
            if getattr(indicator, "sources", ""):
                sources = _("Source: %(sources)s.") % {"sources": indicator.sources}
                writer.paragraph(sources, "Definition")
            if getattr(indicator, "additive", True) is False:
                writer.paragraph(_("Does not add up across neighbourhoods."), "Definition")
            if getattr(indicator, "explanation", ""):
                writer.paragraph(str(indicator.explanation), "Definition")


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


def footer_text(context: dict) -> str:
    """The data period and when the figures were taken, as the PDF's running footer."""
    if context.get("data_as_of"):
        period_text = capfirst(context.get("period_text", ""))
        period = context.get("period")
        if period is not None and getattr(period, "is_cut", False):
            period_text += f" ({period.progress_text})"
        return " · ".join(part for part in (period_text, context["data_as_of"]) if part)
    return " · ".join(
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


def render_report_odt(context: dict) -> bytes:
    """The ODT of a report's context (`evaluation.pdf.build_context`), in the active language."""
    writer = Writer(str(context.get("title", "")), footer_text(context))
    for part in PARTS:
        part(writer, context)
    return writer.content()
