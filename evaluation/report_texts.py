"""The written parts of a report (issue 19): synthesis, highlights, points of attention,
recommendations and next steps, printed in the PDF right after the cover, before the figures.

Who: a coordinator, or a referent of the report's commune, drafts them (`evaluation.draft_report_text`);
whoever reads the report may comment on them (`evaluation.comment_report`: the prefect's delegates
review them before publication).

The life of the texts (`Report.text_status`):

- DRAFT: the drafters write; the others see the last published version, if any, or nothing.
- REVIEW (submitted for review): everyone who reads the report sees the current text and may
  comment; the delegates who read it are told by email; the drafters may still correct it (it
  stays under review).
- PUBLISHED: each section's current text is copied into `published_html`, the only text the PDF
  prints, and the PDF is built again (same scope and period, the figures computed anew). Editing a
  published text returns it to DRAFT: the PDF keeps the published version until the next
  publication, so it never prints a text nobody reviewed.

The texts live in their own rows (ReportSection), never in the build: a retry or a rebuild of the
PDF keeps them. Markdown is rendered and sanitised once, at save, by qpv.markdown (nh3 allow-list),
with a narrower set of tags here: no headings (the PDF's own headings frame each section).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from evaluation import services
from evaluation.indicators import report_period
from evaluation.models import (
    Report,
    ReportComment,
    ReportSection,
    ReportStatus,
    SectionKind,
    TextStatus,
)
from evaluation.text_forms import ReportCommentForm
from participation.mail import absolute, queue_email, render_email
from participation.roles import Role
from qpv.markdown import render_markdown

if TYPE_CHECKING:
    from participation.models import User

DRAFT_PERM = "evaluation.draft_report_text"
COMMENT_PERM = "evaluation.comment_report"

_HEADING = re.compile(r"<h[23]>(.*?)</h[23]>", re.DOTALL)


class TextError(Exception):
    """A change of the texts' status that cannot be done; the message is for the user."""


def render_section(text: str) -> str:
    """Markdown → sanitised HTML (qpv.markdown); a heading becomes a bold paragraph."""
    return (
        _HEADING.sub(r"<p><strong>\1</strong></p>", render_markdown(text)) if text.strip() else ""
    )


# Reads ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShownSection:
    kind: str
    title: str
    html: str
    section: ReportSection | None


def sections_by_kind(report: Report) -> dict[str, ReportSection]:
    """The report's sections (one query), by kind."""
    return {section.kind: section for section in report.text_sections.select_related("updated_by")}


def shown_sections(report: Report, sections: dict[str, ReportSection], *, drafter: bool) -> list:
    """The sections the user reads on the report's page, in the printed order, empty ones left out.

    Drafters and, once the texts are submitted or published, every reader see the current text;
    while a new version is being drafted, the others see the published one.
    """
    current = drafter or report.text_status != TextStatus.DRAFT
    shown = []
    for kind, title in SectionKind.choices:
        section = sections.get(kind)
        html = "" if section is None else section.body_html if current else section.published_html
        if html:
            shown.append(ShownSection(kind=kind, title=str(title), html=html, section=section))
    return shown


def comments_of(report: Report) -> list[ReportComment]:
    return list(report.text_comments.select_related("author"))


def is_pdf_outdated(report: Report) -> bool:
    """A published text newer than the PDF: the PDF does not print it yet."""
    return (
        report.status == ReportStatus.READY
        and report.text_published_at is not None
        and report.generated_at is not None
        and report.text_published_at > report.generated_at
    )


def page_context(
    report: Report,
    user: User,
    *,
    comment_form: ReportCommentForm | None = None,
    text_error: str = "",
) -> dict:
    """What the report's page shows of the written parts (two queries: sections, comments).

    Context of templates/evaluation/includes/report_texts.html.
    """
    drafter = user.has_perm(DRAFT_PERM, report)
    commenter = user.has_perm(COMMENT_PERM, report)
    sections = sections_by_kind(report)
    return {
        "texts_drafter": drafter,
        "texts_commenter": commenter,
        "texts_shown": shown_sections(report, sections, drafter=drafter),
        # Readers who do not draft see a draft as "being drafted" (the published text, if any).
        "texts_newer_draft": not drafter
        and report.text_status == TextStatus.DRAFT
        and any(section.body_html != section.published_html for section in sections.values()),
        "texts_comments": comments_of(report) if commenter else [],
        "comment_form": comment_form or ReportCommentForm(),
        "text_error": text_error,
        "pdf_outdated": drafter and is_pdf_outdated(report),
        # A failed build has its own "Retry" in the status block.
        "rebuildable": drafter and report.status == ReportStatus.READY,
    }


