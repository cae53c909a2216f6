import contextlib
import json
from urllib.parse import urlencode

from auditlog.models import LogEntry
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from participation import audit, services
from participation.forms import AccountDeleteForm
from participation.models import RoleAssignment
from qpv.models import QPV


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """The resident's and staff member's landing page after login: who they are and what they hold."""
    assignments = (
        RoleAssignment.objects.filter(user=request.user)
        .select_related("qpv", "commune", "organisation", "dialogue_space__qpv")
        .order_by("role")
    )
    return render(request, "participation/account_home.html", {"assignments": assignments})


@never_cache
@login_required
@require_GET
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything we hold about the user, readable (RGPD right of access)."""
    data = services.personal_data_of(request.user)
    return render(request, "participation/my_data.html", {"data": data})


@never_cache
@login_required
@require_GET
def my_data_json(request: HttpRequest) -> HttpResponse:
    """The same as a JSON file to keep or take elsewhere (right to data portability)."""
    data = services.personal_data_of(request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    filename = f"mes-donnees-{timezone.localdate():%Y-%m-%d}.json"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_delete(request: HttpRequest) -> HttpResponse:
    """Explain what deleting the account does; delete it only on a confirmed POST."""
    data = request.POST if request.method == "POST" else None
    form = AccountDeleteForm(data, user=request.user)
    if form.is_bound and form.is_valid():
        services.account_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("qpv:home")
    return render(
        request,
        "participation/account_delete.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@require_GET
def legal_notice(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/legal_notice.html")


@require_GET
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/privacy.html")


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/accessibility.html")


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    qpvs = QPV.objects.for_listing()
    return render(request, "pages/sitemap.html", {"qpvs": qpvs})


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
        rows.append((label, "" if before in (None, "None") else str(before), str(after)))
    return rows


@never_cache
@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Who changed what among roles, questions, answers, projects, grants and reports, and who
    exported registrant lists: for the coordination team only.
    """
    if not request.user.has_perm("participation.configure"):
        raise PermissionDenied
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
