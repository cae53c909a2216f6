from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.models import DialogueSpace, Meeting, today_in_paris
from dialogue.transparency import transparency_figures
from dialogue.views.questions_public import public_questions_of
from participation.datacache import public_page
from projects.models import Project
from qpv.models import QPV, Follow, NewsItem, Organisation
from qpv.services import InvalidUnsubscribeLink, follow_create, follow_delete, follow_unsubscribe

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
def qpv_detail(request: HttpRequest, slug: str) -> HttpResponse:
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


# Following a QPV. The buttons are POST forms on the QPV page; a visitor is sent to log in and
# comes back to the QPV page (not to the POST-only URL, which would answer 405 to the redirect).


@require_POST
def follow(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(qpv.get_absolute_url())
    follow_create(user=request.user, qpv=qpv)
    messages.success(
        request,
        _("You now follow %(qpv)s: its new meetings will reach you in a weekly email.")
        % {"qpv": qpv.name},
    )
    return redirect(qpv)


@require_POST
def unfollow(request: HttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV, slug=slug)
    if not request.user.is_authenticated:
        return redirect_to_login(qpv.get_absolute_url())
    follow_delete(user=request.user, qpv=qpv)
    messages.success(request, _("You no longer follow %(qpv)s.") % {"qpv": qpv.name})
    return redirect(qpv)


# One click from the email, no login: GET as the brief of the digest asks, and POST for mail
# providers that implement RFC 8058 one-click unsubscribe (they send no CSRF token).
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, signed: str) -> HttpResponse:
    try:
        qpvs = follow_unsubscribe(signed=signed)
    except InvalidUnsubscribeLink:
        return render(request, "qpv/unsubscribe_invalid.html", status=400)
    return render(request, "qpv/unsubscribed.html", {"qpvs": qpvs})
