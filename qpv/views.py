from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from qpv.models import QPV, Organisation


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    qpvs = QPV.objects.for_listing()
    return render(request, "qpv/home.html", {"qpvs": qpvs})


@require_GET
def qpv_detail(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(
        QPV.objects.select_related("commune").prefetch_related(
            Prefetch(
                "organisations", queryset=Organisation.objects.active().order_by("kind", "name")
            )
        ),
        slug=slug,
    )
    return render(request, "qpv/qpv_detail.html", {"qpv": qpv})
