"""The audit log of staff actions (DESIGN §2): who changed roles, questions, answers, projects,
grants and reports, and when. django-auditlog records the changes on save; the author is the
signed-in staff member of the request (participation.middleware.audit_actor, `staff_actor`).

It never holds residents' personal data (issue 20): their fields are logged by name only
(MASKED_VALUE), the rows holding them are not described, residents are never named as authors, and
the purge of guests' data and the deletion of an account rewrite the entries already written
(`audit_entries_scrub`, `audit_actor_forget`; participation migration 0004 did it once for the
entries written before).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from participation.roles import scopes_of

# What an entry stores instead of a resident's value: only that the field changed. The page shows
# it translated ("modifié"); an emptied field keeps its empty value (a purge reads "changed → —").
MASKED_VALUE = "changed"


class Audited:
    """A model in the audit log: the fields left out entirely, and the fields whose values are
    residents' personal data or free text, of which the log keeps only the name."""

    def __init__(self, label: str, *, excluded: Iterable[str] = (), masked: Iterable[str] = ()):
        self.label = label
        self.excluded = list(excluded)
        self.masked = frozenset(masked)


# Field by field (issue 20): the log says who did what to which row, never what a resident wrote
# or who they are. Kept: staff's texts (answers, reasons, report sections and comments, project
# steps' notes), amounts, dates, statuses, ids. A model with masked fields is also named in the log
# by its kind and number only (`object_repr` empty): its str() is a resident's text.
AUDITED_MODELS: list[Audited] = [
    # Ids and scopes of staff roles.
    Audited("participation.RoleAssignment"),
    # The invited professional's address is what the log is for (who was given access); the
    # digest of the link stays out, as a question's token.
    Audited("participation.Invitation", excluded=["token_hash"]),
    # The asker's name and email and the question itself (a guest's may never be moderated); the
    # token is a secret link. Staff's reasons for closing or not publishing are kept.
    Audited("questions.Question", excluded=["token"], masked=["text", "asker_name", "asker_email"]),
    Audited("questions.Answer"),
    Audited("questions.DueDateChange"),
    # A project may be a resident's idea: its title, summary and the carrier's name are theirs.
    Audited("projects.Project", masked=["title", "summary", "carrier_name"]),
    Audited("projects.ProjectStep"),
    # Written by a residents' collective: its contact person, what it asks and the budget's labels.
    # The referents' check (missing pieces) and the decision's reason are staff's.
    Audited(
        "projects.GrantApplication",
        masked=[
            "title",
            "description",
            "collective_name",
            "contact_name",
            "contact_email",
            "contact_phone",
            "budget_lines",
        ],
    ),
    Audited("projects.GrantPayment"),
    Audited("projects.FundEnvelope"),
    # Report files and progress are noise written by the worker.
    Audited("evaluation.Report", excluded=["file", "progress", "progress_label"]),
    Audited("evaluation.IndicatorTarget"),
    # The written parts of reports: the Markdown is logged, not its HTML renderings.
    Audited("evaluation.ReportSection", excluded=["body_html", "published_html"]),
    Audited("evaluation.ReportComment"),
]

MASKED_FIELDS: dict[str, frozenset[str]] = {
    audited.label.lower(): audited.masked for audited in AUDITED_MODELS if audited.masked
}


def masked_label(value: Any) -> str:
    """A masked field's stored value as the audit page shows it: "modifié", or empty."""
    if value is None or str(value) in ("", "None", "[]"):
        return ""
    return str(_("changed"))


def mask_value(value: str) -> str:
    """auditlog's mask callable: an empty value stays empty (set or cleared is not personal),
    any other becomes MASKED_VALUE."""
    return value if value in ("", "None", "[]") else MASKED_VALUE


def mask_changes(changes: Any, masked: frozenset[str]) -> Any:
    """An entry's `changes` with the masked fields' values replaced, whatever was stored."""
    if not isinstance(changes, dict):
        return changes
    return {
        field: (
            [mask_value(str(value)) if value is not None else value for value in values]
            if field in masked and isinstance(values, (list, tuple))
            else values
        )
        for field, values in changes.items()
    }


ACTION_LABELS = {
    LogEntry.Action.CREATE: _("Created"),
    LogEntry.Action.UPDATE: _("Changed"),
    LogEntry.Action.DELETE: _("Deleted"),
    LogEntry.Action.ACCESS: _("Exported or viewed"),
}


