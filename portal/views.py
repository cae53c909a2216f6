"""The pages that combine several apps: home, the QPV page, the site map, "Mon espace" (the
account home), "Mes données" and the deletion of an account. They sit here, above the apps they
read from."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from dialogue.models import DialogueSpace, Meeting, today_in_paris
from participation.datacache import public_page
from participation.http import AuthenticatedHttpRequest, safe_next
from portal import selectors, services
from portal.forms import AccountDeleteForm, NameForm
from projects.models import Project
from qpv.models import QPV, Follow, NewsItem, Organisation
from questions.selectors import public_questions_of, transparency_figures

NEXT_MEETINGS_ON_QPV_PAGE = 5
LATEST_ON_QPV_PAGE = 3
LATEST_QUESTIONS_ON_QPV_PAGE = 3


@require_GET
@public_page
def home(request: HttpRequest) -> HttpResponse:
    qpvs = QPV.objects.for_listing()
    return render(request, "qpv/home.html", {"qpvs": qpvs})


@require_GET
@public_page
def qpv_page(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(
        QPV.objects.select_related("commune").prefetch_related(
            Prefetch(
                "organisations", queryset=Organisation.objects.active().order_by("kind", "name")
            ),
            Prefetch(
                "dialogue_spaces",
                queryset=DialogueSpace.objects.active()
                .select_related("host_organisation")
                .order_by("name"),
                to_attr="active_spaces",
            ),
        ),
        slug=slug,
    )
    next_meetings = list(
        Meeting.objects.public()
        .upcoming()
        .filter(dialogue_space__qpv=qpv)
        .with_place()
        .with_seats()[:NEXT_MEETINGS_ON_QPV_PAGE]
    )
    is_following = (
        request.user.is_authenticated and Follow.objects.filter(user=request.user, qpv=qpv).exists()
    )
    today = today_in_paris()
    return render(
        request,
        "qpv/qpv_detail.html",
        {
            "qpv": qpv,
            "next_meetings": next_meetings,
            "is_following": is_following,
            # The Q&A section: the QPV's transparency figures and its latest public questions.
            "qa_figures": transparency_figures(qpv=qpv, today=today),
            "latest_questions": public_questions_of(
                today=today, limit=LATEST_QUESTIONS_ON_QPV_PAGE, qpv=qpv
            ),
            "latest_projects": list(
                Project.objects.public()
                .filter(qpv=qpv)
                .order_by("-updated_at", "-pk")[:LATEST_ON_QPV_PAGE]
            ),
            "latest_news": list(
                NewsItem.objects.published().for_qpv(qpv).select_related("qpv")[:LATEST_ON_QPV_PAGE]
            ),
        },
    )


@require_GET
def sitemap(request: HttpRequest) -> HttpResponse:
    qpvs = QPV.objects.for_listing()
    return render(request, "pages/sitemap.html", {"qpvs": qpvs})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def account_name(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The name printed on sign-in sheets (and the neighbourhood): asked once to accounts without
    a name at their next login, and changeable from "Mon espace" at any time."""
    next_url = safe_next(request, default=reverse("account_home"))
    if request.method == "POST":
        form = NameForm(request.POST)
        if form.is_valid():
            services.set_name(
                user=request.user,
                full_name=form.cleaned_data["full_name"],
                home_qpv=form.cleaned_data["home_qpv"],
            )
            messages.success(request, _("Your name is saved."))
            return redirect(next_url)
    else:
        user = request.user
        form = NameForm(initial={"display_name": user.full_name, "home_qpv": user.home_qpv_id})
    return render(
        request,
        "participation/account_name.html",
        {"form": form, "next_url": next_url},
        status=400 if form.is_bound else 200,
    )


@never_cache
@login_required
@require_GET
def account_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """ "Mon espace": what the account gave and where each thing stands (portal.selectors)."""
    return render(
        request, "participation/account_home.html", {"space": selectors.my_space(request.user)}
    )


@never_cache
@login_required
@require_GET
def my_data(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Everything we hold about the user, readable (RGPD right of access)."""
    data = services.personal_data_of(request.user)
    return render(request, "participation/my_data.html", {"data": data})


@never_cache
@login_required
@require_GET
def my_data_json(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def account_delete(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Explain what deleting the account does; delete it only on a confirmed POST."""
    data = request.POST if request.method == "POST" else None
    form = AccountDeleteForm(data, user=request.user)
    if form.is_bound and form.is_valid():
        services.account_delete(user=request.user)
        logout(request)
        messages.success(request, _("Your account has been deleted."))
        return redirect("home")
    return render(
        request,
        "participation/account_delete.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )
