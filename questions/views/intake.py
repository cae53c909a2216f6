"""Questions coming in: logged by staff during a meeting, asked online by residents (accounts, or
guests confirming their email by link), then checked by the local staff before publication.

Writes go through questions.services; every staff view checks its permission on the
object (dialogue/rules.py): `dialogue.log_meeting` on the meeting, `questions.moderate_question` on
the question or its QPV.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dialogue.models import Meeting, MeetingStatus
from dialogue.shortcuts import meeting_for
from dialogue.tokens import InvalidLink
from participation.http import AuthenticatedHttpRequest
from participation.ratelimit import rate_limited
from participation.scopes import get_object_for, require_perm_somewhere
from qpv.models import QPV
from questions import services
from questions.forms.intake import AskQuestionForm, MeetingQuestionForm, ModerationForm
from questions.models import (
    ACCEPTED_STATUSES,
    DEFAULT_ANSWER_DAYS,
    QUESTION_MAX_LENGTH,
    Question,
    QuestionStatus,
)
from questions.selectors import (
    LOGGED_LATE_DAYS,
    duplicate_question,
    followed_questions_of,
    similar_open_questions,
    with_history,
)
from questions.tokens import question_token_from_confirm_link

MEETING_QUESTIONS_FORM = "questions/includes/question_ask_meeting_block.html"
SIMILAR_QUESTIONS = "questions/includes/similar_questions.html"
MODERATION_PER_PAGE = 20
MY_QUESTIONS_PER_PAGE = 30
# Where the "check your inbox" page finds the address a guest just typed (popped once shown).
SENT_TO_SESSION_KEY = "dialogue_question_sent_to"


# Logged by staff during a meeting ---------------------------------------------------------------


def _meeting_refusal(meeting: Meeting) -> str:
    """Why questions cannot be logged at this meeting yet, or "" when they can."""
    if meeting.status == MeetingStatus.CANCELLED:
        return _("This meeting was cancelled: no question can be logged for it.")
    # The received date of a question is the meeting's day: not a day in the future.
    if timezone.localdate(meeting.starts_at) > timezone.localdate():
        return _("Questions are logged on the day of the meeting or after it.")
    return ""


def _due_date_notice(meeting: Meeting) -> dict:
    """What the form says of the due date of a question logged now: counted from the meeting's
    day, so already passed when the meeting is older than the answer delay, and "logged late"
    in the public figures after LOGGED_LATE_DAYS days."""
    today = timezone.localdate()
    due_on = services.meeting_question_due_on(meeting)
    days_after = (today - timezone.localdate(meeting.starts_at)).days
    return {
        "due_on": due_on,
        "answer_days": DEFAULT_ANSWER_DAYS,
        "due_already_passed": due_on < today,
        "logged_late": days_after > LOGGED_LATE_DAYS,
        "days_after_meeting": days_after,
        "logged_late_days": LOGGED_LATE_DAYS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def meeting_questions(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Several questions in a row: after each one the form comes back empty, under the list."""
    meeting = meeting_for(request, pk, "dialogue.log_meeting", Meeting.objects.with_place())
    refusal = _meeting_refusal(meeting)
    form = MeetingQuestionForm(request.POST or None)
    logged = None
    status = 200
    if request.method == "POST":
        if refusal:
            status = 400
        elif form.is_valid():
            logged = services.question_log_at_meeting(
                meeting=meeting, by=request.user, **form.cleaned_data
            )
            if not request.htmx:
                messages.success(request, _("Question logged. You can write the next one."))
                return redirect("questions:meeting_questions", pk=meeting.pk)
            form = MeetingQuestionForm()
            # The next question is typed at once: htmx focuses the field after the swap.
            form.fields["text"].widget.attrs["autofocus"] = True
        else:
            status = 400
    questions = list(
        Question.objects.filter(meeting=meeting)
        .select_related("organisation")
        .order_by("-created_at", "-pk")
    )
    context = {
        "meeting": meeting,
        "form": form,
        "refusal": refusal,
        "logged": logged,
        "meeting_questions": questions,
        **_due_date_notice(meeting),
    }
    template = MEETING_QUESTIONS_FORM if request.htmx else "questions/meeting_questions.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# Asked online by residents ----------------------------------------------------------------------


