"""The emails of questions and answers (issue 5), in French, each with a plain-text part and HTML.

Same rules as dialogue.emails: rendered at once inside the caller's transaction, queued with
`queue_email`, sent by Celery once the transaction commits (a refused action sends nothing).
Templates: templates/questions/emails/question_*.txt and .html.

The askers are residents: they get one email each, and their name or address never goes to the
organisations (correspondents see the name only when the asker chose to show it). The staff of one
organisation are colleagues: they get one email for all of them, addressed to each correspondent
(or to the organisation's contact address when it has no correspondent on the portal).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dialogue.emails import DAY_FORMAT
from dialogue.models import today_in_paris
from notifications.models import Topic
from notifications.services import notify_resident
from participation.dates import date_format
from participation.mail import OutgoingEmail, absolute, in_french, queue_email, render_email
from questions import tokens
from questions.models import (
    Answer,
    DueDateChange,
    Question,
    QuestionEvent,
    QuestionEventKind,
    QuestionStatus,
    open_question_filter,
)

# A weekly job: a second run within the same ISO week (a retried task, a doubled beat) sends nothing.
REMINDERS_LOCK_TIMEOUT = 8 * 24 * 3600
ANSWERED_LOOKBACK = timedelta(days=7)
# The question's first words in an SMS: the rest of the 160 characters is the sentence and the link.
SMS_QUESTION_LENGTH = 40


def _email(name: str, *, subject: str, to: str, context: dict) -> OutgoingEmail:
    return render_email(f"questions/emails/{name}", subject=subject, to=to, context=context)


def _day(value: date | None) -> str:
    return date_format(value, DAY_FORMAT) if value else ""


def asker_email(question: Question) -> str:
    if question.asker_email:
        return question.asker_email
    return question.asked_by.email if question.asked_by_id and question.asked_by else ""


def asker_name(question: Question) -> str:
    if question.asker_name:
        return question.asker_name
    return question.asked_by.full_name if question.asked_by_id and question.asked_by else ""


def _public_url(question: Question) -> str:
    """The public page of the question, when it is (or will be) shown: accepted and agreed to."""
    return absolute(question.get_absolute_url()) if question.public_display else ""


def _question_context(question: Question, *, today: date | None = None) -> dict:
    today = today or today_in_paris()
    return {
        "question": question,
        "qpv": question.qpv,
        "theme": question.get_theme_display(),
        "received": _day(question.received_on),
        "due": _day(question.due_on),
        "days_late": (today - question.due_on).days if question.is_overdue(today) else 0,
        "meeting": question.meeting,
        "manage_url": absolute(reverse("questions:question_manage", kwargs={"pk": question.pk})),
        "answer_url": absolute(reverse("questions:question_answer", kwargs={"pk": question.pk})),
    }


def organisation_recipients(organisation, correspondents: dict[int, list[str]]) -> list[str]:
    """The correspondents' addresses, else the organisation's contact address, else nobody."""
    addresses = correspondents.get(organisation.pk) or []
    if addresses:
        return addresses
    return [organisation.contact_email] if organisation.contact_email else []


def correspondents_by_organisation(organisation_ids) -> dict[int, list[str]]:
    """Active correspondents' addresses per organisation, in one query."""
    from participation.models import RoleAssignment
    from participation.roles import Role

    by_organisation: dict[int, list[str]] = defaultdict(list)
    rows = (
        RoleAssignment.objects.filter(
            role=Role.CORRESPONDENT, organisation_id__in=organisation_ids, user__is_active=True
        )
        .values_list("organisation_id", "user__email")
        .order_by("user__email")
    )
    for organisation_id, email in rows:
        if email not in by_organisation[organisation_id]:
            by_organisation[organisation_id].append(email)
    return by_organisation


def _to_all(email: OutgoingEmail, recipients: list[str]) -> OutgoingEmail:
    email.to = list(recipients)
    return email


# To the asker -------------------------------------------------------------------------------------


@in_french
def question_confirmation_link(question: Question) -> None:
    """A guest asked online: the link (valid 7 days) that confirms the address and sends it on."""
    context = {
        **_question_context(question),
        "name": asker_name(question),
        "confirm_url": absolute(tokens.question_confirm_path(question)),
        "valid_days": tokens.QUESTION_CONFIRM_MAX_AGE.days,
    }
    queue_email(
        _email(
            "question_confirmation_link",
            subject=_("Confirm your question — %(qpv)s") % {"qpv": question.qpv.name},
            to=question.asker_email,
            context=context,
        )
    )


