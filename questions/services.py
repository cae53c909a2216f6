"""Questions and answers: intake, moderation, routing, due dates, answers and their history.

Dates are Paris calendar dates (received_on, due_on, answered_on): "30 days" means 30 calendar days
whatever the month length or a change of clock, and delays are differences of dates.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dialogue.models import Meeting, today_in_paris
from participation.audit import audit_entries_scrub
from participation.contract import in_contract, outside_contract_error
from participation.easy_read import clean_easy_read
from participation.models import User
from qpv.models import QPV, Organisation
from questions import emails as question_emails
from questions.models import (
    ACCEPTED_STATUSES,
    DEFAULT_ANSWER_DAYS,
    OPEN_STATUSES,
    Addressee,
    Answer,
    AnswerRevision,
    AnswerStatus,
    Channel,
    DueDateChange,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionFollow,
    QuestionStatus,
)
from questions.selectors import duplicate_question


class QuestionError(ValidationError):
    """A refused action on a question, with a message for the form."""


class DuplicateQuestion(QuestionError):
    """The same person asked the same text in the same QPV, and it is still on its way."""

    def __init__(self, question: Question) -> None:
        super().__init__(_("You already asked this question."), code="duplicate")
        self.question = question


def due_date_for(received_on: date, organisation: Organisation | None = None) -> date:
    days = organisation.answer_delay_days if organisation is not None else DEFAULT_ANSWER_DAYS
    return received_on + timedelta(days=days)


def meeting_question_due_on(meeting: Meeting) -> date:
    """The due date of a question heard at a meeting: counted from the meeting's day (Paris), not
    from the day staff log it, so that logging late does not give the institutions more time."""
    return due_date_for(timezone.localdate(meeting.starts_at))


# The history of a question ------------------------------------------------------------------------


@transaction.atomic
def record_question_event(
    *,
    question: Question,
    kind: QuestionEventKind,
    at: datetime | None = None,
    note: str = "",
    organisation: Organisation | None = None,
    due_date_change: DueDateChange | None = None,
    due_on: date | None = None,
    addressed_to: str = "",
) -> QuestionEvent:
    """Write one dated step of a question's history (what the asker reads in "Mon espace").

    Every service of this module whose action changes a question's status (or its organisation,
    due date or addressee) calls this, inside its own transaction: the step is written with the
    change, or not at all. `note` is staff-written (a reason); never put the asker's name or email
    in an event (the guest-data purge and account deletion do not look here).
    """
    event = QuestionEvent.objects.create(
        question=question,
        kind=kind,
        at=at or timezone.now(),
        note=note,
        organisation=organisation,
        due_date_change=due_date_change,
        due_on=due_on,
        addressed_to=addressed_to,
    )
    _on_event(event)
    return event


def _on_event(event: QuestionEvent) -> None:
    """A new step of a question's history: the asker is told (issue 17, item 3), by email and SMS
    as they chose, once the change is saved. Accepted, passed on and due date extended are told
    from here; not published, closed and answered by the services below, with their fuller email
    (the reason, the answer): one message per change either way."""
    question_emails.tell_asker(event)


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
    by: User,
    asker_name: str = "",
    show_name: bool = False,
    public_display: bool = True,
    addressed_to: str = Addressee.UNKNOWN,
) -> Question:
    """Staff note a question asked aloud: accepted at once (no moderation), received on the day of
    the meeting, due counted from that day (meeting_question_due_on) even when logged later."""
    question = Question.objects.create(
        qpv=meeting.dialogue_space.qpv,
        meeting=meeting,
        channel=Channel.MEETING,
        text=text.strip(),
        theme=theme,
        addressed_to=addressed_to or Addressee.UNKNOWN,
        asker_name=asker_name.strip(),
        show_name=show_name and bool(asker_name.strip()),
        public_display=public_display,
        status=QuestionStatus.RECEIVED,
        received_on=timezone.localdate(meeting.starts_at),
        due_on=meeting_question_due_on(meeting),
        created_by=by,
    )
    record_question_event(
        question=question, kind=QuestionEventKind.RECEIVED, due_on=question.due_on
    )
    return question


@transaction.atomic
def question_ask_online(
    *,
    qpv: QPV,
    text: str,
    theme: str,
    name: str,
    email: str,
    user: User | None = None,
    show_name: bool = False,
    public_display: bool = True,
    addressed_to: str = Addressee.UNKNOWN,
) -> Question:
    """A resident asks online. An account goes to moderation; a guest confirms the email first.

    The same text asked again by the same person in the same QPV while the first is still on its
    way is refused (DuplicateQuestion, which names the first one).
    """
    duplicate = duplicate_question(qpv=qpv, text=text, user=user, email=email)
    if duplicate is not None:
        raise DuplicateQuestion(duplicate)
    today = today_in_paris()
    question = Question.objects.create(
        qpv=qpv,
        channel=Channel.ONLINE,
        text=text.strip(),
        theme=theme,
        addressed_to=addressed_to or Addressee.UNKNOWN,
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
    else:
        # An account's question reaches the team at once; a guest's when the email is confirmed.
        record_question_event(
            question=question, kind=QuestionEventKind.RECEIVED, due_on=question.due_on
        )
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
        record_question_event(
            question=question, kind=QuestionEventKind.RECEIVED, due_on=question.due_on
        )
    return question


def _correct_addressee(question: Question, addressed_to: str) -> None:
    """Staff correct whom the question is for (saved by the caller), as a step of its history."""
    if addressed_to and addressed_to != question.addressed_to:
        question.addressed_to = addressed_to
        question.save(update_fields=["addressed_to"])
        record_question_event(
            question=question, kind=QuestionEventKind.ADDRESSEE_CHANGED, addressed_to=addressed_to
        )


@transaction.atomic
def question_moderate(
    *,
    question: Question,
    accept: bool,
    reason: str = "",
    theme: str = "",
    addressed_to: str = "",
    by: User,
) -> Question:
    """Publish (the staff may correct the theme and the addressee the resident chose) or reject
    with a reason."""
    question = _locked(question)
    if question.status != QuestionStatus.MODERATION:
        raise QuestionError(_("This question has already been moderated."), code="moderated")
    if accept:
        question.status = QuestionStatus.RECEIVED
        question.theme = theme or question.theme
        question.save(update_fields=["status", "theme"])
        record_question_event(question=question, kind=QuestionEventKind.PUBLISHED)
        _correct_addressee(question, addressed_to)
        return question
    if not reason.strip():
        raise QuestionError(
            _("Give the reason: it is sent to the person who asked."), code="reason_required"
        )
    question.status = QuestionStatus.REJECTED
    question.rejected_reason = reason.strip()
    question.save(update_fields=["status", "rejected_reason"])
    record_question_event(
        question=question, kind=QuestionEventKind.REJECTED, note=question.rejected_reason
    )
    question_emails.question_rejected(question)
    return question


@transaction.atomic
def question_route(
    *, question: Question, organisation: Organisation, by: User, addressed_to: str = ""
) -> Question:
    """Address the question to an organisation: its correspondents are emailed a link to answer.
    The staff may correct at the same time whom the asker said the question is for."""
    question = _locked(question)
    if question.status not in (QuestionStatus.RECEIVED, QuestionStatus.FORWARDED):
        raise QuestionError(_("Only an open question can be forwarded."), code="not_open")
    _correct_addressee(question, addressed_to)
    if not question.due_date_changes.exists():
        question.due_on = due_date_for(question.received_on, organisation)
    question.organisation = organisation
    question.status = QuestionStatus.FORWARDED
    question.forwarded_at = timezone.now()
    question.save(update_fields=["organisation", "status", "due_on", "forwarded_at"])
    record_question_event(
        question=question,
        kind=QuestionEventKind.FORWARDED,
        at=question.forwarded_at,
        organisation=organisation,
        due_on=question.due_on,
    )
    question_emails.question_forwarded(question)
    return question


@transaction.atomic
def question_extend_due_date(
    *, question: Question, new_due_on: date, reason: str, by: User
) -> Question:
    question = _locked(question)
    if not question.is_open:
        raise QuestionError(_("Only an open question has a due date to move."), code="not_open")
    if not reason.strip():
        raise QuestionError(_("Give the reason for the new due date."), code="reason_required")
    if not in_contract(new_due_on):
        raise QuestionError(outside_contract_error().messages[0], code="outside_contract")
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
    change = DueDateChange.objects.create(
        question=question,
        previous_due_on=question.due_on,
        new_due_on=new_due_on,
        reason=reason.strip(),
        changed_by=by,
    )
    question.due_on = new_due_on
    question.save(update_fields=["due_on"])
    record_question_event(
        question=question,
        kind=QuestionEventKind.DUE_DATE_EXTENDED,
        at=change.changed_at,
        due_date_change=change,
        due_on=new_due_on,
    )
    return question


@transaction.atomic
def question_close(*, question: Question, reason: str, by: User) -> Question:
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
    record_question_event(
        question=question, kind=QuestionEventKind.CLOSED, note=question.closed_reason
    )
    question_emails.question_closed(question)
    return question


@transaction.atomic
def answer_save(
    *,
    question: Question,
    text: str,
    by: User,
    publish: bool,
    organisation: Organisation | None = None,
    received_by_other_channel: bool = False,
    easy_read: str = "",
) -> Answer:
    """Write or correct the answer. Publishing closes the question as answered and tells the asker;
    a published answer that is edited keeps its previous text in the public history.
    """
    question = _locked(question)
    text = text.strip()
    try:
        easy_read = clean_easy_read(easy_read)
    except ValueError as error:
        raise QuestionError(str(error), code="easy_read") from None
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
    answer.easy_read = easy_read
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
        record_question_event(
            question=question, kind=QuestionEventKind.ANSWERED, at=answer.published_at
        )
        question_emails.answer_published(answer)
    return answer


# Following a question asked by someone else ------------------------------------------------------


def question_follow(*, user: User, question: Question) -> QuestionFollow:
    """Follow a public question ("follow that one" instead of asking it again); following it
    again changes nothing. Only accepted questions shown publicly can be followed."""
    if not (question.status in ACCEPTED_STATUSES and question.public_display):
        raise QuestionError(_("Only a public question can be followed."), code="not_public")
    follow = QuestionFollow.objects.filter(user=user, question=question).first()
    if follow is not None:
        return follow
    try:
        with transaction.atomic():
            return QuestionFollow.objects.create(user=user, question=question)
    except IntegrityError:
        # A double click raced us to the unique constraint: the follow exists, which is the goal.
        return QuestionFollow.objects.get(user=user, question=question)


@transaction.atomic
def question_unfollow(*, user: User, question: Question) -> bool:
    """Stop following; True if there was something to stop."""
    deleted, _counts = QuestionFollow.objects.filter(user=user, question=question).delete()
    return bool(deleted)


@transaction.atomic
def purge_guest_question_contacts(*, now: datetime | None = None) -> dict[str, int]:
    """Clear the name and email of guests' questions received more than GUEST_DATA_RETENTION_DAYS
    ago (the retention of dialogue.services.retention). The question and its answer stay public."""
    limit = (now or timezone.now()) - timedelta(days=settings.GUEST_DATA_RETENTION_DAYS)
    questions = Question.objects.filter(
        asked_by__isnull=True, received_on__lt=timezone.localdate(limit)
    ).exclude(Q(asker_email="") & Q(asker_name=""))
    pks = list(questions.values_list("pk", flat=True))
    count = Question.objects.filter(pk__in=pks).update(
        asker_email="", asker_name="", show_name=False
    )
    # The audit log's entries of those questions held the name and email too (issue 20).
    audit_entries_scrub(model=Question, pks=pks)
    return {"questions": count}
