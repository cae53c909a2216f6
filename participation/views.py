from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

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
