"""Espace pro: follow the questions of one's scope, route them, move due dates, close, answer.

The dashboard lists the questions of the user's scope, overdue first; the manage page shows one
question with its history and the actions this user may take. Every view checks its permission on
the question (dialogue/rules.py): referents and coordinators route, extend and close; the addressed
organisation's correspondents (and referents, coordinators) answer; delegates only read. The writes
are in questions.services, whose refusals (QuestionError) come back on the right form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.models import today_in_paris
from participation.http import AuthenticatedHttpRequest
from participation.scopes import get_object_for, holds_somewhere, require_perm
from qpv.models import QPV, Organisation
from questions import services
from questions.emails import asker_email, asker_name
from questions.forms.staff import (
    AnswerForm,
    CloseForm,
    ExtendForm,
    QuestionFilterForm,
    RouteForm,
)
from questions.models import (
    ACCEPTED_STATUSES,
    OPEN_STATUSES,
    Answer,
    Question,
    QuestionStatus,
    open_question_filter,
    overdue_question_filter,
)
from questions.selectors import (
    FINISHED_STATUSES,
    StaffQuestionList,
    history_of,
    staff_list_counts,
)

QUESTIONS_PER_PAGE = 50
ANSWERABLE_STATUSES = (*OPEN_STATUSES, QuestionStatus.ANSWERED)


def _question_for(request: HttpRequest, pk: int, perm: str) -> Question:
    # The QPV and its commune come along: the permission checks then cost no query.
    questions = Question.objects.with_relations().select_related("asked_by", "answer__author")
    return get_object_for(request, questions, perm, pk=pk)


def _answer_of(question: Question) -> Answer | None:
    try:
        return question.answer
    except Answer.DoesNotExist:
        return None


def _days_late(question: Question, today) -> int:
    return (today - question.due_on).days if question.is_overdue(today) else 0


# Dashboard ----------------------------------------------------------------------------------------


@login_required
@require_GET
def questions_dashboard(request: HttpRequest) -> HttpResponse:
    """The questions of the user's scope: overdue first, then the open ones by due date."""
    require_perm(request, "participation.access_staff_area")
    user = request.user
    today = today_in_paris()
    # The staff pages of the questions the user may see (questions.view_question_staff): accepted
    # ones, and those awaiting moderation where they moderate; never the unconfirmed nor rejected.
    in_scope = Question.objects.visible_to(user).filter(
        status__in=(*ACCEPTED_STATUSES, QuestionStatus.MODERATION)
    )
    can_moderate = holds_somewhere(user, "questions.moderate_question", QPV.objects.all())

    # Only the filters bind the form: turning pages of the whole list is not filtering it.
    filtered = any(name in request.GET for name in QuestionFilterForm.base_fields)
    form = QuestionFilterForm(
        request.GET if filtered else None,
        qpvs=list(QPV.objects.for_listing()),
        organisations=list(Organisation.objects.active().only("pk", "name").order_by("name")),
        with_moderation=can_moderate,
    )
    counts = in_scope.aggregate(
        overdue=Count("pk", filter=overdue_question_filter(today)),
        open=Count("pk", filter=open_question_filter()),
        unrouted=Count("pk", filter=Q(status=QuestionStatus.RECEIVED)),
        moderation=Count("pk", filter=Q(status=QuestionStatus.MODERATION)),
        finished=Count("pk", filter=Q(status__in=FINISHED_STATUSES)),
    )
    filtered_questions = form.filter(in_scope, today=today)
    if form.is_bound and form.is_valid() and form.active_count:
        sizes = staff_list_counts(filtered_questions)
    else:
        sizes = {
            "open": counts["open"],
            "moderation": counts["moderation"],
            "finished": counts["finished"],
        }
    questions = StaffQuestionList(filtered_questions.with_relations(), sizes)
    page = Paginator(questions, QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    for question in rows:
        question.days_late = _days_late(question, today)
    return render(
        request,
        "questions/staff_dashboard.html",
        {
            "form": form,
            "page": page,
            "questions": rows,
            "counts": counts,
            "can_moderate": can_moderate,
            "today": today,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


# One question -------------------------------------------------------------------------------------


def _render_manage(
    request: HttpRequest,
    question: Question,
    *,
    route_form: RouteForm | None = None,
    extend_form: ExtendForm | None = None,
    close_form: CloseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    today = today_in_paris()
    answer = _answer_of(question)
    can_route = user.has_perm("questions.route_question", question) and question.is_open
    can_see_personal = user.has_perm("dialogue.view_personal_data", question.qpv)
    if not can_route:
        # The question is no longer open (or was not): the forms are not shown, their refusal is.
        for form in (route_form, extend_form, close_form):
            for errors in form.errors.values() if form is not None else ():
                for error in errors:
                    messages.error(request, str(error))  # already a str: for the stubs
    context = {
        "question": question,
        "answer": answer,
        "revisions": (
            list(answer.revisions.select_related("edited_by")) if answer is not None else []
        ),
        "due_date_changes": list(question.due_date_changes.select_related("changed_by")),
        "history": history_of(question),
        "days_late": _days_late(question, today),
        "today": today,
        "can_see_personal": can_see_personal,
        # Residents' names and addresses: the local staff only (never delegates nor the
        # organisations, who see the name only if the asker chose to show it publicly).
        "asker": (
            {"name": asker_name(question), "email": asker_email(question)}
            if can_see_personal
            else {}
        ),
        "public_page": question.public_display and question.status in ACCEPTED_STATUSES,
        "can_answer": (
            user.has_perm("questions.answer_question", question)
            and question.status in ANSWERABLE_STATUSES
        ),
        "can_moderate": (
            question.status == QuestionStatus.MODERATION
            and user.has_perm("questions.moderate_question", question)
        ),
        "can_route": can_route,
        "route_form": (
            route_form
            or RouteForm(
                qpv=question.qpv,
                current=question.organisation,
                initial={"addressed_to": question.addressed_to},
            )
            if can_route
            else None
        ),
        "extend_form": (
            extend_form or ExtendForm(initial={"new_due_on": question.due_on})
            if can_route
            else None
        ),
        "close_form": (close_form or CloseForm()) if can_route else None,
    }
    return render(request, "questions/staff_manage.html", context, status=status)


@login_required
@require_GET
def question_manage(request: HttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk, "questions.view_question_staff")
    return _render_manage(request, question)


def _add_error(form, error: services.QuestionError, fields: dict[str, str]) -> None:
    """The service's refusal goes on the field it is about (by its code), else on the form."""
    form.add_error(fields.get(error.code or ""), error)


@login_required
@require_POST
def question_route(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk, "questions.route_question")
    form = RouteForm(request.POST, qpv=question.qpv, current=question.organisation)
    if form.is_valid():
        organisation = form.cleaned_data["organisation"]
        try:
            services.question_route(
                question=question,
                organisation=organisation,
                addressed_to=form.cleaned_data["addressed_to"],
                by=request.user,
            )
        except services.QuestionError as error:
            _add_error(form, error, {})
        else:
            messages.success(
                request,
                _(
                    "The question is forwarded to %(organisation)s; its correspondents are told by email."
                )
                % {"organisation": organisation.name},
            )
            return redirect("questions:question_manage", pk=question.pk)
    return _render_manage(request, question, route_form=form, status=400)


@login_required
@require_POST
def question_extend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk, "questions.route_question")
    form = ExtendForm(request.POST)
    if form.is_valid():
        try:
            services.question_extend_due_date(
                question=question,
                new_due_on=form.cleaned_data["new_due_on"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except services.QuestionError as error:
            _add_error(
                form,
                error,
                {
                    "before_received": "new_due_on",
                    "not_later": "new_due_on",
                    "outside_contract": "new_due_on",
                    "reason_required": "reason",
                },
            )
        else:
            messages.success(
                request, _("The due date is moved; the change is kept in the history.")
            )
            return redirect("questions:question_manage", pk=question.pk)
    return _render_manage(request, question, extend_form=form, status=400)


@login_required
@require_POST
def question_close(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    question = _question_for(request, pk, "questions.route_question")
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            services.question_close(
                question=question, reason=form.cleaned_data["reason"], by=request.user
            )
        except services.QuestionError as error:
            _add_error(form, error, {"reason_required": "reason"})
        else:
            messages.success(
                request, _("The question is closed without answer; the reason is public.")
            )
            return redirect("questions:question_manage", pk=question.pk)
    return _render_manage(request, question, close_form=form, status=400)


# The answer ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def question_answer(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Write, save as draft, publish or correct the answer. Referents may also copy an answer the
    organisation gave by another channel (letter, phone...).
    """
    question = _question_for(request, pk, "questions.answer_question")
    answer = _answer_of(question)
    other_channel = request.user.has_perm("questions.route_question", question)
    initial = (
        {
            "text": answer.text,
            "easy_read": answer.easy_read,
            "received_by_other_channel": answer.received_by_other_channel,
        }
        if answer is not None
        else {}
    )
    form = AnswerForm(request.POST or None, other_channel=other_channel, initial=initial)
    if form.is_bound and form.is_valid():
        was_published = answer is not None and answer.is_published
        try:
            saved = services.answer_save(
                question=question,
                text=form.cleaned_data["text"],
                by=request.user,
                # A published answer stays published: saving it is publishing a correction.
                publish=form.publish or was_published,
                received_by_other_channel=form.cleaned_data.get("received_by_other_channel", False),
                easy_read=form.cleaned_data["easy_read"],
            )
        except services.QuestionError as error:
            _add_error(form, error, {"empty": "text", "easy_read": "easy_read"})
        else:
            if was_published:
                message = _("The correction is published; the previous text stays in the history.")
            elif saved.is_published:
                message = _("The answer is published; the person who asked is told by email.")
            else:
                message = _("The draft is saved. It is not public until you publish it.")
            messages.success(request, message)
            return redirect("questions:question_manage", pk=question.pk)
    return render(
        request,
        "questions/staff_answer.html",
        {
            "question": question,
            "answer": answer,
            "form": form,
            "answerable": question.status in ANSWERABLE_STATUSES,
            "days_late": _days_late(question, today_in_paris()),
        },
        status=400 if form.is_bound else 200,
    )
