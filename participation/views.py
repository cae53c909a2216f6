import contextlib
import json
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from participation import audit
from participation.scopes import require_perm


@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/legal_notice.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    """The delays the page states are the ones the purges apply."""
    return render(
        request,
        "pages/privacy.html",
        {
            "guest_retention_days": settings.GUEST_DATA_RETENTION_DAYS,
            "sms_retention_days": min(
                settings.SMS_RETENTION_DAYS, settings.GUEST_DATA_RETENTION_DAYS
            ),
            # scripts/backup.sh prunes the archives older than this (issue 20, item 2).
            "backup_retention_days": settings.BACKUP_RETENTION_DAYS,
        },
    )


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


@require_GET
def glossary(request: HttpRequest) -> HttpResponse:
    """The words of city policy that public pages keep, each defined in plain French (#anchors)."""
    return render(request, "pages/glossary.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def bench_baseline(request: HttpRequest) -> HttpResponse:
    """The load benchmark's yardstick (bench/load.py): no query, no template, every middleware.

    Routed only when BENCH_BASELINE_VIEW is on (`make bench`).
    """
    return HttpResponse(b"ok", content_type="text/plain")


AUDIT_PAGE_SIZE = 50


def _audit_change_rows(entry: LogEntry) -> list[tuple[str, str, str]]:
    """(field, before, after) rows, fields named by their verbose name when the model knows them."""
    model = entry.content_type.model_class()
    masked = audit.masked_fields_of(entry.content_type)
    rows = []
    for field_name, values in entry.changes_dict.items():
        label = field_name
        if model is not None:
            with contextlib.suppress(FieldDoesNotExist):
                label = str(getattr(model._meta.get_field(field_name), "verbose_name", field_name))
        if isinstance(values, (list, tuple)) and len(values) == 2:
            before, after = values
        else:  # many-to-many changes are stored as a dict of operations
            before, after = "", json.dumps(values, ensure_ascii=False)
        if field_name in masked:
            # A resident's value: the log holds only that it changed (participation.audit).
            before, after = (audit.masked_label(value) for value in (before, after))
        rows.append((label, "" if before in (None, "None") else str(before), str(after)))
    return rows


@never_cache
@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who changed what among roles, questions, answers, projects, grants and reports, and who
    exported registrant lists: for the coordination team only.
    """
    require_perm(request, "participation.configure")
    model_choices = audit.model_choices()
    entries = LogEntry.objects.select_related("actor", "content_type").order_by("-timestamp", "-pk")
    model = request.GET.get("model", "")
    if model in dict(model_choices):
        app_label, model_name = model.split(".")
        entries = entries.filter(content_type__app_label=app_label, content_type__model=model_name)
    else:
        model = ""
    # PostgreSQL refuses NUL bytes in a query: typed in the search, they are dropped.
    actor = request.GET.get("actor", "").replace("\x00", "").strip()[:254]
    if actor:
        entries = entries.filter(Q(actor__email__icontains=actor) | Q(actor_email__icontains=actor))
    page = Paginator(entries, AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.change_rows = _audit_change_rows(entry)
        entry.model_label = audit.model_label(entry.content_type)
        entry.action_label = audit.action_label(entry.action)
    query = urlencode({key: value for key, value in (("model", model), ("actor", actor)) if value})
    return render(
        request,
        "participation/audit_log.html",
        {
            "page": page,
            "model_choices": model_choices,
            "model": model,
            "actor": actor,
            "query": query,
        },
    )
