"""The audit log of staff actions (DESIGN §2): who changed roles, questions, answers, projects,
grants and reports, and when. django-auditlog records the changes on save; the actor comes from
its middleware (the signed-in user of the request).
"""

from __future__ import annotations

from auditlog.models import LogEntry
from auditlog.registry import auditlog
from django.apps import apps
from django.utils.translation import gettext_lazy as _

# (model, fields left out of the log): report files and progress are noise written by the worker;
# a question's token is a secret link and must not be copied into the log.
AUDITED_MODELS: list[tuple[str, list[str]]] = [
    ("participation.RoleAssignment", []),
    # The digest of an invitation's link stays out of the log, as a question's token.
    ("participation.Invitation", ["token_hash"]),
    ("questions.Question", ["token"]),
    ("questions.Answer", []),
    ("questions.DueDateChange", []),
    ("projects.Project", []),
    ("projects.ProjectStep", []),
    ("projects.GrantApplication", []),
    ("projects.GrantPayment", []),
    ("projects.FundEnvelope", []),
    ("evaluation.Report", ["file", "progress", "progress_label"]),
    ("evaluation.IndicatorTarget", []),
    # The written parts of reports: the Markdown is logged, not its HTML renderings.
    ("evaluation.ReportSection", ["body_html", "published_html"]),
    ("evaluation.ReportComment", []),
]

ACTION_LABELS = {
    LogEntry.Action.CREATE: _("Created"),
    LogEntry.Action.UPDATE: _("Changed"),
    LogEntry.Action.DELETE: _("Deleted"),
    LogEntry.Action.ACCESS: _("Exported or viewed"),
}


def register_models() -> None:
    for label, excluded in AUDITED_MODELS:
        model = apps.get_model(label)
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=excluded)


def model_choices() -> list[tuple[str, str]]:
    """("app_label.model", verbose name) of the audited models, plus meetings (registrant list
    exports are logged on the meeting). No query: content types are matched by name.
    """
    labels = [label for label, _excluded in AUDITED_MODELS] + ["dialogue.Meeting"]
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