def register_models() -> None:
    for audited in AUDITED_MODELS:
        model = apps.get_model(audited.label)
        if not auditlog.contains(model):
            auditlog.register(
                model,
                exclude_fields=list(audited.excluded),
                mask_fields=sorted(audited.masked),
                mask_callable="participation.audit.mask_value",
            )
    models.signals.pre_save.connect(
        _neutral_object_repr, sender=LogEntry, dispatch_uid="participation.audit.repr"
    )
    models.signals.pre_save.connect(
        _name_staff_actor, sender=LogEntry, dispatch_uid="participation.audit.actor"
    )


# The signed-in user of the request being served and their address (audit_actor middleware).
_request_user: ContextVar[tuple[Any, str | None] | None] = ContextVar(
    "participation_audit_request_user", default=None
)


@contextmanager
def staff_actor(user: Any, *, remote_addr: str | None) -> Iterator[None]:
    """Within this block, the entries written name `user` as their author if they are staff;
    a resident's are written as a visitor's, without name nor address (issue 20)."""
    token = _request_user.set((user, remote_addr))
    try:
        yield
    finally:
        _request_user.reset(token)


def _name_staff_actor(sender, instance: LogEntry, **kwargs) -> None:
    current = _request_user.get()
    if current is None or instance.actor_id is not None:
        return
    user, remote_addr = current
    if user.is_superuser or scopes_of(user).is_staff:
        instance.actor = user
        instance.actor_email = user.email
        instance.remote_addr = remote_addr


def _neutral_object_repr(sender, instance: LogEntry, **kwargs) -> None:
    # The str() of a question or an application is what a resident wrote: the page names such
    # rows by their kind and number.
    if instance.content_type_id and masked_fields_of(instance.content_type):
        instance.object_repr = ""


def masked_fields_of(content_type: ContentType) -> frozenset[str]:
    """The fields of this kind of row whose values the log never holds."""
    return MASKED_FIELDS.get(f"{content_type.app_label}.{content_type.model}", frozenset())


def audit_entries_scrub(*, model: type[models.Model], pks: Iterable[int]) -> int:
    """Rewrite the entries already written for these rows (a purge, an account deletion): the
    masked fields' values become MASKED_VALUE, the rows lose their description, and no copy of the
    row is kept. Entries written before the masks existed are cleaned this way too. Returns the
    number of entries rewritten."""
    pks = list(pks)
    if not pks:
        return 0
    content_type = ContentType.objects.get_for_model(model)
    masked = masked_fields_of(content_type)
    entries = list(
        LogEntry.objects.filter(content_type=content_type, object_id__in=pks).only(
            "pk", "changes", "changes_text", "object_repr", "serialized_data"
        )
    )
    for entry in entries:
        entry.changes = mask_changes(entry.changes, masked)
        entry.changes_text = ""
        entry.object_repr = "" if masked else entry.object_repr
        entry.serialized_data = None
    LogEntry.objects.bulk_update(
        entries, ["changes", "changes_text", "object_repr", "serialized_data"], batch_size=500
    )
    return len(entries)


def audit_actor_forget(*, user_id: int) -> int:
    """An account that held no staff role is deleted: its entries keep what was done, not who
    (address, IP address). Staff's entries keep their author: the log is for that."""
    return LogEntry.objects.filter(actor_id=user_id).update(
        actor=None, actor_email=None, remote_addr=None, remote_port=None
    )


def model_choices() -> list[tuple[str, str]]:
    """("app_label.model", verbose name) of the audited models, plus meetings (registrant list
    exports are logged on the meeting). No query: content types are matched by name.
    """
    labels = [audited.label for audited in AUDITED_MODELS] + ["dialogue.Meeting"]
    choices = []
    for label in labels:
        model = apps.get_model(label)
        choices.append((model._meta.label_lower, str(model._meta.verbose_name).capitalize()))
    return sorted(choices, key=lambda choice: choice[1])


def model_label(content_type) -> str:
    model = content_type.model_class()
    if model is None:
        return f"{content_type.app_label}.{content_type.model}"
    return str(model._meta.verbose_name).capitalize()


def action_label(action: int) -> str:
    return str(ACTION_LABELS.get(action, action))
