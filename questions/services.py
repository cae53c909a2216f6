"""Questions and answers: intake, moderation, routing, due dates, answers and their history.

Dates are Paris calendar dates (received_on, due_on, answered_on): "30 days" means 30 calendar days
whatever the month length or a change of clock, and delays are differences of dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import Meeting, today_in_paris
from questions import emails as question_emails
from questions.models import (
    DEFAULT_ANSWER_DAYS,
    OPEN_STATUSES,
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    DueDateChange,
    Question,
    QuestionStatus,
)


class QuestionError(ValidationError):
    """A refused action on a question, with a message for the form."""


def due_date_for(received_on: date, organisation=None) -> date:
    days = organisation.answer_delay_days if organisation is not None else DEFAULT_ANSWER_DAYS
    return received_on + timedelta(days=days)


def _locked(question: Question) -> Question:
    return (
        Question.objects.select_for_update(of=("self",))
        .select_related("qpv__commune", "organisation")
        .get(pk=question.pk)
    )


@transaction.atomic
def question_log_at_meeting(
    *,
    meeting: Meeting,
    text: str,
    theme: str,
    by,
    asker_name: str = "",
    show_name: bool = False,
    public_display: bool = True,
) -> Question:
    """Staff note a question asked aloud: accepted at once (no moderation), received that day."""
    received_on = timezone.localdate(meeting.starts_at)
    return Question.objects.create(
        qpv=meeting.dialogue_space.qpv,
        meeting=meeting,
        channel=Channel.MEETING,
        text=text.strip(),
        theme=theme,
        asker_name=asker_name.strip(),
        show_name=show_name and bool(asker_name.strip()),
        public_display=public_display,
        status=QuestionStatus.RECEIVED,
        received_on=received_on,
        due_on=due_date_for(received_on),
        created_by=by,
    )


@transaction.atomic
def question_ask_online(
    *,
    qpv,
    text: str,
    theme: str,
    name: str,
    email: str,
    user=None,
    show_name: bool = False,
    public_display: bool = True,
) -> Question:
    """A resident asks online. An account goes to moderation; a guest confirms the email first."""
    today = today_in_paris()
    question = Question.objects.create(
        qpv=qpv,
        channel=Channel.ONLINE,
        text=text.strip(),
        theme=theme,
        asked_by=user,
        asker_name=name.strip(),
        asker_email=email.strip().lower(),
        show_name=show_name,
        public_display=public_display,
        status=QuestionStatus.MODERATION if user is not None else QuestionStatus.UNCONFIRMED,
        received_on=today,
        due_on=due_date_for(today),
    )
    if user is None:
        question_emails.question_confirmation_link(question)
    return question


@transaction.atomic
def question_confirm_guest(*, question: Question) -> Question:
    question = _locked(question)
    if question.status == QuestionStatus.UNCONFIRMED:
        # The clock of the due date starts when the question really reaches us.
        question.status = QuestionStatus.MODERATION
        question.received_on = today_in_paris()
        question.due_on = due_date_for(question.received_on)
        question.save(update_fields=["status", "received_on", "due_on"])
    return question


@transaction.atomic
def question_moderate(
    *, question: Question, accept: bool, reason: str = "", theme: str = "", by
) -> Question:
    """Publish (the staff may correct the theme the resident chose) or reject with a reason."""
    question = _locked(question)
    if question.status != QuestionStatus.MODERATION:
        raise QuestionError(_("This question has already been moderated."), code="moderated")
    if accept:
        question.status = QuestionStatus.RECEIVED
        question.theme = theme or question.theme
        question.save(update_fields=["status", "theme"])
        return question
    if not reason.strip():
        raise QuestionError(
            _("Give the reason: it is sent to the person who asked."), code="reason_required"
        )
    question.status = QuestionStatus.REJECTED
    question.rejected_reason = reason.strip()
    question.save(update_fields=["status", "rejected_reason"])
    question_emails.question_rejected(question)
    return question


@transaction.atomic
def question_route(*, question: Question, organisation, by) -> Question:
    """Address the question to an organisation: its correspondents are emailed a link to answer."""
    question = _locked(question)
    if question.status not in (QuestionStatus.RECEIVED, QuestionStatus.FORWARDED):
        raise QuestionError(_("Only an open question can be forwarded."), code="not_open")
    if not question.due_date_changes.exists():
        question.due_on = due_date_for(question.received_on, organisation)
    question.organisation = organisation
    question.status = QuestionStatus.FORWARDED
    question.forwarded_at = timezone.now()
    question.save(update_fields=["organisation", "status", "due_on", "forwarded_at"])
    question_emails.question_forwarded(question)
    return question


@transaction.atomic
def question_extend_due_date(*, question: Question, new_due_on: date, reason: str, by) -> Question:
    question = _locked(question)
    if not question.is_open:
        raise QuestionError(_("Only an open question has a due date to move."), code="not_open")
    if not reason.strip():
        raise QuestionError(_("Give the reason for the new due date."), code="reason_required")
    if new_due_on < question.received_on:
        raise QuestionError(
            _("The due date cannot be before the date the question was received."),
            code="before_received",
        )
    if new_due_on <= question.due_on:
        raise QuestionError(
            _("The new due date must be later than the current one (%(due)s).")
            % {"due": question.due_on.strftime("%d/%m/%Y")},
            code="not_later",
        )
    DueDateChange.objects.create(
        question=question,
        previous_due_on=question.due_on,
        new_due_on=new_due_on,
        reason=reason.strip(),
        changed_by=by,
    )
    question.due_on = new_due_on
    question.save(update_fields=["due_on"])
    return question


@transaction.atomic
def question_close(*, question: Question, reason: str, by) -> Question:
    """Close without an answer: only with a reason, which is public."""
    question = _locked(question)
    if not question.is_open:
        raise QuestionError(_("Only an open question can be closed."), code="not_open")
    if not reason.strip():
        raise QuestionError(
            _("A question is closed without answer only with a public reason."),
            code="reason_required",
        )
    question.status = QuestionStatus.CLOSED
    question.closed_reason = reason.strip()
    question.save(update_fields=["status", "closed_reason"])
    question_emails.question_closed(question)
    return question


@transaction.atomic
def answer_save(
    *,
    question: Question,
    text: str,
    by,
    publish: bool,
    organisation=None,
    received_by_other_channel: bool = False,
) -> Answer:
    """Write or correct the answer. Publishing closes the question as answered and tells the asker;
    a published answer that is edited keeps its previous text in the public history.
    """
    question = _locked(question)
    text = text.strip()
    if publish and not text:
        raise QuestionError(_("An empty answer cannot be published."), code="empty")
    if question.status not in (*OPEN_STATUSES, QuestionStatus.ANSWERED):
        raise QuestionError(_("This question cannot be answered any more."), code="not_open")
    answer = Answer.objects.select_for_update().filter(question=question).first()
    if answer is None:
        answer = Answer(question=question)
    elif answer.is_published and answer.text != text:
        if not text:
            raise QuestionError(_("A published answer cannot be emptied."), code="empty")
        AnswerRevision.objects.create(answer=answer, previous_text=answer.text, edited_by=by)
    first_publication = publish and not answer.is_published
    answer.text = text
    answer.author = by
    answer.organisation = organisation or question.organisation
    answer.received_by_other_channel = received_by_other_channel
    if publish:
        answer.status = AnswerStatus.PUBLISHED
        answer.published_at = answer.published_at or timezone.now()
    answer.save()
    if first_publication:
        question.status = QuestionStatus.ANSWERED
        question.answered_on = today_in_paris()
        question.save(update_fields=["status", "answered_on"])
        question_emails.answer_published(answer)
    return answer


@transaction.atomic
def purge_guest_question_contacts(*, now: datetime | None = None) -> dict[str, int]:
    """Clear the name and email of guests' questions received more than GUEST_DATA_RETENTION_DAYS
    ago (the retention of dialogue.services.retention). The question and its answer stay public."""
    limit = (now or timezone.now()) - timedelta(days=settings.GUEST_DATA_RETENTION_DAYS)
    questions = Question.objects.filter(
        asked_by__isnull=True, received_on__lt=timezone.localdate(limit)
    ).exclude(Q(asker_email="") & Q(asker_name=""))
    return {"questions": questions.update(asker_email="", asker_name="", show_name=False)}