def _tell_asker(
    question: Question,
    *,
    subject: str,
    lines: list[str],
    sms_text: str,
    template: str = "",
    context: dict | None = None,
) -> None:
    """One message to whoever asked: the account (as it chose, linking to its "Mon espace"), or
    the guest at the address they confirmed (linking to the public question, when it is shown).
    Questions noted at a meeting without a contact reach nobody."""
    options: dict = {
        "topic": Topic.UPDATES,
        "subject": subject,
        "lines": lines,
        "sms_text": sms_text,
    }
    if template:
        options |= {"template": f"questions/emails/{template}", "context": context or {}}
    if question.asked_by_id and question.asked_by is not None:
        notify_resident(
            **options,
            user=question.asked_by,
            link=absolute(reverse("account_home") + "#questions"),
        )
    elif question.asker_email:
        notify_resident(
            **options,
            email=question.asker_email,
            name=question.asker_name,
            link=_public_url(question),
        )


def _short(question: Question) -> str:
    return Truncator(question.text).chars(SMS_QUESTION_LENGTH)


def _sms_day(value: date) -> str:
    """A date as an SMS writes it: "9 décembre 2026" (no weekday: every character counts)."""
    return date_format(value, "j F Y")


@in_french
def question_rejected(question: Question) -> None:
    """Moderation refused to publish the question: the asker learns why."""
    _tell_asker(
        question,
        subject=_("Your question was not published — %(qpv)s") % {"qpv": question.qpv.name},
        lines=[],
        sms_text=_("Your question “%(text)s” was not published. The reason is in your email.")
        % {"text": _short(question)},
        template="question_rejected",
        context={
            **_question_context(question),
            "reason": question.rejected_reason,
            "ask_url": absolute(
                reverse("questions:question_ask", kwargs={"slug": question.qpv.slug})
            ),
        },
    )


@in_french
def question_closed(question: Question) -> None:
    """Closed without an answer: the asker gets the public reason."""
    _tell_asker(
        question,
        subject=_("Your question was closed without an answer — %(qpv)s")
        % {"qpv": question.qpv.name},
        lines=[],
        sms_text=_("Your question “%(text)s” was closed without an answer: %(reason)s")
        % {"text": _short(question), "reason": Truncator(question.closed_reason).chars(60)},
        template="question_closed",
        context={
            **_question_context(question),
            "reason": question.closed_reason,
            "public_url": _public_url(question),
        },
    )


@in_french
def answer_published(answer: Answer) -> None:
    """The answer is public: the asker gets it, with who answered; those who follow the question
    too (one message each, as they chose)."""
    question = answer.question
    answered_by = answer.organisation.name if answer.organisation is not None else ""
    context = {
        **_question_context(question),
        "answer": answer,
        "answered_by": answered_by,
        "answered": _day(question.answered_on),
        "public_url": _public_url(question),
    }
    subject = _("Your question has an answer — %(qpv)s") % {"qpv": question.qpv.name}
    sms_text = _("Your question “%(text)s” has an answer.") % {"text": _short(question)}
    _tell_asker(
        question,
        subject=subject,
        lines=[],
        sms_text=sms_text,
        template="question_answer_published",
        context=context,
    )
    followers = question.follows.select_related("user")
    if question.asked_by_id is not None:
        followers = followers.exclude(user_id=question.asked_by_id)
    for follow in followers:
        notify_resident(
            topic=Topic.UPDATES,
            subject=_("A question you follow has an answer — %(qpv)s") % {"qpv": question.qpv.name},
            lines=[],
            sms_text=_("A question you follow, “%(text)s”, has an answer.")
            % {"text": _short(question)},
            user=follow.user,
            link=absolute(reverse("account_home") + "#questions"),
            template="questions/emails/question_answer_published",
            context={**context, "followed": True},
        )


@in_french
def question_published(question: Question) -> None:
    """Checked and accepted by the team: the question now waits for its answer, by a date."""
    due = _day(question.due_on)
    _tell_asker(
        question,
        subject=_("Your question is accepted — %(qpv)s") % {"qpv": question.qpv.name},
        lines=[
            _("The team of the neighbourhood checked your question and accepted it:"),
            f"« {question.text} »",
            _("The answer is due by %(day)s. We will tell you at each step.") % {"day": due},
        ],
        sms_text=_("Your question “%(text)s” is accepted. Answer due by %(day)s.")
        % {"text": _short(question), "day": _sms_day(question.due_on)},
    )


