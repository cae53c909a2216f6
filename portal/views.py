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
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.models import DialogueSpace, Meeting, MeetingStatus, today_in_paris
from participation.datacache import public_page, public_page_varying
from participation.http import AuthenticatedHttpRequest, safe_next
from portal import neighbourhood, selectors, services
from portal.forms import AccountDeleteForm, ChooseQPVForm, NameForm
from projects.models import Project
from qpv.models import QPV, Follow, NewsItem, Organisation
from questions.models import QuestionStatus
from questions.selectors import (
    prepare_for_display,
    public_questions,
    public_questions_of,
    public_transparency,
)

NEXT_MEETINGS_ON_QPV_PAGE = 5
LATEST_ON_QPV_PAGE = 3
LATEST_QUESTIONS_ON_QPV_PAGE = 3
# The home page: at most this many meetings, the visitor's neighbourhoods taking up to the second
# number of them; the latest answers.
HOME_MEETINGS = 6
HOME_MEETINGS_OF_MINE = 4
HOME_ANSWERS = 3


def _my_qpvs(request: HttpRequest, qpvs: list[QPV], slug: str) -> list[QPV]:
    """The neighbourhoods whose meetings come first: the one chosen, then the account's own (given
    at sign-up) and those it follows."""
    followed: set[int] = set()
    if request.user.is_authenticated:
        followed = set(Follow.objects.filter(user=request.user).values_list("qpv_id", flat=True))
        if request.user.home_qpv_id:
            followed.add(request.user.home_qpv_id)
    chosen = [qpv for qpv in qpvs if qpv.slug == slug]
    return chosen + [qpv for qpv in qpvs if qpv.pk in followed and qpv.slug != slug]


def _home(
    request: HttpRequest,
    *,
    qpvs: list[QPV] | None = None,
    form: ChooseQPVForm | None = None,
    status: int = 200,
) -> HttpResponse:
    today = today_in_paris()
    # One query for the QPV list, the "choose" form, the neighbourhoods' names and the header menu.
    qpvs = list(QPV.objects.for_listing()) if qpvs is None else qpvs
    slug = neighbourhood.chosen_slug(request)
    mine = _my_qpvs(request, qpvs, slug)
    # Meetings one can still go to: the cancelled ones stay in the agenda, marked, not here.
    upcoming = (
        Meeting.objects.public()
        .upcoming()
        .filter(status=MeetingStatus.PLANNED)
        .with_place()
        .with_seats()
    )
    my_meetings: list[Meeting] = []
    if mine:
        mine_ids = [qpv.pk for qpv in mine]
        my_meetings = list(
            upcoming.filter(dialogue_space__qpv__in=mine_ids)[:HOME_MEETINGS_OF_MINE]
        )
        upcoming = upcoming.exclude(dialogue_space__qpv__in=mine_ids)
    if form is None:
        chosen = mine[0].slug if mine and mine[0].slug == slug else ""
        form = ChooseQPVForm(initial={"qpv": chosen}, qpvs=qpvs)
    # The index on answered_on gives them in order: PostgreSQL sorts only the last day's by
    # their answer's time (incremental sort), not every answered question.
    answered = (
        public_questions(today)
        .filter(status=QuestionStatus.ANSWERED)
        .order_by("-answered_on", "-answer__published_at", "-pk")
    )
    return render(
        request,
        "qpv/home.html",
        {
            "qpvs": qpvs,
            "menu_qpvs": qpvs,
            "form": form,
            "my_qpvs": mine,
            "several_qpvs": len(mine) > 1,
            "my_meetings": my_meetings,
            "other_meetings": list(upcoming[: HOME_MEETINGS - len(my_meetings)]),
            "latest_answers": prepare_for_display(list(answered[:HOME_ANSWERS]), today),
        },
        status=status,
    )


# The home page depends on the neighbourhood the visitor chose (a cookie, portal.neighbourhood):
# its cached copy is kept per chosen QPV rather than skipped. Thirteen QPV and "none" make 14
# copies per language, cheap to keep, and the visitors who chose one, residents coming back to
# their neighbourhood's meetings, are those who open the home page most often: skipping the cache
# would serve them the slowest page. The key holds the slug the view reads (`chosen_slug`, the
# same function); a slug of no QPV gets the page without a choice, under a key of its own, as an
# unknown query string does. Signed-in users (their followed QPV) are never cached.
@require_GET
@public_page_varying("home", neighbourhood.chosen_slug)
def home(request: HttpRequest) -> HttpResponse:
    return _home(request)


@require_POST
def choose_qpv(request: HttpRequest) -> HttpResponse:
    """Remember the neighbourhood chosen on the home page (or forget it: "all neighbourhoods")."""
    qpvs = list(QPV.objects.for_listing())
    form = ChooseQPVForm(request.POST, qpvs=qpvs)
    if not form.is_valid():
        return _home(request, qpvs=qpvs, form=form, status=400)
    response = redirect("home")
    if form.cleaned_data["qpv"]:
        neighbourhood.remember(response, form.cleaned_data["qpv"])
    else:
        neighbourhood.forget(response)
    return response


@require_GET
@neighbourhood.remembered_on_visit
@public_page("qpv")
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
            "qa_figures": public_transparency(qpv=qpv, today=today),
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