@rate_limited("online_question")
@require_http_methods(["GET", "POST"])
def question_ask(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask online. Before sending, a question like one still open in the QPV is shown, to follow
    instead ("Send my question anyway" sends it); the same text asked again by the same person is
    refused with a link to the first one."""
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    guest = not request.user.is_authenticated
    if request.method == "GET" and "envoyee" in request.GET:
        return render(
            request,
            "questions/ask.html",
            {"qpv": qpv, "sent_to": request.session.pop(SENT_TO_SESSION_KEY, "")},
        )
    form = AskQuestionForm(
        request.POST or None,
        guest=guest,
        similar_url=reverse("questions:similar_questions", kwargs={"slug": qpv.slug}),
    )
    similar: list[Question] = []
    duplicate = None
    if form.is_bound:
        # A robot filled the hidden field: it is told all went well, and nothing is kept.
        if form.is_spam:
            return _asked(request, qpv, guest=guest, email=request.POST.get("email", ""))
        if form.is_valid():
            data = form.cleaned_data
            identity = _identity(request, data)
            duplicate = duplicate_question(
                qpv=qpv, text=data["text"], user=identity.get("user"), email=identity["email"]
            )
            if duplicate is None and not data["send_anyway"]:
                similar = similar_open_questions(qpv=qpv, text=data["text"])
            if duplicate is None and not similar:
                try:
                    services.question_ask_online(
                        qpv=qpv,
                        text=data["text"],
                        theme=data["theme"],
                        addressed_to=data["addressed_to"],
                        show_name=data["show_name"],
                        public_display=data["public_display"],
                        **identity,
                    )
                except services.DuplicateQuestion as error:  # sent twice at the same instant
                    duplicate = error.question
                else:
                    return _asked(request, qpv, guest=guest, email=identity["email"])
            if duplicate is not None:
                form.add_error("text", services.DuplicateQuestion(duplicate))
    context = {
        "qpv": qpv,
        "form": form,
        "sent_to": None,
        "max_length": QUESTION_MAX_LENGTH,
        "answer_days": DEFAULT_ANSWER_DAYS,
        # Shown before sending: the open questions like this one (the form keeps the text).
        "similar": _with_follow_state(request, similar),
        "duplicate": duplicate,
        "duplicate_link": _duplicate_link(request, duplicate),
    }
    # An invalid form or a duplicate is a 400; similar questions to look at first are not an error.
    status = 400 if form.is_bound and not form.is_valid() else 200
    return render(request, "questions/ask.html", context, status=status)


def _identity(request: HttpRequest, data: dict) -> dict:
    """Who asks: the name and email typed by a guest, or the account."""
    if not request.user.is_authenticated:
        return {"name": data["name"], "email": data["email"]}
    user = request.user
    return {"name": user.full_name, "email": user.email, "user": user}


def _with_follow_state(request: HttpRequest, questions: list[Question]) -> list[Question]:
    """Mark `followed` on the questions the user already follows (one query, none for a guest)."""
    followed: set[int] = set()
    if questions and request.user.is_authenticated:
        followed = set(
            followed_questions_of(request.user)
            .filter(pk__in=[question.pk for question in questions])
            .values_list("pk", flat=True)
        )
    for question in questions:
        question.followed = question.pk in followed  # type: ignore[attr-defined]  # for the template
    return questions


def _duplicate_link(request: HttpRequest, question: Question | None) -> str:
    """Where the asker of a duplicate sees the first question: its page, when they may see it
    (their account's question, or a public one); else nothing (a guest's question not accepted
    yet is seen by nobody but the team)."""
    if question is None:
        return ""
    is_asker = request.user.is_authenticated and question.asked_by_id == request.user.pk
    is_public = question.status in ACCEPTED_STATUSES and question.public_display
    return question.get_absolute_url() if is_asker or is_public else ""


@require_GET
def similar_questions(request: HttpRequest, slug: str) -> HttpResponse:
    """The open questions of the QPV like the text being typed (htmx, as the resident types):
    a short list with links, and "Follow this one". Empty when nothing is alike."""
    qpv = get_object_or_404(QPV.objects.select_related("commune"), slug=slug)
    text = request.GET.get("text", "")[:QUESTION_MAX_LENGTH]
    questions = similar_open_questions(qpv=qpv, text=text)
    response = render(
        request,
        SIMILAR_QUESTIONS,
        {"qpv": qpv, "similar": _with_follow_state(request, questions), "live": True},
    )
    patch_vary_headers(response, ["Cookie"])
    return response


def _asked(request: HttpRequest, qpv: QPV, *, guest: bool, email: str) -> HttpResponse:
    if guest:
        request.session[SENT_TO_SESSION_KEY] = email.strip()[:254]
        return redirect(reverse("questions:question_ask", kwargs={"slug": qpv.slug}) + "?envoyee")
    messages.success(
        request,
        _(
            "Your question is sent. The team checks it before publication, then forwards it: "
            "you will be told by email when it is answered."
        ),
    )
    return redirect("questions:my_questions")


@require_http_methods(["GET", "POST"])
def question_confirm(request: HttpRequest, signed: str) -> HttpResponse:
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    try:
        token = question_token_from_confirm_link(signed)
    except InvalidLink as exc:
        return render(
            request,
            "questions/confirm.html",
            {"invalid": True, "expired": exc.expired},
            status=400,
        )
    question = get_object_or_404(Question.objects.select_related("qpv"), token=token)
    if request.method == "POST":
        question = services.question_confirm_guest(question=question)
        messages.success(
            request,
            _(
                "Thank you, your email address is confirmed. The team checks your question "
                "before publication; you will be told by email when it is answered."
            ),
        )
        return redirect(question.qpv)
    return render(
        request,
        "questions/confirm.html",
        {
            "invalid": False,
            "expired": False,
            "question": question,
            "confirmed": question.status != QuestionStatus.UNCONFIRMED,
        },
    )


@login_required
@require_GET
def my_questions(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own questions, public or not, whatever their state."""
    questions = with_history(
        Question.objects.filter(asked_by=request.user)
        .select_related("qpv", "organisation", "answer__organisation")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(questions, MY_QUESTIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "questions/my_questions.html",
        {
            "page": page,
            "questions": page.object_list,
            "followed": list(followed_questions_of(request.user)[:MY_QUESTIONS_PER_PAGE]),
        },
    )


# Moderation by the local staff --------------------------------------------------------------------


def _require_moderator(request: HttpRequest) -> None:
    """The queue is for those who check the online questions of some QPV (else 403)."""
    require_perm_somewhere(request, "questions.moderate_question", Question.objects.all())


def _moderation_page(
    request: HttpRequest, *, bound: ModerationForm | None = None, bound_pk: int | None = None
) -> HttpResponse:
    _require_moderator(request)
    waiting = (
        Question.objects.visible_to(request.user, "questions.moderate_question")
        .filter(status=QuestionStatus.MODERATION)
        .select_related("qpv__commune", "asked_by")
        .order_by("received_on", "created_at", "pk")
    )
    page = Paginator(waiting, MODERATION_PER_PAGE).get_page(request.GET.get("page"))
    questions = list(page.object_list)
    if bound_pk is not None and bound_pk not in {question.pk for question in questions}:
        # The refused form must be shown with what was typed, even if it sits on another page.
        questions.insert(0, waiting.get(pk=bound_pk))
    items = []
    for question in questions:
        form = (
            bound
            if bound is not None and question.pk == bound_pk
            else ModerationForm(
                prefix=f"q{question.pk}",
                initial={"theme": question.theme, "addressed_to": question.addressed_to},
            )
        )
        items.append({"question": question, "form": form})
    return render(
        request,
        "questions/moderation_queue.html",
        {"page": page, "items": items, "error_pk": bound_pk},
        status=400 if bound is not None else 200,
    )


@login_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    """Online questions awaiting a check (insults, personal data), oldest first."""
    return _moderation_page(request)


@login_required
@require_POST
def question_moderate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    question = get_object_for(
        request,
        Question.objects.select_related("qpv__commune"),
        "questions.moderate_question",
        pk=pk,
    )
    queue = reverse("questions:moderation_queue")
    if question.status != QuestionStatus.MODERATION:
        messages.info(request, _("This question has already been moderated: nothing changed."))
        return redirect(queue)
    form = ModerationForm(request.POST, prefix=f"q{question.pk}")
    if not form.is_valid():
        return _moderation_page(request, bound=form, bound_pk=question.pk)
    accept = form.cleaned_data["decision"] == ModerationForm.PUBLISH
    try:
        services.question_moderate(
            question=question,
            accept=accept,
            reason=form.cleaned_data["reason"],
            theme=form.cleaned_data["theme"],
            addressed_to=form.cleaned_data["addressed_to"],
            by=request.user,
        )
    except services.QuestionError as exc:
        if exc.code == "moderated":
            messages.info(request, _("This question has already been moderated: nothing changed."))
            return redirect(queue)
        form.add_error(None, exc)
        return _moderation_page(request, bound=form, bound_pk=question.pk)
    if accept:
        messages.success(
            request, _("The question is published. It can now be forwarded to an organisation.")
        )
    else:
        messages.success(
            request, _("The question is not published. The reason was sent to the person by email.")
        )
    return redirect(queue)