@in_french
def question_passed_on(question: Question) -> None:
    """Passed on to the organisation that must answer: the asker learns to whom, and by when."""
    organisation = question.organisation.name if question.organisation is not None else ""
    due = _day(question.due_on)
    _tell_asker(
        question,
        subject=_("Your question is passed on to %(organisation)s")
        % {"organisation": organisation},
        lines=[
            _("Your question was passed on to %(organisation)s, who must answer it:")
            % {"organisation": organisation},
            f"« {question.text} »",
            _("The answer is due by %(day)s.") % {"day": due},
        ],
        sms_text=_(
            "Your question “%(text)s” is passed on to %(organisation)s. Answer due by %(day)s."
        )
        % {
            "text": _short(question),
            "organisation": organisation,
            "day": _sms_day(question.due_on),
        },
    )


@in_french
def question_due_date_extended(question: Question, change: DueDateChange) -> None:
    """The due date moved: the asker gets the new date and the reason."""
    due = _day(change.new_due_on)
    _tell_asker(
        question,
        subject=_("New date for the answer to your question — %(qpv)s")
        % {"qpv": question.qpv.name},
        lines=[
            _("The answer to your question is now due by %(day)s (it was %(previous)s).")
            % {"day": due, "previous": _day(change.previous_due_on)},
            _("Reason: %(reason)s") % {"reason": change.reason},
            f"« {question.text} »",
        ],
        sms_text=_("Your question “%(text)s”: answer now due by %(day)s.")
        % {"text": _short(question), "day": _sms_day(change.new_due_on)},
    )


def tell_asker(event: QuestionEvent) -> None:
    """A new step of a question's history (questions.services.record_question_event): the steps
    told here are those no other email tells (not published, closed and answered send theirs)."""
    question = event.question
    if event.kind == QuestionEventKind.PUBLISHED:
        question_published(question)
    elif event.kind == QuestionEventKind.FORWARDED:
        question_passed_on(question)
    elif event.kind == QuestionEventKind.DUE_DATE_EXTENDED and event.due_date_change is not None:
        question_due_date_extended(question, event.due_date_change)


# To the organisation ------------------------------------------------------------------------------


@in_french
def question_forwarded(question: Question) -> None:
    """Routed to an organisation: its correspondents get the question and a link to answer."""
    organisation = question.organisation
    if organisation is None:
        return
    recipients = organisation_recipients(
        organisation, correspondents_by_organisation([organisation.pk])
    )
    if not recipients:
        return
    queue_email(
        _to_all(
            _email(
                "question_forwarded",
                subject=_("A question for %(organisation)s — %(qpv)s")
                % {"organisation": organisation.name, "qpv": question.qpv.name},
                to=recipients[0],
                context={
                    **_question_context(question),
                    "name": "",
                    "organisation": organisation,
                    "delay_days": (question.due_on - question.received_on).days,
                },
            ),
            recipients,
        )
    )


# Weekly reminders (Celery beat, Monday morning) ---------------------------------------------------


def _reminder_item(question: Question, today: date) -> dict:
    return {
        "question": question,
        "qpv": question.qpv,
        "organisation": question.organisation,
        "received": _day(question.received_on),
        "due": _day(question.due_on),
        "answered": _day(question.answered_on),
        "days_late": max((today - question.due_on).days, 0),
        "delay_days": question.delay_days,
        "manage_url": absolute(reverse("questions:question_manage", kwargs={"pk": question.pk})),
        "answer_url": absolute(reverse("questions:question_answer", kwargs={"pk": question.pk})),
    }


def _referents_by_commune(commune_ids) -> dict[int, dict]:
    """Active referents of the given communes: {user_id: {email, name, commune_ids}}, one query."""
    from participation.models import RoleAssignment
    from participation.roles import Role

    referents: dict[int, dict] = {}
    rows = (
        RoleAssignment.objects.filter(
            role=Role.REFERENT, commune_id__in=commune_ids, user__is_active=True
        )
        .values_list("user_id", "user__email", "user__full_name", "commune_id")
        .order_by("user__email", "pk")
    )
    for user_id, email, full_name, commune_id in rows:
        person = referents.setdefault(
            user_id, {"email": email, "name": full_name, "commune_ids": set()}
        )
        person["commune_ids"].add(commune_id)
    return referents