# Writes ---------------------------------------------------------------------------------------------


def _require(user: User, perm: str, report: Report) -> None:
    if not user.has_perm(perm, report):
        raise PermissionDenied


@transaction.atomic
def report_sections_save(*, report: Report, by: User, bodies: dict[str, str]) -> list[str]:
    """Save the sections of `bodies` (kind → Markdown) whose text changed; returns their kinds.

    A change to published texts returns them to DRAFT (the PDF keeps the published version).
    """
    _require(by, DRAFT_PERM, report)
    locked = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    existing = {section.kind: section for section in locked.text_sections.all()}
    changed = []
    for kind in SectionKind.values:
        if kind not in bodies:
            continue
        body = bodies[kind]
        section = existing.get(kind)
        if section is None and not body.strip():
            continue
        if section is not None and section.body == body:
            continue
        section = section or ReportSection(report=locked, kind=kind)
        section.body = body
        section.body_html = render_section(body)
        section.updated_by = by
        section.save()
        changed.append(kind)
    if changed and locked.text_status == TextStatus.PUBLISHED:
        locked.text_status = TextStatus.DRAFT
        locked.save(update_fields=["text_status"])
    report.text_status = locked.text_status
    return changed


@transaction.atomic
def report_text_submit(*, report: Report, by: User) -> Report:
    """Submit the draft for review: the delegates read it and may comment."""
    _require(by, DRAFT_PERM, report)
    locked = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if locked.text_status != TextStatus.DRAFT:
        raise TextError(_("The texts are already submitted for review or published."))
    if not any(section.body_html for section in locked.text_sections.all()):
        raise TextError(_("Write at least one section before submitting the texts for review."))
    locked.text_status = TextStatus.REVIEW
    locked.save(update_fields=["text_status"])
    notify_reviewers(locked)
    return locked


def reviewers(report: Report) -> QuerySet[User]:
    """The prefect's delegates who read the report (as `is_delegate_for`): everywhere, of its
    commune, or of its QPV."""
    from participation.models import RoleAssignment
    from participation.models import User as UserModel

    wanted = Q(qpv__isnull=True, commune__isnull=True)
    commune_id = report.commune_id or (report.qpv.commune_id if report.qpv is not None else None)
    if commune_id:
        wanted |= Q(commune_id=commune_id)
    if report.qpv_id:
        wanted |= Q(qpv_id=report.qpv_id)
    holders = RoleAssignment.objects.filter(wanted, role=Role.DELEGATE).values("user_id")
    return UserModel.objects.filter(is_active=True, pk__in=holders).order_by("email")


def notify_reviewers(report: Report) -> int:
    """One email per delegate with the link to the report's page, once the transaction commits."""
    with translation.override("fr"):
        url = absolute(report.get_absolute_url())
        period = report_period(report)
        subject = _("Texts to review: report %(scope)s, %(period)s") % {
            "scope": report.scope_label,
            "period": period.label,
        }
        sent = 0
        for user in reviewers(report):
            context = {"name": user.get_short_name(), "report": report, "report_url": url}
            context["period_label"] = period.label
            queue_email(
                render_email(
                    "evaluation/emails/report_texts_review",
                    subject=subject,
                    to=user.email,
                    context=context,
                )
            )
            sent += 1
    return sent


@transaction.atomic
def report_text_publish(*, report: Report, by: User) -> bool:
    """Publish the current texts: the PDF will print them. Builds the PDF again when it is ready
    (or failed); a queued build prints them anyway; a running one read the texts when it started,
    and may have to be built again. Returns whether a build was queued."""
    _require(by, DRAFT_PERM, report)
    locked = Report.objects.select_for_update(of=("self",)).get(pk=report.pk)
    if locked.text_status == TextStatus.PUBLISHED:
        raise TextError(_("These texts are already published."))
    sections = list(locked.text_sections.all())
    if not any(section.body_html for section in sections):
        raise TextError(_("Write at least one section before publishing the texts."))
    for section in sections:
        if section.published_html != section.body_html:
            section.published_html = section.body_html
            section.save(update_fields=["published_html"])
    locked.text_status = TextStatus.PUBLISHED
    locked.text_published_at = timezone.now()
    locked.save(update_fields=["text_status", "text_published_at"])
    if services.is_rebuildable(locked):
        services.report_rebuild(report=locked, by=by)
        return True
    return False


@transaction.atomic
def report_comment_add(*, report: Report, by: User, kind: str, body: str) -> ReportComment:
    """A comment on one section (`kind`) or on the whole (`kind` empty)."""
    _require(by, COMMENT_PERM, report)
    return ReportComment.objects.create(report=report, kind=kind, author=by, body=body)
