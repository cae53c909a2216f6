"""The public Q&A: every accepted question shown publicly, its status, its answer, and the figures.

Visibility of one question (`question_detail`): a public question is for everyone. A question the
asker did not want shown, or not accepted yet (email to confirm, moderation, rejected), is seen only
by its asker (the account that asked) and by the staff who may follow it
(`questions.view_question_staff`: local staff, delegates in scope, correspondents of the addressed
organisation). Anyone else, staff out of scope included, gets a 404 rather than a 403, so that the
page does not even tell that the question exists.
"""

from __future__ import annotations

from datetime import date

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from dialogue.models import today_in_paris
from participation.datacache import public_page
from participation.http import HtmxHttpRequest
from qpv.models import QPV, Organisation
from questions.forms.public import QuestionFilterForm
from questions.models import ACCEPTED_STATUSES, Question, QuestionFollow
from questions.selectors import (
    history_of,
    prepare_for_display,
    public_questions,
    public_transparency,
    public_transparency_by_qpv,
    with_public_status,
)

QUESTIONS_PER_PAGE = 20
RESULTS_TEMPLATE = "questions/includes/qa_results.html"


def _organisations_addressed(questions: QuerySet[Question]) -> list[Organisation]:
    """The organisations that public questions of the page's scope were addressed to."""
    return list(
        Organisation.objects.filter(pk__in=questions.values("organisation_id")).order_by("name")
    )


def _question_list(
    request: HtmxHttpRequest,
    *,
    questions: QuerySet[Question],
    form: QuestionFilterForm,
    today: date,
    **context,
) -> HttpResponse:
    """A filtered, paginated list; htmx requests get the results partial only (like the agenda)."""
    page_obj = Paginator(form.filter(questions, today=today), QUESTIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    page_obj.object_list = prepare_for_display(list(page_obj.object_list), today)
    template = "questions/public_list.html"
    if request.htmx and not request.htmx.history_restore_request:
        template = RESULTS_TEMPLATE
    response = render(request, template, {"form": form, "page_obj": page_obj, **context})
    # The same URL answers a full page or a partial: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
@public_page("questions")
def questions(request: HtmxHttpRequest) -> HttpResponse:
    today = today_in_paris()
    # The header's menu lists the same QPV: one query serves the menu, the filter and the table.
    qpvs = list(QPV.objects.for_listing())
    public = public_questions(today)
    form = QuestionFilterForm(
        request.GET, organisations=_organisations_addressed(public), qpvs=qpvs
    )
    return _question_list(
        request,
        questions=public,
        form=form,
        today=today,
        qpv=None,
        figures=public_transparency(today=today),
        figures_by_qpv=public_transparency_by_qpv(today=today, qpvs=qpvs),
        menu_qpvs=qpvs,
    )


@require_GET
@public_page("questions")
def qpv_questions(request: HtmxHttpRequest, slug: str) -> HttpResponse:
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    today = today_in_paris()
    public = public_questions(today).filter(qpv=qpv)
    form = QuestionFilterForm(
        request.GET, organisations=_organisations_addressed(public), without=("qpv",)
    )
    return _question_list(
        request,
        questions=public,
        form=form,
        today=today,
        qpv=qpv,
        figures=public_transparency(qpv=qpv, today=today),
        figures_by_qpv=None,
    )


@require_GET
@public_page("question")
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = today_in_paris()
    user = request.user
    queryset = Question.objects.with_relations().select_related("meeting__dialogue_space")
    if user.is_authenticated:
        # Whether the user follows it, in the same query.
        queryset = queryset.annotate(
            followed=Exists(QuestionFollow.objects.filter(user=user, question=OuterRef("pk")))
        )
    question = get_object_or_404(with_public_status(queryset, today), pk=pk)
    is_accepted = question.status in ACCEPTED_STATUSES
    is_public = is_accepted and question.public_display
    is_asker = user.is_authenticated and question.asked_by_id == user.pk
    can_view_staff = user.has_perm("questions.view_question_staff", question)
    if not (is_public or is_asker or can_view_staff):
        raise Http404
    if not is_accepted:
        # Awaiting confirmation or moderation, or rejected: no public status, no due date shown.
        question.public_status = ""
    prepare_for_display([question], today)
    revisions = []
    if question.public_answer is not None:
        revisions = list(question.public_answer.revisions.all())
    # "Follow this question": residents who did not ask it, on a public question.
    can_follow = is_public and not is_asker and user.has_perm("questions.follow_question", question)
    return render(
        request,
        "questions/question_detail.html",
        {
            "question": question,
            "is_public": is_public,
            "is_accepted": is_accepted,
            "is_asker": is_asker,
            "can_view_staff": can_view_staff,
            "revisions": revisions,
            # The asker reads the dated steps of their question.
            "history": history_of(question) if is_asker else [],
            "can_follow": can_follow,
            "is_followed": getattr(question, "followed", False),
            # A visitor is offered to log in to follow it, and comes back here.
            "offer_login_to_follow": is_public and not user.is_authenticated,
        },
    )