def _organisation_reminders(overdue: list[Question], today: date) -> int:
    by_organisation: dict[int, list[Question]] = defaultdict(list)
    for question in overdue:
        if question.organisation_id is not None:
            by_organisation[question.organisation_id].append(question)
    if not by_organisation:
        return 0
    correspondents = correspondents_by_organisation(by_organisation.keys())
    sent = 0
    for questions in by_organisation.values():
        organisation = questions[0].organisation
        assert organisation is not None  # grouped by organisation above
        recipients = organisation_recipients(organisation, correspondents)
        if not recipients:
            continue
        subject = ngettext(
            "%(count)s overdue question for %(organisation)s",
            "%(count)s overdue questions for %(organisation)s",
            len(questions),
        ) % {"count": len(questions), "organisation": organisation.name}
        queue_email(
            _to_all(
                _email(
                    "question_overdue_organisation",
                    subject=subject,
                    to=recipients[0],
                    context={
                        "name": "",
                        "organisation": organisation,
                        "items": [_reminder_item(question, today) for question in questions],
                    },
                ),
                recipients,
            )
        )
        sent += 1
    return sent


def _referent_summaries(overdue: list[Question], today: date) -> int:
    """One summary per referent whose commune has overdue questions: those, the other open ones,
    and the answers published over the last week. Three queries whatever the numbers.
    """
    commune_ids = {question.qpv.commune_id for question in overdue}
    if not commune_ids:
        return 0
    referents = _referents_by_commune(commune_ids)
    if not referents:
        return 0
    all_communes = set().union(*(person["commune_ids"] for person in referents.values()))
    extra = (
        Question.objects.filter(qpv__commune_id__in=all_communes)
        .filter(
            (open_question_filter() & Q(due_on__gte=today))
            | Q(
                status=QuestionStatus.ANSWERED,
                answered_on__gte=today - ANSWERED_LOOKBACK,
                answered_on__lt=today,
            )
        )
        .select_related("qpv__commune", "organisation")
        .order_by("due_on", "pk")
    )
    open_by_commune: dict[int, list[Question]] = defaultdict(list)
    answered_by_commune: dict[int, list[Question]] = defaultdict(list)
    for question in extra:
        target = (
            answered_by_commune if question.status == QuestionStatus.ANSWERED else open_by_commune
        )
        target[question.qpv.commune_id].append(question)
    overdue_by_commune: dict[int, list[Question]] = defaultdict(list)
    for question in overdue:
        overdue_by_commune[question.qpv.commune_id].append(question)

    dashboard_url = absolute(reverse("questions:questions_dashboard"))
    sent = 0
    for person in referents.values():
        communes = sorted(person["commune_ids"])
        late = [q for c in communes for q in overdue_by_commune[c]]
        if not late:
            continue
        still_open = [q for c in communes for q in open_by_commune[c]]
        answered = [q for c in communes for q in answered_by_commune[c]]
        queue_email(
            _email(
                "question_referent_summary",
                subject=ngettext(
                    "Questions: %(count)s overdue this week",
                    "Questions: %(count)s overdue this week",
                    len(late),
                )
                % {"count": len(late)},
                to=person["email"],
                context={
                    "name": person["name"],
                    "overdue": [_reminder_item(q, today) for q in late],
                    "open_count": len(still_open),
                    "unrouted_count": sum(1 for q in still_open if q.organisation_id is None),
                    "answered": [_reminder_item(q, today) for q in answered],
                    "dashboard_url": dashboard_url,
                },
            )
        )
        sent += 1
    return sent


@in_french
def send_overdue_reminders(*, today: date | None = None) -> int:
    """Monday's reminders: each organisation gets its overdue questions, each referent a summary of
    their commune's questions. Nothing is sent when nothing is overdue. Returns the emails queued.

    Reads only; a cache key per ISO week keeps a retried or doubled run from sending twice.
    """
    today = today or today_in_paris()
    year, week, _weekday = today.isocalendar()
    lock = f"dialogue:question-reminders:{year}-{week}"
    if not cache.add(lock, True, REMINDERS_LOCK_TIMEOUT):
        return 0
    try:
        overdue = list(
            Question.objects.overdue(today)
            .select_related("qpv__commune", "organisation")
            .order_by("due_on", "pk")
        )
        return _organisation_reminders(overdue, today) + _referent_summaries(overdue, today)
    except Exception:
        cache.delete(lock)
        raise
